# class: honest
# what: the same rules modelled with objects: a Tensor and a Family (memory and version counter) class, nodes as
#   objects numbered only at the end; a view's grad_fn is rebuilt eagerly for every view of a family each time its
#   counter moves (not lazily when used); backward_fails asks every reachable node for stale saves; breadth_first
#   with collections.deque; path_counts from graphlib's topological order
# flag: none
# %% answer record
NODE_NAMES = {"add": "AddBackward0", "mul": "MulBackward0", "exp": "ExpBackward0", "sigmoid": "SigmoidBackward0",
              "sum": "SumBackward0", "slice": "SliceBackward0", "select": "SelectBackward0", "view": "ViewBackward0",
              "add_": "AddBackward0", "mul_": "MulBackward0"}


class Node:
    def __init__(self, name, inputs=(), leaf=None, saves=()):
        self.name, self.inputs, self.leaf, self.saves = name, list(inputs), leaf, list(saves)


class Family:
    """One block of memory: one version counter, shared by a base, its views and their detach()es."""

    def __init__(self):
        self.version = 0
        self.views = []


class Tensor:
    def __init__(self, name, family, wants_grad=False, base=None):
        self.name, self.family, self.wants_grad, self.base = name, family, wants_grad, base
        self.fn = None  # grad_fn
        self.acc = None

    @property
    def needs_grad(self):
        return self.fn is not None or self.wants_grad

    def edge(self):
        if self.fn is not None:
            return self.fn
        if self.wants_grad:
            if self.acc is None:
                self.acc = Node("AccumulateGrad", leaf=self.name)
            return self.acc
        return None


def record(program):
    tensors = {}

    def edge(arg):
        return tensors[arg].edge() if isinstance(arg, str) else None

    def grad(arg):
        return isinstance(arg, str) and tensors[arg].needs_grad

    def bump(family):
        family.version += 1
        for view in family.views:  # every view of the family gets a fresh grad_fn right away
            view.fn = Node("AsStridedBackward0", [view.base.edge()]) if view.base.needs_grad else None

    for step in program:
        kind = step["op"]
        args = step.get("args", [])
        on = not step.get("no_grad") and any(grad(a) for a in args)
        if kind == "leaf":
            tensors[step["out"]] = Tensor(step["out"], Family(), step["requires_grad"])
        elif kind == "detach":
            tensors[step["out"]] = Tensor(step["out"], tensors[args[0]].family)
        elif kind in ("slice", "select", "view"):
            src = tensors[args[0]]
            view = Tensor(step["out"], src.family, base=src.base or src)
            if on:
                view.fn = Node(NODE_NAMES[kind], [src.edge()])
            src.family.views.append(view)
            tensors[step["out"]] = view
        elif kind in ("add_", "mul_", "setitem"):
            target = tensors[args[0]]
            if on:
                if target.base is not None or kind == "setitem":
                    owner = target.base or target
                    owner.fn = Node("CopySlices", [owner.edge(), edge(args[1])])
                else:
                    target.fn = Node(NODE_NAMES[kind], [target.edge(), edge(args[1])])
            bump(target.family)
        else:
            result = Tensor(step["out"], Family())
            if on:
                saves = []
                if kind in ("exp", "sigmoid"):
                    saves = [(result.family, 0)]
                elif kind == "mul":
                    left, right = args
                    if grad(right):
                        saves.append((tensors[left].family, tensors[left].family.version))
                    if grad(left) and isinstance(right, str):
                        saves.append((tensors[right].family, tensors[right].family.version))
                result.fn = Node(NODE_NAMES[kind], [edge(a) for a in args], saves=saves)
            tensors[step["out"]] = result

    numbers, plain = {}, []

    def number(node):
        if node is None:
            return None
        if id(node) not in numbers:
            numbers[id(node)] = len(plain)
            plain.append(node)
        return numbers[id(node)]

    def stale(start):
        pending, done = [start], set()
        while pending:
            node = pending.pop()
            if id(node) in done:
                continue
            done.add(id(node))
            if any(family.version != when for family, when in node.saves):
                return True
            pending.extend(n for n in node.inputs if n is not None)
        return False

    facts = {}
    for name, t in tensors.items():
        facts[name] = {"requires_grad": t.needs_grad, "is_leaf": t.fn is None, "grad_fn": number(t.fn),
                       "version": t.family.version, "backward_fails": stale(t.edge()) if t.needs_grad else None}
    out_nodes = []
    i = 0
    while i < len(plain):  # numbering a node's inputs appends them: walk until nothing new appears
        node = plain[i]
        out_nodes.append({"name": node.name, "next": [number(n) for n in node.inputs], "leaf": node.leaf})
        i += 1
    return {"tensors": facts, "nodes": out_nodes}
# %% answer breadth_first
from collections import deque


def breadth_first(graph):
    queue = deque([graph["root"]])
    visited = [graph["root"]]
    known = set(visited)
    while queue:
        current = queue.popleft()
        for child in graph["nodes"][current]["next"]:
            if child is None or child in known:
                continue
            known.add(child)
            visited.append(child)
            queue.append(child)
    return visited
# %% answer path_counts
import graphlib


def path_counts(graph):
    nodes = graph["nodes"]
    reachable = set(breadth_first(graph))
    # graphlib orders a node after its predecessors; make every node a predecessor of its next entries
    sorter = graphlib.TopologicalSorter()
    for k in reachable:
        sorter.add(k)
        for j in nodes[k]["next"]:
            if j is not None:
                sorter.add(j, k)
    count = {k: 0 for k in reachable}
    count[graph["root"]] = 1
    for k in sorter.static_order():
        for j in nodes[k]["next"]:
            if j is not None:
                count[j] += count[k]
    return {nodes[k]["leaf"]: c for k, c in count.items() if nodes[k]["name"] == "AccumulateGrad"}
