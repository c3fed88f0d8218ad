"""Hidden checks of `reading_the_dag`: predict what autograd records, then walk recorded graphs.

Part 1: the student's `record(program)` predicts, for a small program in the assignment's mini-language,
what PyTorch records: `requires_grad`, `is_leaf`, the graph of backward Functions, each tensor's version
counter, and whether `t.sum().backward()` fails because a saved tensor was changed in place. It runs in
the `stdlib` worker, where torch cannot be imported, on programs it has never seen; the reference is
PyTorch itself, run here on the same programs. The programs are random but seeded, and every one of them
is valid PyTorch that obeys the rules the assignment states (no in-place change of a leaf that requires
grad, no view made under no_grad, ...).

Part 2: `breadth_first(graph)` and `path_counts(graph)` walk graphs given as plain data. The graphs are
real PyTorch graphs (random programs, an unrolled RNNCell, a 5,000-step chain, a graph with 2**40 paths)
dumped here by a walk of `grad_fn.next_functions`; the references are computed on the torch objects.

A comparison never trusts the student's data: it is parsed defensively, and anything malformed fails
that case only.
"""

from __future__ import annotations

import random
from collections import deque

import torch

from course_grading.points import Checks, Grading, Items

checks = Checks("reading_the_dag", feedback_env="torch")

IN_PLACE = ("add_", "mul_", "setitem")
VIEWS = ("slice", "select", "view")


# ---- the mini-language, run by PyTorch ------------------------------------------------------------------
def run(program: list[dict]) -> dict[str, torch.Tensor]:
    """Execute a program; every name it defines -> its tensor."""
    env: dict[str, torch.Tensor] = {}
    gen = torch.Generator().manual_seed(0)
    for step in program:
        op, args = step["op"], step.get("args", [])
        x = [env[a] if isinstance(a, str) else a for a in args]
        with torch.set_grad_enabled(not step.get("no_grad", False)):
            if op == "leaf":
                env[step["out"]] = torch.rand(4, generator=gen).requires_grad_(step["requires_grad"])
            elif op == "detach":
                env[step["out"]] = x[0].detach()
            elif op == "slice":
                env[step["out"]] = x[0][step["start"]:step["stop"]]
            elif op == "select":
                env[step["out"]] = x[0][step["index"]]
            elif op == "view":
                env[step["out"]] = x[0].view(-1)
            elif op == "add":
                env[step["out"]] = x[0] + x[1]
            elif op == "mul":
                env[step["out"]] = x[0] * x[1]
            elif op == "exp":
                env[step["out"]] = x[0].exp()
            elif op == "sigmoid":
                env[step["out"]] = x[0].sigmoid()
            elif op == "sum":
                env[step["out"]] = x[0].sum()
            elif op == "add_":
                x[0].add_(x[1])
            elif op == "mul_":
                x[0].mul_(x[1])
            elif op == "setitem":
                x[0][step["start"]:step["stop"]] = x[1]
            else:
                raise ValueError(f"unknown op {op!r}")
    return env


def dump(roots: dict[str, object], leaf_names: dict[int, str], shuffle: random.Random | None = None):
    """The graph below some grad_fns as plain data: (nodes, {root key: node index}, {fn: index}).

    A node is {"name", "next": [index or None, ...], "leaf": the leaf's name for an AccumulateGrad}. With
    `shuffle`, the indices are a random permutation, so that their order says nothing about the graph.
    """
    index: dict[object, int] = {}
    found: list[object] = []
    for fn in roots.values():
        if fn is None or fn in index:
            continue
        index[fn] = len(found)
        found.append(fn)
        stack = [fn]
        while stack:
            for nxt, _ in stack.pop().next_functions:
                if nxt is not None and nxt not in index:
                    index[nxt] = len(found)
                    found.append(nxt)
                    stack.append(nxt)
    numbers = list(range(len(found)))
    if shuffle is not None:
        shuffle.shuffle(numbers)
    index = {fn: numbers[k] for fn, k in index.items()}
    nodes: list[dict | None] = [None] * len(found)
    for fn, k in index.items():
        name = type(fn).__name__
        leaf = leaf_names.get(id(fn.variable), "?") if name == "AccumulateGrad" else None
        nodes[k] = {"name": name, "next": [None if n is None else index[n] for n, _ in fn.next_functions],
                    "leaf": leaf}
    return nodes, {key: (None if fn is None else index[fn]) for key, fn in roots.items()}, index


def truth(program: list[dict]) -> dict:
    """What PyTorch records for a program, in the format `record` returns."""
    env = run(program)
    nodes, grad_fns, _ = dump({name: t.grad_fn for name, t in env.items()}, {id(t): n for n, t in env.items()})
    tensors = {name: {"requires_grad": t.requires_grad, "is_leaf": t.is_leaf, "grad_fn": grad_fns[name],
                      "version": t._version, "backward_fails": None} for name, t in env.items()}
    for name, facts in tensors.items():
        if facts["requires_grad"]:
            facts["backward_fails"] = _backward_fails(program, name)
    return {"tensors": tensors, "nodes": nodes}


def _backward_fails(program: list[dict], name: str) -> bool:
    root = run(program)[name].sum()  # a fresh run: every backward starts from the same state
    try:
        root.backward()
    except RuntimeError as err:
        if "modified by an inplace operation" in str(err):
            return True
        raise
    return False


# ---- comparing a prediction with PyTorch ----------------------------------------------------------------
def canonical(result: dict, names: list[str]) -> tuple[list, list]:
    """The graph seen from the named tensors' grad_fns, numbered breadth-first in the order of `names`.

    Independent of the node numbers a prediction chose; it keeps each node's name, its next entries in
    order (None included), the leaf of each AccumulateGrad, and which nodes are one and the same.
    """
    nodes, tensors = result["nodes"], result["tensors"]
    order: dict[int, int] = {}
    queue: list[int] = []
    roots = []
    for name in names:
        k = tensors[name]["grad_fn"]
        if k is not None:
            _index(nodes, k)
            if k not in order:
                order[k] = len(queue)
                queue.append(k)
        roots.append(None if k is None else order[k])
    out = []
    for k in queue:  # grows while it is read: breadth-first
        node = nodes[k]
        if not isinstance(node, dict) or type(node["name"]) is not str or type(node["next"]) is not list:
            raise ValueError("malformed node")
        nxt = []
        for j in node["next"]:
            if j is not None:
                _index(nodes, j)
                if j not in order:
                    order[j] = len(queue)
                    queue.append(j)
            nxt.append(None if j is None else order[j])
        leaf = node.get("leaf") if node["name"] == "AccumulateGrad" else None
        out.append((node["name"], tuple(nxt), leaf))
        if len(queue) > 10_000:
            raise ValueError("too many nodes")
    return roots, out


def _index(nodes, k) -> None:
    if type(k) is not int or not 0 <= k < len(nodes):
        raise ValueError("a node number that is not an index of nodes")


def _facts(result: dict, name: str) -> dict:
    facts = result["tensors"][name]
    if not isinstance(facts, dict):
        raise ValueError("malformed tensor entry")
    return facts


def flags_right(got: dict, want: dict, names: list[str]) -> bool:
    for name in names:
        mine, ref = _facts(got, name), want["tensors"][name]
        for key in ("requires_grad", "is_leaf"):
            if type(mine[key]) is not bool or mine[key] != ref[key]:
                return False
    return True


def names_right(got: dict, want: dict, names: list[str]) -> bool:
    for name in names:
        mine, ref = _facts(got, name)["grad_fn"], want["tensors"][name]["grad_fn"]
        if mine is not None:
            _index(got["nodes"], mine)
            mine = got["nodes"][mine]["name"]
        if mine != (None if ref is None else want["nodes"][ref]["name"]):
            return False
    return True


def graph_right(got: dict, want: dict, names: list[str]) -> bool:
    return canonical(got, names) == canonical(want, names)


def versions_right(got: dict, want: dict, names: list[str]) -> bool:
    return all(type(_facts(got, n)["version"]) is int and _facts(got, n)["version"] == want["tensors"][n]["version"]
               for n in names)


def backward_right(got: dict, want: dict, names: list[str]) -> bool:
    for name in names:
        mine, ref = _facts(got, name)["backward_fails"], want["tensors"][name]["backward_fails"]
        if not (mine is ref or (type(mine) is bool and mine == ref)):
            return False
    return True


# ---- random programs --------------------------------------------------------------------------------------
# Each theme: what the hints call it, and the weights of its random steps. Besides random steps, a program
# of a theme gets a few "motifs": short sequences of steps that make the theme's situation happen.
THEMES = {
    "graphs": ("programs without in-place steps (numbers, no_grad, detach, views)",
               {"add": 3, "mul": 3, "exp": 1, "sigmoid": 1, "sum": 1, "detach": 1, "slice": 1.5, "select": 1,
                "view": 1}),
    "plain": ("programs that change tensors in place that are not views (add_, mul_, also under no_grad)",
              {"add": 2, "mul": 2, "exp": 1, "sum": 1, "detach": 0.5, "add_": 2, "mul_": 1}),
    "views": ("programs that write through a view (t[i:j] = u, add_ or mul_ on a view)",
              {"add": 2, "mul": 2, "sigmoid": 0.5, "slice": 2, "select": 1, "view": 1, "add_": 1, "setitem": 1}),
    "rebuilt": ("programs that change a base in place after views of it were made",
                {"add": 2, "mul": 2, "exp": 0.5, "slice": 2, "select": 1, "view": 1, "add_": 1, "mul_": 1}),
    "quiet": ("programs with in-place changes under no_grad or through detach()",
              {"add": 2, "mul": 2, "exp": 1, "detach": 2, "slice": 1, "select": 0.5, "add_": 1, "mul_": 1}),
    "saved_mul": ("programs that compute a * b, then change one of its factors",
                  {"add": 1, "mul": 3, "detach": 1, "slice": 1, "add_": 1, "mul_": 1}),
    "saved_out": ("programs that compute exp or sigmoid, then change its result",
                  {"add": 1.5, "mul": 1, "exp": 2, "sigmoid": 2, "detach": 1, "slice": 1, "add_": 1, "mul_": 1}),
}
NUMBERS = (2.0, 0.5, 3.0)


def _same_memory(a: torch.Tensor, b: torch.Tensor) -> bool:
    return a.untyped_storage().data_ptr() == b.untyped_storage().data_ptr()


def _fits(small: tuple[int, ...], shape: tuple[int, ...]) -> bool:
    """Does a tensor of shape `small` broadcast into `shape` (our tensors have at most one axis)?"""
    return small in ((), (1,), shape) and len(small) <= len(shape)


def _valid(program: list[dict]) -> bool:
    try:
        run(program)
    except RuntimeError:
        return False
    return True


class _Maker:
    """Proposes steps for one program; every proposal is checked by running it."""

    def __init__(self, rng: random.Random):
        self.rng, self.count = rng, 0

    def fresh(self, prefix: str) -> str:
        self.count += 1
        return f"{prefix}{self.count}"

    def value_for(self, env, target: str) -> object:
        """A tensor (or number) that `target.add_(...)` accepts: broadcasts into it, other memory."""
        shape = tuple(env[target].shape)
        fits = [n for n, t in env.items() if not _same_memory(t, env[target]) and _fits(tuple(t.shape), shape)]
        return self.rng.choice(fits) if fits and self.rng.random() < 0.8 else self.rng.choice(NUMBERS)

    def part(self, env, name: str) -> tuple[int, int] | None:
        """A slice of `name` that is not all of it, or None."""
        length = env[name].shape[0] if env[name].dim() else 0
        if length < 2:
            return None
        start = self.rng.randrange(length)
        stop = self.rng.randint(start + 1, length)
        return None if stop - start == length else (start, stop)

    def view(self, env, name: str) -> dict:
        rng, length = self.rng, (env[name].shape[0] if env[name].dim() else 0)
        kind = rng.choice(["slice", "slice", "select", "view"]) if length >= 2 else "view"
        step = {"op": kind, "out": self.fresh("v"), "args": [name]}
        if kind == "slice":
            start = rng.randrange(length - 1)
            step.update(start=start, stop=rng.randint(start + 1, length))
        elif kind == "select":
            step["index"] = rng.randrange(length)
        return step

    def change(self, env, target: str, no_grad: bool = False) -> dict | None:
        """An in-place change of `target`: add_, mul_ or t[i:j] = u."""
        rng = self.rng
        kind = rng.choice(["add_", "add_", "mul_", "setitem"])
        if kind == "setitem":
            part = self.part(env, target)
            fits = [n for n, t in env.items() if part and tuple(t.shape) == (part[1] - part[0],)
                    and not _same_memory(t, env[target])]
            if not fits:
                return None
            step = {"op": "setitem", "args": [target, rng.choice(fits)], "start": part[0], "stop": part[1]}
        elif kind == "mul_":
            step = {"op": "mul_", "args": [target, rng.choice(NUMBERS)]}
        else:
            step = {"op": "add_", "args": [target, self.value_for(env, target)]}
        if no_grad:
            step["no_grad"] = True
        return step

    def computed(self, env, op: str | None = None) -> dict:
        """A new tensor computed from existing ones (mostly from one that requires grad)."""
        rng = self.rng
        names = list(env)
        graded = [n for n in names if env[n].requires_grad] or names
        op = op or rng.choice(["add", "mul", "mul", "exp", "sigmoid"])
        a = rng.choice(graded if rng.random() < 0.8 else names)
        if op in ("add", "mul"):
            sa = tuple(env[a].shape)
            partners = [n for n in names if _fits(tuple(env[n].shape), sa) or _fits(sa, tuple(env[n].shape))]
            b = rng.choice(partners) if rng.random() < 0.7 else rng.choice(NUMBERS)
            return {"op": op, "out": self.fresh("t"), "args": [a, b]}
        return {"op": op, "out": self.fresh("t"), "args": [a]}

    def random_step(self, env, weights: dict[str, float], no_grad_share: float) -> dict | None:
        rng = self.rng
        names = list(env)
        op = rng.choices(list(weights), list(weights.values()))[0]
        a = rng.choice(names)
        if op in ("add", "mul", "exp", "sigmoid"):
            step = self.computed(env, op)
        elif op == "sum":
            step = {"op": "sum", "out": self.fresh("t"), "args": [a]}
        elif op == "detach":
            step = {"op": "detach", "out": self.fresh("d"), "args": [a]}
        elif op in VIEWS:
            step = self.view(env, a)
        else:
            step = self.change(env, a)
        if step is not None and op not in (*VIEWS, "detach") and rng.random() < no_grad_share:
            step["no_grad"] = True
        return step

    def motif(self, theme: str, prog: list[dict]) -> list[dict]:
        """A few steps that make the theme's situation happen."""
        rng = self.rng
        env = run(prog)

        def after(*steps):  # the tensors once these steps have run too
            return run([*prog, *steps])
        if theme == "graphs":
            return []
        if theme == "plain":
            pick = rng.randrange(3)
            if pick == 0:  # a computed tensor changed in place
                y = self.computed(env)
                steps = [y, self.change(after(y), y["out"])]
            elif pick == 1:  # a constant changed by a tensor that requires grad
                c = {"op": "leaf", "out": self.fresh("c"), "requires_grad": False}
                graded = [n for n, t in env.items() if t.requires_grad and tuple(t.shape) in ((4,), ())]
                steps = [c, {"op": "add_", "args": [c["out"], rng.choice(graded)]}] if graded else []
            else:  # an update of a leaf that requires grad, as an optimizer does it
                leaves = [n for n, t in env.items() if t.is_leaf and t.requires_grad]
                steps = [self.change(env, rng.choice(leaves), no_grad=True)] if leaves else []
            return [s for s in steps if s is not None]
        if theme in ("views", "rebuilt", "quiet"):
            y = self.computed(env)
            v = self.view(after(y), y["out"])
            env3 = after(y, v)
            steps = [y, v]
            if theme == "views":  # write through the view, or into a part of y
                steps.append(self.change(env3, rng.choice([v["out"], v["out"], y["out"]])))
            elif theme == "rebuilt":  # change y (or another view of it), then use the first view
                other = self.view(env3, y["out"])
                steps += [other, self.change(after(y, v, other), rng.choice([y["out"], y["out"], other["out"]]))]
                steps.append({"op": rng.choice(["add", "mul"]), "out": self.fresh("t"),
                              "args": [v["out"], rng.choice(NUMBERS)]})
            else:  # through detach(), or under no_grad
                if rng.random() < 0.5:
                    d = {"op": "detach", "out": self.fresh("d"), "args": [y["out"]]}
                    steps += [d, {"op": "mul_", "args": [d["out"], rng.choice(NUMBERS)]}]
                else:
                    steps.append(self.change(env3, rng.choice([y["out"], v["out"]]), no_grad=True))
            return [s for s in steps if s is not None]
        # saved_mul, saved_out: a node that saves a tensor, then a change of what it saved, or of what it did not
        steps = []
        if theme == "saved_mul":
            graded = [n for n, t in env.items() if t.requires_grad] or list(env)
            # a factor that requires grad and can be changed in place with recording on
            p = {"op": "add", "out": self.fresh("t"), "args": [rng.choice(graded), rng.choice(NUMBERS)]}
            steps.append(p)
            plain = [n for n, t in env.items() if not t.requires_grad]
            q = rng.choice(plain) if plain and rng.random() < 0.6 else rng.choice([*env, p["out"]])
            factors = [p["out"], q] if rng.random() < 0.5 else [q, p["out"]]
            y = {"op": "mul", "out": self.fresh("t"), "args": factors}
            target = rng.choice(factors)
        else:
            y = self.computed(env, rng.choice(["exp", "sigmoid"]))
            target = rng.choice([y["out"], y["out"], y["args"][0]])
        steps.append(y)
        env2 = after(*steps)
        how = rng.randrange(4)
        if how == 0:  # through a view
            v = self.view(env2, target)
            steps += [v, self.change(after(*steps, v), v["out"])]
        elif how == 1:  # through detach()
            d = {"op": "detach", "out": self.fresh("d"), "args": [target]}
            steps += [d, {"op": "mul_", "args": [d["out"], rng.choice(NUMBERS)]}]
        else:
            steps.append(self.change(env2, target, no_grad=how == 2))
        return [s for s in steps if s is not None]


def program(rng: random.Random, theme: str, size: int) -> list[dict]:
    """A random valid program of about `size` steps, with motifs of a theme; within the assignment's rules."""
    weights = THEMES[theme][1]
    no_grad_share = 0.2 if theme == "graphs" else 0.1
    maker = _Maker(rng)
    prog: list[dict] = [{"op": "leaf", "out": maker.fresh(rng.choice("abpqw")), "requires_grad": rng.random() < 0.7}
                        for _ in range(rng.randint(2, 3))]
    motifs = 1 if theme == "graphs" else 0  # "graphs" has no motif: random steps only
    for _ in range(200):
        if len(prog) >= size and motifs:
            break
        env = run(prog)
        want_motif = theme != "graphs" and (not motifs or rng.random() < (0.45 if theme.startswith("saved") else 0.3))
        try:
            steps = maker.motif(theme, prog) if want_motif else [maker.random_step(env, weights, no_grad_share)]
        except RuntimeError:  # a motif built on a step PyTorch refuses: try another
            continue
        steps = [s for s in steps if s is not None]
        if not steps or not all(_allowed(s, prog, steps) for s in steps):
            continue
        if _valid(prog + steps):
            prog += steps
            motifs += want_motif
    return prog


def _allowed(step: dict, prog: list[dict], steps: list[dict]) -> bool:
    """The assignment's rules for programs, beyond what PyTorch itself refuses."""
    if step["op"] not in IN_PLACE:
        return not (step["op"] in VIEWS and step.get("no_grad"))
    env = run(prog + steps[: steps.index(step)])
    target = env[step["args"][0]]
    base = target._base if target._base is not None else target
    value = step["args"][1]
    if isinstance(value, str) and _same_memory(target, env[value]):
        return False  # never reads the memory it writes
    return step.get("no_grad", False) or not (base.is_leaf and base.requires_grad)


def programs(seed: int, themes: dict[str, int], sizes: tuple[int, int]) -> list[tuple[str, list[dict]]]:
    rng = random.Random(seed)
    return [(theme, program(rng, theme, rng.randint(*sizes))) for theme, n in themes.items() for _ in range(n)]


# ---- Part 1: record ---------------------------------------------------------------------------------------
CATEGORIES = {
    "flags": ("requires_grad and is_leaf", flags_right),
    "names": ("grad_fn names", names_right),
    "graph": ("the graph (next entries in order, None entries, shared nodes, each leaf's AccumulateGrad)",
              graph_right),
    "versions": ("_version", versions_right),
    "backward": ("backward_fails", backward_right),
}


def grade_record(g: Grading, cases: list[tuple[str, list[dict]]], categories: list[str]) -> list[Items]:
    worker = g.worker("stdlib", ["record"])
    reply = worker.call("record", [prog for _, prog in cases], seconds=60)
    groups = {key: g.items(CATEGORIES[key][0]) for key in categories}
    for (theme, prog), got in g.each(reply, cases):
        want = truth(prog)
        names = list(want["tensors"])
        for key, items in groups.items():
            right = CATEGORIES[key][1]
            hint = f"wrong in {THEMES[theme][0]}"
            if got is None or isinstance(got, str):
                hint = "record() raised an exception, or the grader could not run it"
            with items.case(hint):
                assert isinstance(got, dict) and isinstance(got.get("tensors"), dict)
                assert isinstance(got.get("nodes"), list)
                assert right(got, want, names)
    return list(groups.values())


@checks.add("test_record_graphs", points=2)
def record_graphs(g: Grading) -> list[Items]:
    return grade_record(g, programs(1701, {"graphs": 40}, (5, 12)), ["flags", "names", "graph"])


@checks.add("test_record_inplace", points=3)
def record_inplace(g: Grading) -> list[Items]:
    cases = programs(1702, {"plain": 12, "views": 14, "rebuilt": 14, "quiet": 12}, (6, 13))
    return grade_record(g, cases, ["flags", "names", "graph", "versions"])


@checks.add("test_record_backward", points=2)
def record_backward(g: Grading) -> list[Items]:
    cases = programs(1703, {"saved_mul": 15, "saved_out": 15, "quiet": 10}, (6, 13))
    return grade_record(g, cases, ["backward"])


# ---- Part 2: walking graphs given as plain data -----------------------------------------------------------
def _bfs(root) -> list:
    seen, order, queue = {root}, [], deque([root])
    while queue:
        fn = queue.popleft()
        order.append(fn)
        for nxt, _ in fn.next_functions:
            if nxt is not None and nxt not in seen:
                seen.add(nxt)
                queue.append(nxt)
    return order


def _path_counts(root) -> dict[object, int]:
    """Paths from root to every node, by counting along a topological order (Kahn's algorithm)."""
    order = _bfs(root)
    waiting = dict.fromkeys(order, 0)
    for fn in order:
        for nxt, _ in fn.next_functions:
            if nxt is not None:
                waiting[nxt] += 1
    paths = dict.fromkeys(order, 0)
    paths[root] = 1
    ready = [root]
    while ready:
        fn = ready.pop()
        for nxt, _ in fn.next_functions:
            if nxt is not None:
                paths[nxt] += paths[fn]
                waiting[nxt] -= 1
                if not waiting[nxt]:
                    ready.append(nxt)
    return paths


def _graph_case(rng: random.Random, root: torch.Tensor, leaf_names: dict[int, str]) -> dict:
    """A graph for Part 2: its plain data (what the student gets) and the references."""
    nodes, roots, index = dump({"root": root.grad_fn}, leaf_names, shuffle=rng)
    paths = _path_counts(root.grad_fn)
    counts = {nodes[k]["leaf"]: paths[fn] for fn, k in index.items() if nodes[k]["leaf"] is not None}
    return {"graph": {"nodes": nodes, "root": roots["root"]}, "bfs": [index[fn] for fn in _bfs(root.grad_fn)],
            "paths": counts}


def _program_graph(rng: random.Random) -> dict | None:
    theme = rng.choice(["graphs", "views", "rebuilt", "plain"])
    prog = program(rng, theme, rng.randint(8, 14))
    env = run(prog)
    chosen = [n for n, t in env.items() if t.requires_grad]
    if not chosen:
        return None
    roots = rng.sample(chosen, min(len(chosen), rng.randint(1, 3)))
    root = sum(env[n].sum() for n in roots)
    return _graph_case(rng, root, {id(t): n for n, t in env.items()})


def _rnn_graph(rng: random.Random, steps: int) -> dict:
    torch.manual_seed(rng.randrange(1000))
    cell = torch.nn.RNNCell(input_size=3, hidden_size=2)
    h = torch.zeros(1, 2)
    for _ in range(steps):
        h = cell(torch.randn(1, 3), h)
    return _graph_case(rng, (h**2).sum(), {id(p): name for name, p in cell.named_parameters()})


def _doubling_graph(rng: random.Random, levels: int) -> dict:
    """Every level uses the one below twice: 2**levels paths from the root to x, and a few other leaves."""
    x = torch.rand(3, requires_grad=True)
    leaves = {id(x): "x"}
    y = x * 1.0
    for level in range(levels):
        if rng.random() < 0.5:
            y = y * y
        else:
            y = y + y.sigmoid()
        if level % 9 == 4:
            w = torch.rand(3, requires_grad=True)
            leaves[id(w)] = f"w{level}"
            y = y + w
    return _graph_case(rng, y.sum(), leaves)


def _chain_graph(rng: random.Random, length: int) -> dict:
    x = torch.rand(2, requires_grad=True)
    y = x
    for _ in range(length):
        y = y * 1.0001
    return _graph_case(rng, y.sum(), {id(x): "x"})


GRAPH_KINDS = {
    "random": "graphs of random programs",
    "rnn": "an unrolled RNNCell (parameters shared by every step)",
    "doubling": "a graph where each node is used twice, a few levels deep",
    "chain": "a chain of 5,000 nodes (no recursion)",
    "many": "graphs where each node is used twice, 30 to 60 levels deep",
}


def walk_cases(seed: int) -> list[tuple[str, dict]]:
    """29 graphs recorded by PyTorch, as plain data with their references."""
    rng = random.Random(seed)
    cases: list[tuple[str, dict]] = []
    while len(cases) < 20:
        case = _program_graph(rng)
        if case is not None:
            cases.append(("random", case))
    cases += [("rnn", _rnn_graph(rng, t)) for t in (2, 5, 9)]
    cases += [("doubling", _doubling_graph(rng, n)) for n in (8, 12)]
    cases.append(("chain", _chain_graph(rng, 5000)))
    cases += [("many", _doubling_graph(rng, n)) for n in (30, 45, 60)]
    return cases


@checks.add("test_breadth_first", points=1)
def breadth_first(g: Grading) -> Items:
    cases = walk_cases(1704)
    reply = g.worker("stdlib", ["breadth_first"]).call("breadth_first", [c["graph"] for _, c in cases], seconds=60)
    items = g.items("breadth_first")
    for (kind, case), got in g.each(reply, cases):
        with items.case(f"the order differs from a breadth-first walk from the root, in {GRAPH_KINDS[kind]}"):
            assert type(got) is list and all(type(k) is int for k in got)
            assert got == case["bfs"]
    return items


@checks.add("test_path_counts", points=2)
def path_counts(g: Grading) -> list[Items]:
    cases = walk_cases(1705)
    worker = g.worker("stdlib", ["breadth_first", "path_counts"], substitute=["breadth_first"])
    groups = []
    # the graphs with many paths last, in a call of their own: following every path runs out of time
    for name, chosen, seconds in (("path_counts", [c for c in cases if c[0] != "many"], 60),
                                  ("path_counts with very many paths", [c for c in cases if c[0] == "many"], 30)):
        items = g.items(name)
        reply = worker.call("path_counts", [c["graph"] for _, c in chosen], seconds=seconds)
        for (kind, case), got in g.each(reply, chosen):
            hint = f"the number of paths to some leaf differs, in {GRAPH_KINDS[kind]}"
            if kind == "many":
                hint += " (too many paths to follow them one by one)"
            with items.case(hint):
                assert isinstance(got, dict) and set(got) == set(case["paths"])
                assert all(type(got[k]) is int and got[k] == n for k, n in case["paths"].items())
        groups.append(items)
    return groups
