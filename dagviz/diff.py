"""What changed between two graphs: e.g. a model before and after freezing, `detach()`, `no_grad`.

Two separate forward passes share no autograd nodes, so nodes are matched by *structure*:
roots by position, then, walking from matched nodes toward the inputs, the input in the
same slot of `next_functions` with the same kind, name and tensor label. The walk is
breadth first in slot order, so the matching is deterministic and never uses memory
addresses. Whatever is left unmatched was removed (only in `before`) or added (only in
`after`).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from .draw import module_types, prepare
from .graph import Edge, Graph, Node
from .inputs import Params, Roots
from .kinds import Attrs
from .layout import BUDGET, carry_edge_attrs, fit
from .render import DagGraph, require_dot, to_digraph

REMOVED = {"color": "red3", "fontcolor": "red3", "style": "dashed,filled", "fillcolor": "mistyrose", "penwidth": "1.5"}
ADDED = {"color": "green4", "penwidth": "3"}
REMOVED_EDGE = {"color": "red3", "style": "dashed"}
ADDED_EDGE = {"color": "green4", "penwidth": "2"}


@dataclass
class GraphDiff:
    """The matching between two graphs and what is only in one of them (plain data)."""

    before: Graph
    after: Graph
    matched: dict[str, str] = field(default_factory=dict)  # before id -> after id
    removed: list[str] = field(default_factory=list)  # before ids with no match
    added: list[str] = field(default_factory=list)  # after ids with no match
    removed_edges: list[Edge] = field(default_factory=list)  # edges of `before` missing in `after`
    added_edges: list[Edge] = field(default_factory=list)  # edges of `after` missing in `before`

    def is_empty(self) -> bool:
        return not (self.removed or self.added or self.removed_edges or self.added_edges)

    def removed_nodes(self) -> list[Node]:
        """The nodes only `before` has, in its discovery order (what freezing or detach took away)."""
        gone = set(self.removed)
        return [n for n in self.before.nodes if n.id in gone]

    def added_nodes(self) -> list[Node]:
        """The nodes only `after` has, in its discovery order."""
        new = set(self.added)
        return [n for n in self.after.nodes if n.id in new]

    def common_nodes(self) -> list[Node]:
        """The nodes of `after` that have a match in `before`, in `after`'s order."""
        kept = set(self.matched.values())
        return [n for n in self.after.nodes if n.id in kept]

    def summary(self) -> str:
        if self.is_empty():
            return "no difference"
        return (
            f"{len(self.removed)} nodes removed, {len(self.added)} added, {len(self.matched)} in both; "
            f"{len(self.removed_edges)} edges removed, {len(self.added_edges)} added"
        )

    def __repr__(self) -> str:
        return f"GraphDiff({self.summary()})"


def _key(n: Node) -> tuple[str, str, str | None]:
    label = n.tensor.label if n.tensor is not None and n.kind != "root" else None
    return (n.kind, n.name, label)


def _inputs(graph: Graph) -> dict[str, list[tuple[tuple[str, object], str]]]:
    """dst -> [(position, src)]: a slot for data/nograd edges, the name for saved tensors."""
    by_id = {n.id: n for n in graph.nodes}
    out: dict[str, list[tuple[tuple[str, object], str]]] = {}
    for e in graph.edges:
        if e.kind == "saved":
            pos: tuple[str, object] = ("saved", by_id[e.src].name)
        elif e.kind == "output":
            pos = ("output", 0)
        else:
            pos = ("slot", e.slot if e.slot is not None else by_id[e.src].name)
        out.setdefault(e.dst, []).append((pos, e.src))
    return out


def compare(before: Graph, after: Graph) -> GraphDiff:
    """Match `before` against `after` by structure and list what differs."""
    b_nodes = {n.id: n for n in before.nodes}
    a_nodes = {n.id: n for n in after.nodes}
    b_in, a_in = _inputs(before), _inputs(after)
    matched: dict[str, str] = {}
    taken: set[str] = set()
    queue: deque[tuple[str, str]] = deque()

    def match(b: str, a: str) -> None:
        if b in matched or a in taken or _key(b_nodes[b]) != _key(a_nodes[a]):
            return
        matched[b] = a
        taken.add(a)
        queue.append((b, a))

    for b, a in zip(before.roots, after.roots, strict=False):
        match(b, a)
    while queue:
        b, a = queue.popleft()
        a_by_pos: dict[tuple[str, object], list[str]] = {}
        for pos, src in a_in.get(a, []):
            a_by_pos.setdefault(pos, []).append(src)
        for pos, src in b_in.get(b, []):
            cands = a_by_pos.get(pos, [])
            for cand in cands:
                if cand not in taken and _key(a_nodes[cand]) == _key(b_nodes[src]):
                    match(src, cand)
                    break

    result = GraphDiff(before, after, matched)
    result.removed = [n.id for n in before.nodes if n.id not in matched]
    result.added = [n.id for n in after.nodes if n.id not in taken]
    a_edges = {(e.src, e.dst, e.kind) for e in after.edges}
    mapped = set()
    for e in before.edges:
        key = (matched.get(e.src), matched.get(e.dst), e.kind)
        mapped.add(key)
        if key not in a_edges:
            result.removed_edges.append(e)
    result.added_edges = [e for e in after.edges if (e.src, e.dst, e.kind) not in mapped]
    return result


def merged(d: GraphDiff) -> tuple[Graph, dict[str, Attrs], dict[int, Attrs]]:
    """One graph holding both sides (after's nodes, plus what only `before` had), and styles."""
    bmap = {bid: "a_" + aid for bid, aid in d.matched.items()}
    bmap.update({bid: "b_" + bid for bid in d.removed})
    nodes = [_renamed(n, "a_" + n.id) for n in d.after.nodes]
    nodes += [_renamed(n, "b_" + n.id) for n in d.before.nodes if n.id in set(d.removed)]
    edges = [Edge("a_" + e.src, "a_" + e.dst, e.kind, e.slot) for e in d.after.edges]
    added_edges = {(e.src, e.dst, e.kind, e.slot) for e in d.added_edges}
    edge_attrs: dict[int, Attrs] = {}
    for i, e in enumerate(d.after.edges):
        if (e.src, e.dst, e.kind, e.slot) in added_edges:
            edge_attrs[i] = dict(ADDED_EDGE)
    for e in d.removed_edges:
        edge_attrs[len(edges)] = dict(REMOVED_EDGE)
        edges.append(Edge(bmap[e.src], bmap[e.dst], e.kind, e.slot))
    node_attrs: dict[str, Attrs] = {"b_" + bid: dict(REMOVED) for bid in d.removed}
    node_attrs.update({"a_" + aid: dict(ADDED) for aid in d.added})
    return Graph(nodes, edges, ["a_" + r for r in d.after.roots]), node_attrs, edge_attrs


def _renamed(n: Node, new_id: str) -> Node:
    return Node(new_id, n.kind, n.name, n.tensor, n.saved, n.module, dict(n.attrs))


def diff(
    before: Graph | Roots,
    after: Graph | Roots,
    params: Params = None,
    *,
    depth: int | None = None,
    budget: float | None = BUDGET,
    title: str | None = None,
) -> DagGraph:
    """One picture of two graphs: red dashed = only in `before`, bold green = only in `after`.

    before, after: tensors (or tuples/dicts of them) or `Graph`s from `dagviz.trace`.
    params: names leaves and frozen inputs (e.g. the model).
    depth: collapse both graphs by module first (forwards run under `dagviz.track`), exactly
        as `draw(..., depth=)` does (module types from `params` when it is the model).
    budget: layout cost allowed for the merged picture, as in `draw`.
    The returned Digraph has `.diff`, the `GraphDiff` with the exact lists.
    """
    require_dot()
    sides = [prepare(x, params, depth=depth, max_nodes=None, budget=None) for x in (before, after)]
    d = compare(*sides)
    graph, node_attrs, edge_attrs = merged(d)
    drawn = fit(graph, budget, modules=module_types(params))
    edge_attrs = carry_edge_attrs(graph, drawn, edge_attrs)
    caption = title if title is not None else f"diff: {d.summary()}  (red dashed: removed, bold green: added)"
    dot = to_digraph(drawn, node_attrs=node_attrs, edge_attrs=edge_attrs, title=caption)
    dot.summary = f"diff: {d.summary()}"
    dot.diff = d
    return dot
