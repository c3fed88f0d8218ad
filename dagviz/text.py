"""A text tree of the graph: for terminals, logs, and machines without Graphviz.

It reads from the roots toward the leaves, the order backward runs. A node that feeds
several others is printed once and referred to as ``[#k]`` afterwards, so shared
structure stays visible and the output stays linear in the graph's size.
"""

from __future__ import annotations

from .graph import Graph, Node, input_order
from .inputs import Params, Roots
from .kinds import grad_str, text_line
from .trace import trace


class TextTree(str):
    """A str whose repr is itself, so a notebook cell shows the tree, not an escaped line."""

    def __repr__(self) -> str:
        return str(self)


def _describe(n: Node, show_grad: bool) -> str:
    s = text_line(n)
    if show_grad and n.tensor is not None and n.tensor.grad is not None:
        s += f"  {grad_str(n.tensor.grad)}"
    return s


def format_graph(graph: Graph, show_grad: bool = False) -> TextTree:
    """Render an already traced `Graph` as a tree (iteratively: no recursion limit)."""
    by_id = {n.id: n for n in graph.nodes}
    inputs: dict[str, list[str]] = {n.id: [] for n in graph.nodes}
    consumers: dict[str, int] = {}
    for e in sorted(graph.edges, key=input_order):
        inputs[e.dst].append(e.src)
        consumers[e.src] = consumers.get(e.src, 0) + 1
    refs: dict[str, int] = {}
    printed: set[str] = set()
    lines: list[str] = []
    # stack items: (node id, prefix for its line, prefix for its children)
    stack = [(rid, "", "") for rid in reversed(graph.roots)]
    while stack:
        nid, head, tail = stack.pop()
        n = by_id[nid]
        if nid in printed:
            lines.append(f"{head}{n.name} [#{refs[nid]}] (shown above)")
            continue
        printed.add(nid)
        tag = ""
        if consumers.get(nid, 0) > 1 and n.kind in ("op", "leaf"):
            refs[nid] = len(refs) + 1
            tag = f" [#{refs[nid]}]"
        lines.append(f"{head}{_describe(n, show_grad)}{tag}")
        kids = inputs[nid]
        for i in reversed(range(len(kids))):
            last = i == len(kids) - 1
            stack.append((kids[i], tail + ("└─ " if last else "├─ "), tail + ("   " if last else "│  ")))
    return TextTree("\n".join(lines))


def text(roots: Roots, params: Params = None, show_grad: bool = False, show_saved: bool = False) -> TextTree:
    """The graph of `roots` as a text tree; works without Graphviz installed."""
    return format_graph(trace(roots, params, saved=show_saved, grads=show_grad), show_grad)
