"""Draw a `Graph` with graphviz.

Color legend (also in the README):
- light grey box: a backward Function autograd will run (``MulBackward0``).
- light blue box: a leaf tensor that requires grad; its ``AccumulateGrad`` node writes ``.grad``.
- green box: a root, an output tensor you passed.
- dashed grey box: an input that does not require grad (a constant or a frozen
  parameter): autograd records no edge to it, so backward never reaches it.
- orange box: a tensor saved for backward (``show_saved``); dashed once backward freed it;
  red-bordered when an in-place op modified it after it was saved (backward would fail).
- ``grad = ...`` line: the gradient in ``.grad`` (``show_grad``): values when small, else shape and norm.
- lavender box: a leaf drawn once per use, because it is shared by many nodes (see below).
- khaki box: a group of nodes collapsed into one (a module, or folded repetition).
- white note "from #3-#9" (only when a graph is too costly to lay out as is): inputs that come
  from far above, the boxes marked "#3" ... "#9"; their long arrows were left out (see below).

Arrows point in the forward direction, from an input to what was computed from it;
backward runs against the arrows.

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
from collections.abc import Mapping
from typing import Any

import graphviz

from .graph import GradMeta, Graph, Node, TensorMeta
from .layout import shared_leaves

Attrs = dict[str, str]  # graphviz attributes of one node or edge

STYLE: dict[str, dict[str, str]] = {
    "op": {"shape": "box", "style": "filled", "fillcolor": "lightgrey"},
    "leaf": {"shape": "box", "style": "filled", "fillcolor": "lightblue"},
    "shared": {"shape": "box", "style": "filled", "fillcolor": "lavender"},
    "root": {"shape": "box", "style": "filled", "fillcolor": "darkolivegreen1"},
    "nograd": {"shape": "box", "style": "dashed", "color": "grey50", "fontcolor": "grey40"},
    "saved": {"shape": "box", "style": "filled", "fillcolor": "orange"},
    "freed": {"shape": "box", "style": "dashed", "color": "orange", "fontcolor": "grey40"},
    "modified": {"shape": "box", "style": "filled,bold", "fillcolor": "orange", "color": "red", "fontcolor": "red"},
    "group": {"shape": "box3d", "style": "filled", "fillcolor": "khaki"},
    "ref": {"shape": "note", "style": "filled", "fillcolor": "white", "color": "grey40", "fontcolor": "grey20"},
}
REF_EDGE = {"style": "dotted", "color": "grey40"}

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


def shape_str(shape: tuple[int, ...]) -> str:
    return "scalar" if shape == () else "(" + ", ".join(map(str, shape)) + (",)" if len(shape) == 1 else ")")


def _fmt(x: float) -> str:
    return f"{x:.4g}"


def grad_str(g: GradMeta) -> str:
    if g.values is not None:
        vals = ", ".join(_fmt(v) for v in g.values)
        return f"grad = {vals}" if g.shape == () else f"grad = [{vals}]"
    return f"grad {shape_str(g.shape)}, norm {_fmt(g.norm)}"


def tensor_str(t: TensorMeta) -> str:
    return f"{shape_str(t.shape)} {t.dtype}" + (" view" if t.is_view else "")


def saved_state(n: Node) -> str:
    if n.attrs.get("modified"):
        return "modified in place: backward will fail"
    if n.attrs.get("freed"):
        return "freed by backward"
    if n.attrs.get("packed"):
        return str(n.attrs["packed"])
    return tensor_str(n.tensor) if n.tensor else ""


def _label(n: Node, show_grad: bool) -> str:
    lines: list[str] = []
    if n.kind == "leaf":
        if n.tensor is not None:
            lines += [n.tensor.label or "leaf", tensor_str(n.tensor)]
        lines.append(n.name)
    elif n.kind == "root":
        lines.append(n.attrs.get("param", n.name))
        if n.tensor is not None:
            lines.append(tensor_str(n.tensor))
    elif n.kind == "nograd":
        lines.append(n.name)
        lines.append("frozen, no grad" if n.attrs.get("frozen") else "requires_grad=False")
    elif n.kind == "saved":
        lines.append(f"saved {n.name}")
        lines.append(saved_state(n))
    elif n.kind == "group":
        lines.append(n.name + (f" ({n.attrs['type']})" if n.attrs.get("type") else ""))
        if "count" in n.attrs:
            lines.append(f"{n.attrs['count']} nodes")
    elif n.kind == "ref":
        lines += textwrap.wrap(n.name, 32)
    else:
        lines.append(n.name)
    if show_grad and n.tensor is not None and n.tensor.grad is not None:
        lines.append(grad_str(n.tensor.grad))
    if "mark" in n.attrs and lines:
        lines[0] = f"#{n.attrs['mark']}  {lines[0]}"
    return "\n".join(line for line in lines if line)


def _style(n: Node) -> dict[str, str]:
    if n.kind == "saved" and n.attrs.get("modified"):
        return STYLE["modified"]
    if n.kind == "saved" and n.attrs.get("freed"):
        return STYLE["freed"]
    return STYLE[n.kind]


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
    attrs = {"rankdir": "TB", "ranksep": "0.3", "nodesep": "0.25", "size": "8,12"}
    caption = ([title] if title else []) + [line for note in graph.notes for line in textwrap.wrap(note, 100)]
    if caption:
        attrs.update(label="\n".join(caption), labelloc="t", fontsize="12")
    attrs.update(graph_attr or {})
    dot = DagGraph(
        graph_attr=attrs,
        node_attr={"fontname": "Helvetica", "fontsize": "10", "height": "0.2", "margin": "0.08,0.03"},
        edge_attr={"arrowsize": "0.6"},
    )
    uses: dict[str, int] = {}
    for e in graph.edges:
        uses[e.src] = uses.get(e.src, 0) + 1
    by_id = {n.id: n for n in graph.nodes}
    shared = shared_leaves(graph)
    folded = any(n.kind == "group" and "total_nodes" in n.attrs for n in graph.nodes)  # a summary hides steps

    for n in graph.nodes:
        if n.id in shared:
            continue  # drawn once per use below
        dot.node(n.id, _label(n, show_grad), **{**_style(n), **node_attrs.get(n.id, {})})

    seen: dict[str, int] = {}
    for i, e in enumerate(graph.edges):
        src = e.src
        if src in shared:
            k = seen[src] = seen.get(src, 0) + 1
            src = f"{e.src}_{k}"
            base = _label(by_id[e.src], show_grad)
            style = STYLE["shared"] if by_id[e.src].kind == "leaf" else STYLE["nograd"]
            # In a folded summary the hidden steps use the weight too: N counts the drawn uses only.
            count = f"use {k} of {uses[e.src]} drawn" if folded else f"use {k} of {uses[e.src]}"
            dot.node(src, f"{base}\n{count}", **{**style, **node_attrs.get(e.src, {})})
        kw: dict[str, Any] = {}
        if e.kind in ("nograd", "saved"):
            kw = {"style": "dashed", "color": "grey50" if e.kind == "nograd" else "orange", "arrowhead": "none"}
        elif e.kind == "output":
            kw = {"color": "darkolivegreen4"}
        elif e.kind == "ref":
            kw = dict(REF_EDGE)
        dot.edge(src, e.dst, **{**kw, **edge_attrs.get(i, {})})

    counts: dict[str, int] = {}
    for n in graph.nodes:
        counts[n.kind] = counts.get(n.kind, 0) + 1
    order = ["root", "op", "leaf", "nograd", "saved", "group", "ref"]
    parts = ", ".join(f"{counts[k]} {k}" for k in order if k in counts)
    dot.summary = f"graph: {len(graph.nodes)} nodes ({parts}), {len(graph.edges)} edges"
    if graph.notes:
        dot.summary += ", simplified to fit the layout budget"
    return dot
