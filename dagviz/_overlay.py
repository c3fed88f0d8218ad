"""Restyle a rendered `Graph` without touching `render.py`: highlight nodes, label edges.

`render.to_digraph` stays the one place that decides how a node looks; features that need
to mark a few nodes or edges on top of it (stepping through backward, diffs) build that
picture and then amend it. Graphviz merges repeated node statements, so node overrides
are appended; edge statements are amended in place (render emits one per `Graph.edges`
entry, in order).
"""

from __future__ import annotations

from graphviz import quoting

from .graph import Graph
from .render import DagGraph, to_digraph

Attrs = dict[str, str]


def _attrs(attrs: Attrs) -> str:
    return " ".join(f"{quoting.quote(k)}={quoting.quote(v)}" for k, v in attrs.items())


def _is_edge(line: str) -> bool:
    """`\tA -> B [...]`; a node line `\tA [label="x -> y"]` is not one."""
    parts = line.strip().split(" ", 2)
    return len(parts) >= 2 and parts[1] == "->"


def drawn_names(dot: DagGraph, graph: Graph) -> dict[str, list[str]]:
    """Graph node id -> the graphviz node names drawn for it (a shared leaf has one per use)."""
    declared: set[str] = set()
    for line in dot.body:
        if _is_edge(line) or not line.startswith("\t") or " [" not in line:
            continue
        declared.add(line.strip().split(" [", 1)[0].strip('"'))
    out: dict[str, list[str]] = {}
    for n in graph.nodes:
        if n.id in declared:
            out[n.id] = [n.id]
        else:
            copies = []
            k = 1
            while f"{n.id}_{k}" in declared:
                copies.append(f"{n.id}_{k}")
                k += 1
            out[n.id] = copies
    return out


def paint(
    graph: Graph,
    *,
    node_attrs: dict[str, Attrs] | None = None,
    edge_attrs: dict[int, Attrs] | None = None,
    show_grad: bool = False,
    title: str | None = None,
    graph_attr: dict[str, str] | None = None,
) -> DagGraph:
    """`to_digraph(graph)` with extra attributes for some nodes (by id) and edges (by index)."""
    dot = to_digraph(graph, show_grad=show_grad, title=title, graph_attr=graph_attr)
    if edge_attrs:
        edge_lines = [i for i, line in enumerate(dot.body) if _is_edge(line)]
        if len(edge_lines) != len(graph.edges):  # render changed its output: skip, never mislabel
            edge_attrs = {}
        for idx, extra in edge_attrs.items():
            if not extra:
                continue
            pos = edge_lines[idx]
            line = dot.body[pos].rstrip("\n")
            if line.endswith("]"):
                line = line[:-1] + " " + _attrs(extra) + "]"
            else:
                line = line + " [" + _attrs(extra) + "]"
            dot.body[pos] = line + "\n"
    if node_attrs:
        names = drawn_names(dot, graph)
        for nid, extra in node_attrs.items():
            for name in names.get(nid, []):
                dot.body.append(f"\t{quoting.quote(name)} [{_attrs(extra)}]\n")
    return dot
