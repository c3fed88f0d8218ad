"""Hidden checks of `tiny_autodiff`: an autodiff engine for NumPy arrays, graded against PyTorch.

The student's cells run in the `numpy` worker: a Python with NumPy and nothing else, so an engine
that hands its work to PyTorch cannot even import it. References are PyTorch float64 autograd,
computed here. Each part is graded with the instructor's solution in place of the earlier parts
(`substitute`), so a wrong `unbroadcast` costs only Part 1's points.
"""

from __future__ import annotations

import numpy as np
import torch

from course_grading.points import Checks, Grading, Items, check_close

checks = Checks("tiny_autodiff", feedback_env="numpy")
ENGINE = ["imports", "unbroadcast", "ops"]


def _t(x) -> torch.Tensor:
    return torch.tensor(np.asarray(x, dtype=np.float64), requires_grad=True)


def _randn(rng, shape) -> np.ndarray:
    return np.array([rng.gauss(0, 1) for _ in range(int(np.prod(shape, dtype=int)))]).reshape(shape)


def _broadcast_pair(rng) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Two shapes that broadcast: a common shape, each side with some sizes set to 1 and leading axes dropped."""
    full = tuple(rng.randint(2, 4) for _ in range(rng.randint(1, 3)))
    sides = []
    for _ in range(2):
        shape = [1 if rng.random() < 0.35 else n for n in full]
        sides.append(tuple(shape[rng.randint(0, len(shape)):]) if rng.random() < 0.4 else tuple(shape))
    return sides[0], sides[1]


@checks.add("test_unbroadcast", points=1.5)
def unbroadcast(g: Grading) -> Items:
    rng = g.rng(301)
    cases = []
    for _ in range(40):
        target, _ = _broadcast_pair(rng)
        lead = tuple(rng.randint(2, 3) for _ in range(rng.randint(0, 2)))
        grad_shape = lead + tuple(n if n != 1 or rng.random() < 0.3 else rng.randint(2, 4) for n in target)
        cases.append({"grad": _randn(rng, grad_shape), "shape": list(target)})
    cases.append({"grad": _randn(rng, (3, 2)), "shape": []})  # to a scalar
    cases.append({"grad": _randn(rng, (2, 3)), "shape": [2, 3]})  # nothing to undo
    reply = g.worker("numpy", ["imports", "unbroadcast"]).call("unbroadcast", cases)
    items = g.items("unbroadcast")
    for case, got in g.each(reply, cases):
        with items.case("the result must have exactly the target shape and hold the sums over the copies"):
            want = torch.from_numpy(case["grad"]).sum_to_size(tuple(case["shape"])).numpy()
            check_close(got, want, rtol=1e-12, atol=1e-12)
    return items


def _local(g: Grading, name: str, cases: list[dict], hint: str) -> Items:
    """Grade the local backward step of one operation against torch, with the reference unbroadcast."""
    reply = g.worker("numpy", ENGINE, substitute=["unbroadcast"]).call("local_step", cases)
    items = g.items(name)
    for case, got in g.each(reply, cases):
        with items.case(hint):
            ins = [_t(x) for x in case["inputs"]]
            out = _torch_op(case["op"], ins, case.get("arg"))
            out.backward(torch.from_numpy(np.asarray(case["upstream"], dtype=np.float64)))
            check_close(got["value"], out.detach().numpy(), rtol=1e-12, atol=1e-13)
            if got["prev"] != list(range(len(ins))):
                raise AssertionError("_prev")
            for x, once, twice in zip(ins, got["once"], got["twice"], strict=True):
                # float64 analytic gradients agree to ~1e-15; a finite difference is off by ~1e-10
                check_close(once, x.grad.numpy(), rtol=1e-12, atol=1e-13)
                check_close(twice, 2 * x.grad.numpy(), rtol=1e-12, atol=1e-13)
    return items


def _torch_op(op, ins, arg):
    if op == "mul":
        return ins[0] * ins[1]
    if op == "matmul":
        return ins[0] @ ins[1]
    if op == "sum":
        axis = tuple(arg["axis"]) if isinstance(arg["axis"], list) else arg["axis"]
        return ins[0].sum() if axis is None and not arg["keepdims"] else (
            ins[0].sum(dim=axis if axis is not None else tuple(range(ins[0].dim())), keepdim=arg["keepdims"]))
    if op == "pow":
        return ins[0] ** arg
    if op == "relu":
        return torch.relu(ins[0])
    return getattr(torch, op)(ins[0])


def _case(rng, op, shapes, arg=None, positive=False):
    inputs = [_randn(rng, s) for s in shapes]
    if positive:
        inputs = [np.asarray(np.abs(x) + 0.2) for x in inputs]
    out = _torch_op(op, [torch.from_numpy(x) for x in inputs], arg)
    return {"op": op, "inputs": inputs, "arg": arg, "upstream": _randn(rng, tuple(out.shape))}


@checks.add("test_mul", points=1.5)
def mul(g: Grading) -> Items:
    rng = g.rng(302)
    cases = [_case(rng, "mul", _broadcast_pair(rng)) for _ in range(30)]
    cases += [_case(rng, "mul", [(3, 4), (3, 4)]), _case(rng, "mul", [(), (2, 3)])]
    return _local(g, "a * b with broadcasting", cases, "a * b: the value, _prev, or the gradients that _backward "
                  "adds (once and twice) are wrong for some shapes")


@checks.add("test_matmul", points=1.5)
def matmul(g: Grading) -> Items:
    rng = g.rng(303)
    cases = []
    for _ in range(25):
        n, k, m = (rng.randint(1, 6) for _ in range(3))
        cases.append(_case(rng, "matmul", [(n, k), (k, m)]))
    return _local(g, "a @ b", cases, "a @ b: the value, _prev, or the gradients of a and b are wrong for some "
                  "shapes (rectangular ones too)")


@checks.add("test_sum", points=1)
def total(g: Grading) -> Items:
    rng = g.rng(304)
    cases = []
    for _ in range(30):
        shape = tuple(rng.randint(1, 4) for _ in range(rng.randint(1, 3)))
        choice = rng.random()
        if choice < 0.25:
            axis = None
        elif choice < 0.75:
            axis = rng.randrange(-len(shape), len(shape))
        else:
            axis = sorted(rng.sample(range(len(shape)), rng.randint(1, len(shape))))
        cases.append(_case(rng, "sum", [shape], {"axis": axis, "keepdims": rng.random() < 0.5}))
    return _local(g, "sum(axis, keepdims)", cases, "sum: the value or the gradient is wrong for some axis and "
                  "keepdims settings (axis None, an int, a negative int or a tuple)")


@checks.add("test_elementwise", points=1)
def elementwise(g: Grading) -> Items:
    rng = g.rng(305)
    cases = []
    for _ in range(8):
        shape = tuple(rng.randint(1, 4) for _ in range(rng.randint(0, 2)))
        cases += [_case(rng, "tanh", [shape]), _case(rng, "exp", [shape]), _case(rng, "log", [shape], positive=True)]
        case = _case(rng, "relu", [shape])
        case["inputs"] = [np.asarray(np.where(np.abs(x) < 0.05, 0.5, x)) for x in case["inputs"]]  # not at the kink
        cases.append(case)
        k = rng.choice([2, 3, -1, -2])
        cases.append(_case(rng, "pow", [shape], k))
        cases.append(_case(rng, "pow", [shape], rng.choice([0.5, 1.5, 2.5]), positive=True))
    return _local(g, "tanh, exp, log, relu and **", cases, "tanh, exp, log, relu or ** (integer and fractional "
                  "exponents): a value or a gradient is wrong")


# ---- Parts 3 and 4: order, backward, training ---------------------------------------------------------------
def _program(rng, size: int, k: int = 3):
    """Random steps on k x k leaves; every node has shape (k, k) or (1, k), and every step is valid.

    `exp` only takes a leaf or a tanh (its values stay small), so nothing overflows.
    """
    shapes = [(k, k)] * 3
    small = [True] * 3
    steps = []
    for _ in range(size):
        n = len(shapes)
        op = rng.choice(["add", "mul", "tanh", "exp", "sum0", "matmul", "add", "mul"])
        i, j = rng.randrange(n), rng.randrange(n)
        if op == "exp":
            i = rng.choice([x for x in range(n) if small[x]])
        small.append(op == "tanh")
        if op == "matmul":
            square = [x for x in range(n) if shapes[x] == (k, k)]
            j = rng.choice(square)
            shape = shapes[i]
        elif op in ("add", "mul"):
            shape = (k, k) if (k, k) in (shapes[i], shapes[j]) else (1, k)
        elif op == "sum0":
            shape = (1, k)
        else:
            shape = shapes[i]
        steps.append([op, i, j])
        shapes.append(shape)
    leaves = [_randn(rng, (k, k)) * 0.7 for _ in range(3)]
    return steps, leaves


def _inputs_of(steps, leaves_count: int) -> list[list[int]]:
    inputs = [[] for _ in range(leaves_count)]
    for op, i, j in steps:
        inputs.append([i, j] if op in ("add", "mul", "matmul") else [i])
    return inputs


def _reachable(inputs, root: int) -> set[int]:
    seen, stack = {root}, [root]
    while stack:
        for p in inputs[stack.pop()]:
            if p not in seen:
                seen.add(p)
                stack.append(p)
    return seen


def _is_topological(order, inputs, root) -> bool:
    need = _reachable(inputs, root)
    if not isinstance(order, list) or sorted(order) != sorted(need) or len(set(order)) != len(order):
        return False
    position = {node: n for n, node in enumerate(order)}
    return all(position[p] < position[v] for v in need for p in inputs[v])


@checks.add("test_topo", points=1)
def topo(g: Grading) -> Items:
    rng = g.rng(306)
    cases = [dict(zip(("program", "leaves"), _program(rng, rng.randint(3, 25)), strict=True)) for _ in range(25)]
    chain = [["mul", 3 + n - 1 if n else 0, 1] for n in range(3000)]  # deep: recursion would fail
    cases.append({"program": chain, "leaves": [np.full((1, 1), 1.0)] * 3})
    reply = g.worker("numpy", [*ENGINE, "topo"], substitute=["unbroadcast", "ops"]).call("topo", cases, seconds=120)
    items = g.items("topological_order")
    for case, got in g.each(reply, cases):
        with items.case("every node the root depends on, each once, each after the nodes in its _prev (deep "
                        "graphs too: no recursion)"):
            inputs = _inputs_of(case["program"], len(case["leaves"]))
            assert _is_topological(got, inputs, len(inputs) - 1)
    return items


_TORCH_STEPS = {"add": lambda a, b: a + b, "mul": lambda a, b: a * b, "tanh": lambda a, b: a.tanh(),
                "exp": lambda a, b: a.exp(), "sum0": lambda a, b: a.sum(0, keepdim=True), "matmul": lambda a, b: a @ b}


def _torch_program(steps, leaves):
    nodes = [_t(x) for x in leaves]
    for op, i, j in steps:
        node = _TORCH_STEPS[op](nodes[i], nodes[j])
        node.retain_grad()
        nodes.append(node)
    root = nodes[-1].sum()
    root.backward()
    return [n.grad.numpy() if n.grad is not None else np.zeros(tuple(n.shape)) for n in nodes] + [np.array(1.0)]


@checks.add("test_backward", points=1.5)
def backward(g: Grading) -> list[Items]:
    rng = g.rng(307)
    cases = [{**dict(zip(("program", "leaves"), _program(rng, rng.randint(3, 14)), strict=True)), "reduce": True}
             for _ in range(25)]
    worker = g.worker("numpy", [*ENGINE, "topo", "backward"], substitute=["unbroadcast", "ops", "topo"])
    reply = worker.call("backward", cases)
    order, grads, again = g.items("order of the _backward calls"), g.items("gradients"), g.items("accumulation")
    for case, got in g.each(reply, cases):
        inputs = _inputs_of(case["program"], len(case["leaves"]))
        root = len(inputs)
        inputs.append([root - 1])  # the driver's .sum() of the last node
        need = _reachable(inputs, root)
        with order.case("each non-leaf node's _backward runs once, after every node that uses it"):
            calls = got["calls"]
            inner = [v for v in need if inputs[v]]
            assert all(calls.count(v) == 1 for v in inner) and all(c in need for c in calls)
            assert all(calls.count(v) <= 1 for v in calls)
            position = {v: n for n, v in enumerate(calls)}
            assert all(position[v] < position[p] for v in inner for p in inputs[v] if inputs[p])
        want = _torch_program(case["program"], case["leaves"])
        with grads.case("some .grad after backward() differs from PyTorch's"):
            for mine, ref in zip(got["grads"], want, strict=True):
                check_close(mine, ref, rtol=1e-9, atol=1e-10)
        with again.case("a second backward(): leaves must add up, other nodes must start from zero again"):
            for n, (mine, ref) in enumerate(zip(got["again"], want, strict=True)):
                check_close(mine, 2 * ref if not inputs[n] else ref, rtol=1e-9, atol=1e-10)
    shapes = [[2], [3, 1], [2, 2]]
    errors = worker.call("nonscalar", shapes)
    scalar = g.items("backward() of a tensor with more than one element")
    for _, got in g.each(errors, shapes):
        with scalar.case("raise ValueError when the root has more than one element"):
            assert got == "ValueError"
    return [order, grads, again, scalar]


def _torch_losses(case) -> list[float]:
    X, Y = torch.from_numpy(case["X"]), torch.from_numpy(case["Y"])
    params = [_t(case[k]) for k in ("W1", "b1", "W2", "b2")]
    losses = []
    for _ in range(case["steps"]):
        W1, b1, W2, b2 = params
        logits = torch.tanh(X @ W1 + b1) @ W2 + b2
        loss = torch.nn.functional.cross_entropy(logits, Y.argmax(1))
        losses.append(loss.item())
        loss.backward()
        with torch.no_grad():
            for p in params:
                p -= case["lr"] * p.grad
                p.grad = None
    return losses


@checks.add("test_train", points=1)
def train(g: Grading) -> Items:
    rng = g.rng(308)
    cases = []
    for _ in range(4):
        n, d, h, c = rng.randint(6, 20), rng.randint(2, 5), rng.randint(3, 8), rng.randint(2, 4)
        labels = [rng.randrange(c) for _ in range(n)]
        cases.append({"X": _randn(rng, (n, d)), "Y": np.eye(c)[labels], "W1": _randn(rng, (d, h)) * 0.5,
                      "b1": _randn(rng, (h,)) * 0.1, "W2": _randn(rng, (h, c)) * 0.5, "b2": _randn(rng, (c,)) * 0.1,
                      "lr": rng.choice([0.1, 0.3, 0.5]), "steps": rng.randint(5, 12)})
    big = cases[0].copy()
    big["X"] = big["X"] * 40.0  # large logits: the loss must stay finite (log-sum-exp with the max taken out)
    cases.append(big)
    worker = g.worker("numpy", [*ENGINE, "topo", "backward", "train"], substitute=["unbroadcast", "ops", "topo",
                                                                                 "backward"])
    reply = worker.call("train", cases)
    items = g.items("train")
    for case, got in g.each(reply, cases):
        with items.case("the losses differ from PyTorch's cross-entropy training, step by step (large logits "
                        "too)"):
            check_close(got, _torch_losses(case), rtol=1e-8, atol=1e-10)
    return items
