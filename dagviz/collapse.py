"""Make big graphs readable: one box per module (`collapse`), or fold repetition (`summarize`).

Both take a `Graph` and return a new, smaller `Graph` whose "group" nodes stand for many
nodes (``attrs["count"]``). An edge between two groups exists exactly when some edge
connected a node of one to a node of the other, so the picture keeps the data flow.
Everything is iterative and deterministic (ids follow the order of the input graph).
"""

from __future__ import annotations

import warnings
from collections import deque
from collections.abc import Collection, Iterator, Mapping

from .graph import Edge, Graph, Node, NodeKind

KEEP_STEPS = 3  # repeated steps drawn at each end of a folded repetition
MAX_PERIOD = 64  # longest repeated step searched for, in levels
SUMMARY_BUDGET = 400  # nodes kept by the fallback summary (without a repetition to fold)


def _fresh_ids(graph: Graph, prefix: str) -> Iterator[str]:
    taken = {n.id for n in graph.nodes}
    i = 0
    while True:
        cand = f"{prefix}{i}"
        i += 1
        if cand not in taken:
            yield cand


def regroup(graph: Graph, member_of: Mapping[str, int], groups: list[Node]) -> Graph:
    """Replace each node in `member_of` by `groups[member_of[id]]`; keep edges between groups.

    Edges inside a group disappear; parallel edges between the same pair are drawn once.
    """
    nodes: list[Node] = []
    placed: set[int] = set()
    for n in graph.nodes:
        gi = member_of.get(n.id)
        if gi is None:
            nodes.append(n)
        elif gi not in placed:
            placed.add(gi)
            nodes.append(groups[gi])
    edges: list[Edge] = []
    seen: set[tuple[str, str, str, int | None]] = set()
    for e in graph.edges:
        gs, gd = member_of.get(e.src), member_of.get(e.dst)
        if gs is not None and gs == gd:
            continue
        src = e.src if gs is None else groups[gs].id
        dst = e.dst if gd is None else groups[gd].id
        slot = None if gd is not None else e.slot
        kind = e.kind if gd is None or e.kind != "output" else "data"
        key = (src, dst, kind, slot)
        if key in seen:
            continue
        seen.add(key)
        edges.append(Edge(src, dst, kind, slot))
    return Graph(nodes, edges, list(graph.roots), list(graph.notes))


# ---- collapse by module ---------------------------------------------------------------------


def module_depth(path: str | None) -> int:
    """How deep a module path is: "layer1.0.conv1" is 3; the model itself ("") and None are 0."""
    return len([p for p in path.split(".") if p]) if path else 0


def deepest(graph: Graph, kind: NodeKind = "op") -> int:
    """The depth of the deepest module a node of `kind` comes from (0 without `dagviz.track`)."""
    return max((module_depth(n.module) for n in graph.nodes if n.kind == kind), default=0)


def _prefix(path: str | None, depth: int) -> str | None:
    """The module at `depth` around `path` ("layer1" for "layer1.0.conv1" at 1), None if shallower."""
    if path is None:
        return None
    if depth == 0:
        return ""
    if module_depth(path) < depth:
        return None
    return ".".join([p for p in path.split(".") if p][:depth])


def _param_module(n: Node) -> str | None:
    """A leaf or frozen input named `layer1.0.conv1.weight` belongs to `layer1.0.conv1`."""
    if n.module is not None:
        return n.module
    label = n.tensor.label if n.kind == "leaf" and n.tensor is not None else n.name if n.kind == "nograd" else None
    if label and "." in label:
        return label.rsplit(".", 1)[0]
    return None


def _find(parent: dict[str, str], x: str) -> str:
    root = x
    while parent[root] != root:
        root = parent[root]
    while parent[x] != root:
        parent[x], x = root, parent[x]
    return root


def _op_runs(graph: Graph, depth: int) -> tuple[dict[str, str], dict[str, str]]:
    """(op id -> its module at `depth`, op id -> its run): a run is a connected set of ops of one
    module, named by one of them, so a module called twice gets two runs."""
    key = {n.id: k for n in graph.nodes if n.kind == "op" and (k := _prefix(n.module, depth)) is not None}
    parent = {nid: nid for nid in key}
    for e in graph.edges:
        if e.src in key and e.dst in key and key[e.src] == key[e.dst]:
            a, b = _find(parent, e.src), _find(parent, e.dst)
            if a != b:
                parent[b] = a
    return key, {nid: _find(parent, nid) for nid in key}


def _join_inputs(graph: Graph, depth: int, key: dict[str, str], run: dict[str, str]) -> None:
    """Add to `run` (and `key`) the inputs that belong inside one run's box.

    Parameters (and frozen ones) named after the module, and saved tensors, join its box. A
    constant ("no grad", e.g. a conv's missing bias) joins too, unless it is the only data coming
    into the box: then the first one is the input (an image, or where freezing cut the graph).
    """
    consumers: dict[str, list[str]] = {}
    for e in graph.edges:
        consumers.setdefault(e.src, []).append(e.dst)
    kinds = {n.id: n.kind for n in graph.nodes}
    fed = {run[e.dst] for e in graph.edges if e.dst in run and kinds[e.src] == "op" and run.get(e.src) != run[e.dst]}
    shown: set[str] = set()
    for n in graph.nodes:
        if n.kind not in ("leaf", "nograd", "saved"):
            continue
        dsts = {run.get(d) for d in consumers.get(n.id, [])}
        if len(dsts) != 1 or None in dsts:
            continue
        (c,) = dsts
        assert c is not None
        own = _prefix(_param_module(n), depth)
        constant = n.kind == "nograd" and own is None and (c in fed or c in shown)
        if n.kind == "nograd" and own is None:
            shown.add(c)  # an unfed box keeps its first constant (slot order) visible
        if own == key[c] or n.kind == "saved" or constant:
            run[n.id] = c
            key[n.id] = key[c]


def collapse(graph: Graph, depth: int, modules: Mapping[str, str] | None = None) -> Graph:
    """One "group" node per module at `depth` (1: `layer1`, 2: `layer1.0`, ...).

    Needs `Node.module`, which a forward under `dagviz.track(model)` records. Ops of a
    module are grouped with the parameters named after it (`params=model`). Ops of
    shallower modules stay visible (e.g. a residual add of `layer1.0` at depth 3), and a
    module called several times gets one box per connected run of its ops.
    modules: optional path -> class name (e.g. from `model.named_modules()`), kept in
    `attrs["type"]`.
    """
    if depth < 0:
        raise ValueError(f"dagviz.collapse: depth must be >= 0 (1 = top-level modules), got {depth}.")
    if not any(n.module for n in graph.nodes if n.kind in ("op", "group")):
        warnings.warn(
            "dagviz: depth= needs to know which module made each node, and this graph has no such "
            "information. Run the forward pass under `with dagviz.track(model):` and draw that output.",
            UserWarning,
            stacklevel=3,
        )
    key, run = _op_runs(graph, depth)
    _join_inputs(graph, depth, key, run)
    members: dict[str, list[str]] = {}
    for n in graph.nodes:
        if n.id in run:
            members.setdefault(run[n.id], []).append(n.id)
    ids = _fresh_ids(graph, "g")
    groups: list[Node] = []
    member_of: dict[str, int] = {}
    for c, mids in members.items():
        if len(mids) < 2:
            continue  # a box for one node hides its name for nothing
        path = key[c]
        attrs: dict[str, object] = {"count": len(mids), "members": tuple(mids)}
        if modules is not None and path in modules:
            attrs["type"] = modules[path]
        groups.append(Node(next(ids), "group", path or "model", module=path, attrs=attrs))
        member_of.update(dict.fromkeys(mids, len(groups) - 1))
    return regroup(graph, member_of, groups)


# ---- fold repetition ------------------------------------------------------------------------


def levels(graph: Graph) -> dict[str, int]:
    """Shortest number of backward steps from a root to each node (roots are 0)."""
    inputs: dict[str, list[str]] = {}
    for e in graph.edges:
        inputs.setdefault(e.dst, []).append(e.src)
    dist = {r: 0 for r in graph.roots}
    queue = deque(graph.roots)
    while queue:
        nid = queue.popleft()
        for src in inputs.get(nid, []):
            if src not in dist:
                dist[src] = dist[nid] + 1
                queue.append(src)
    last = max(dist.values(), default=0) + 1
    for n in graph.nodes:  # unreachable nodes (none from trace) go last
        dist.setdefault(n.id, last)
    return dist


def depths(graph: Graph, skip: Collection[str] = ()) -> dict[str, int]:
    """Longest number of backward steps from a root to each node: where dot draws it, counted
    from the bottom. Unlike `levels`, a long skip edge does not pull its source near the roots.

    skip: nodes whose edges count for nothing (`layout` draws shared leaves once per use, so
    they hang right above each consumer); they get 0.
    """
    consumers: dict[str, int] = {n.id: 0 for n in graph.nodes}
    inputs: dict[str, list[str]] = {}
    for e in graph.edges:
        if e.src not in skip:
            consumers[e.src] += 1
            inputs.setdefault(e.dst, []).append(e.src)
    depth = {nid: 0 for nid, k in consumers.items() if k == 0}
    queue = deque(depth)
    while queue:
        nid = queue.popleft()
        for src in inputs.get(nid, []):
            depth[src] = max(depth.get(src, 0), depth[nid] + 1)
            consumers[src] -= 1
            if consumers[src] == 0:
                queue.append(src)
    for n in graph.nodes:  # only a hand-made cycle leaves nodes without a depth
        depth.setdefault(n.id, 0)
    return depth


def find_period(signatures: list[int]) -> tuple[int, int, int] | None:
    """(period, first level, number of whole periods) of the longest repeated run of levels."""
    best: tuple[int, int, int] | None = None
    best_len = 0
    n = len(signatures)
    for p in range(1, min(MAX_PERIOD, n // 4) + 1):
        run = 0
        for d in range(n - p - 1, -1, -1):  # run of matches starting at d
            run = run + 1 if signatures[d] == signatures[d + p] else 0
            covered = run + p
            reps = covered // p
            if reps >= 2 * KEEP_STEPS + 2 and reps * p > best_len:
                best_len = reps * p
                best = (p, d, reps)
    return best


def _fold(graph: Graph, folded: list[str], name: str, attrs: dict[str, object]) -> Graph:
    gid = next(_fresh_ids(graph, "fold"))
    group = Node(gid, "group", name, attrs={"count": len(folded), "members": tuple(folded), **attrs})
    return regroup(graph, {nid: 0 for nid in folded}, [group])


def summarize(graph: Graph, max_nodes: int) -> Graph:
    """Shrink a graph with more than `max_nodes` nodes into a readable summary.

    An unrolled loop repeats the same layers of nodes: the first and last `KEEP_STEPS`
    repetitions are kept and the middle becomes one khaki box "... k repeated steps folded
    ...". Without repetition, the levels nearest the roots and nearest the inputs (by longest
    path, `depths`) are kept and the middle is folded into one box that says how many nodes
    it hides.
    """
    if len(graph.nodes) <= max_nodes:
        return graph
    dist = levels(graph)
    by_level: dict[int, list[str]] = {}
    kind_name = {n.id: (n.kind, n.name) for n in graph.nodes}
    for n in graph.nodes:
        by_level.setdefault(dist[n.id], []).append(n.id)
    depth = max(by_level) + 1
    sigs = [hash(tuple(sorted(kind_name[i] for i in by_level.get(d, [])))) for d in range(depth)]
    found = find_period(sigs)
    if found is not None:
        p, first, reps = found
        lo, hi = first + KEEP_STEPS * p, first + (reps - KEEP_STEPS) * p
        folded = [nid for d in range(lo, hi) for nid in by_level.get(d, [])]
        k = reps - 2 * KEEP_STEPS
        out = _fold(
            graph,
            folded,
            f"... {k} repeated steps folded ...",
            {"folded_steps": k, "period": p, "total_nodes": len(graph.nodes)},
        )
        if len(out.nodes) <= max_nodes:
            return out
        graph = out  # still too big: fold what is left, below
    # Keep the top and the bottom of the picture: levels by longest path, so that dense skip
    # connections (every layer feeding the last one) do not put every node next to the root.
    dist = depths(graph)
    by_level = {}
    for n in graph.nodes:
        by_level.setdefault(dist[n.id], []).append(n.id)
    depth = max(by_level) + 1
    budget = max(2, min(max_nodes, SUMMARY_BUDGET) // 2)
    keep: set[str] = set(graph.roots)
    count = 0
    d = 0
    while d < depth and count + len(by_level.get(d, [])) <= budget:
        keep.update(by_level.get(d, []))
        count += len(by_level.get(d, []))
        d += 1
    count = 0
    d2 = depth - 1
    while d2 >= d and count + len(by_level.get(d2, [])) <= budget:
        keep.update(by_level.get(d2, []))
        count += len(by_level.get(d2, []))
        d2 -= 1
    folded = [n.id for n in graph.nodes if n.id not in keep]
    if not folded:
        return graph
    return _fold(
        graph,
        folded,
        f"... {len(folded)} nodes folded (graph too big to draw) ...",
        {"total_nodes": len(graph.nodes)},
    )
