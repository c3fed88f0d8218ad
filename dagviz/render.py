"""Draw a `Graph` with graphviz.

What each box and arrow looks like, and what it means, is `dagviz.kinds`' table (its legend:
`python -m dagviz.kinds`). A ``grad = ...`` line (``show_grad``) is the gradient in ``.grad``:
values when small, else shape and norm.

Layout: graphviz ranks nodes by longest path, and an edge spanning many ranks becomes a
chain of virtual nodes that crossing minimisation must place. A weight shared by every step
of an unrolled RNN creates one such long edge per step, which makes dot's layout explode
(minutes for 60 steps). Drawing a shared leaf once per use keeps every edge short; the
lavender color and the "use k of N" label say it is one tensor (in a folded summary, "use k of N drawn":
the hidden steps use it too). Dense skip connections (DenseNet's concatenations) make the same
explosion; `dagviz.layout` estimates the cost first and, over budget, draws the far inputs as
notes; the caption says so.
"""

from __future__ import annotations

import shutil
import textwrap
from collections import Counter
from collections.abc import Mapping

import graphviz

from .graph import Graph, Node
from .kinds import EDGES, KINDS, Attrs, grad_str, label_lines, style_of
from .layout import is_summary, shared_leaves

GRAPH_ATTR: Attrs = {"rankdir": "TB", "ranksep": "0.3", "nodesep": "0.25", "size": "8,12"}
NODE_ATTR: Attrs = {"fontname": "Helvetica", "fontsize": "10", "height": "0.2", "margin": "0.08,0.03"}
EDGE_ATTR: Attrs = {"arrowsize": "0.6"}
CAPTION_WIDTH = 100  # each caption note is wrapped at this many characters (the explorer too)

INSTALL_DOT = (
    "Install Graphviz's `dot` program: Debian/Ubuntu `sudo apt-get install graphviz`, "
    "macOS `brew install graphviz`, conda `conda install -c conda-forge graphviz` "
    "(then restart the kernel). Meanwhile `print(dagviz.text(tensor))` shows the same graph as text."
)


class DotNotFoundError(RuntimeError):
    """Graphviz's `dot` binary is missing, so a graph can be built but not laid out."""


def require_dot() -> None:
    if shutil.which("dot") is None:
        raise DotNotFoundError("Graphviz's `dot` program was not found on PATH. " + INSTALL_DOT)


class DagGraph(graphviz.Digraph):
    """A graphviz.Digraph with a stable repr (no memory address) for notebooks and tests."""

    summary: str = ""

    def __repr__(self) -> str:
        return f"<dagviz {self.summary}>"


def label(n: Node, show_grad: bool) -> str:
    """The text of `n`'s box: its kind's lines, then its gradient, and "#k" when marked."""
    lines = label_lines(n)
    if show_grad and n.tensor is not None and n.tensor.grad is not None:
        lines.append(grad_str(n.tensor.grad))
    if "mark" in n.attrs and lines:
        lines[0] = f"#{n.attrs['mark']}  {lines[0]}"
    return "\n".join(line for line in lines if line)


def caption(graph: Graph, title: str | None) -> list[str]:
    """The lines above the picture: the title, then what `dagviz.layout.fit` changed."""
    return ([title] if title else []) + [line for note in graph.notes for line in textwrap.wrap(note, CAPTION_WIDTH)]


def summary(graph: Graph) -> str:
    """One line for `repr`: nodes by kind, edges, and whether the layout budget simplified it."""
    counts: Counter[str] = Counter(n.kind for n in graph.nodes)
    parts = ", ".join(f"{counts[k]} {k}" for k in KINDS if k in counts)
    text = f"graph: {len(graph.nodes)} nodes ({parts}), {len(graph.edges)} edges"
    return text + (", simplified to fit the layout budget" if graph.notes else "")


def _shared_copy(n: Node, k: int, uses: int, folded: bool, show_grad: bool) -> tuple[str, Attrs]:
    """Label and style of the k-th drawn copy of a leaf (or constant) drawn once per use."""
    # In a folded summary the hidden steps use the weight too: N counts the drawn uses only.
    count = f"use {k} of {uses} drawn" if folded else f"use {k} of {uses}"
    style = KINDS["shared"].style if n.kind == "leaf" else KINDS["nograd"].style
    return f"{label(n, show_grad)}\n{count}", style


def to_digraph(
    graph: Graph,
    *,
    show_grad: bool = False,
    title: str | None = None,
    graph_attr: dict[str, str] | None = None,
    node_attrs: Mapping[str, Attrs] | None = None,
    edge_attrs: Mapping[int, Attrs] | None = None,
) -> DagGraph:
    """Build the graphviz object for `graph` (no `dot` needed until it is rendered).

    node_attrs / edge_attrs: extra graphviz attributes for some nodes (by id; every copy of a
    shared leaf) and edges (by index in `graph.edges`), on top of the legend's styles. Stepping
    through backward and diffs mark nodes and label edges this way.
    """
    node_attrs = node_attrs or {}
    edge_attrs = edge_attrs or {}
    attrs = dict(GRAPH_ATTR)
    lines = caption(graph, title)
    if lines:
        attrs.update(label="\n".join(lines), labelloc="t", fontsize="12")
    dot = DagGraph(graph_attr={**attrs, **(graph_attr or {})}, node_attr=dict(NODE_ATTR), edge_attr=dict(EDGE_ATTR))
    shared = shared_leaves(graph)
    for n in graph.nodes:
        if n.id not in shared:  # a shared leaf is drawn once per use, with its edges below
            dot.node(n.id, label(n, show_grad), **{**style_of(n), **node_attrs.get(n.id, {})})
    uses = Counter(e.src for e in graph.edges if e.src in shared)
    folded = is_summary(graph)  # its hidden steps use the shared leaves too
    by_id = {n.id: n for n in graph.nodes}
    drawn: Counter[str] = Counter()
    for i, e in enumerate(graph.edges):
        src = e.src
        if src in shared:
            drawn[src] += 1
            src = f"{e.src}_{drawn[e.src]}"
            text, style = _shared_copy(by_id[e.src], drawn[e.src], uses[e.src], folded, show_grad)
            dot.node(src, text, **{**style, **node_attrs.get(e.src, {})})
        dot.edge(src, e.dst, **{**EDGES[e.kind], **edge_attrs.get(i, {})})
    dot.summary = summary(graph)
    return dot
