"""What each kind of box and arrow looks like and says: the one table of each.

`KINDS` has a row per kind of box (`graph.NodeKind`), and one per way `render` draws some boxes
of a kind (a shared leaf drawn once per use, a saved tensor backward freed or that was modified
in place): its Graphviz style, the words that explain it, its label in the picture and its line
in the text tree. `EDGES` has the style of each kind of arrow. Everything that shows a box or
explains one reads them: `render`, `text`, the explorer (its styles and legend), the CLI's
`--help`, and the README's legend, which `tools/readme_legend.py` writes from `readme_legend()`
and a test checks. So a new kind of box is a new row here (and its word in `graph.NodeKind`).

Arrows point in the forward direction, from an input to what was computed from it; backward
runs against them.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from dataclasses import dataclass

from .graph import EdgeKind, GradMeta, Node, TensorMeta

Attrs = dict[str, str]  # Graphviz attributes of one node or edge


# ---- the words on a box ---------------------------------------------------------------------


def shape_str(shape: tuple[int, ...]) -> str:
    return "scalar" if shape == () else "(" + ", ".join(map(str, shape)) + (",)" if len(shape) == 1 else ")")


def _fmt(x: float) -> str:
    return f"{x:.4g}"


def grad_str(g: GradMeta) -> str:
    """`grad = 1, 2` when small enough to read, else `grad (3, 4), norm 5.2`."""
    if g.values is not None:
        vals = ", ".join(_fmt(v) for v in g.values)
        return f"grad = {vals}" if g.shape == () else f"grad = [{vals}]"
    return f"grad {shape_str(g.shape)}, norm {_fmt(g.norm)}"


def tensor_str(t: TensorMeta) -> str:
    return f"{shape_str(t.shape)} {t.dtype}" + (" view" if t.is_view else "")


def saved_state(n: Node) -> str:
    """A saved tensor's shape, or why it has none (freed, modified, packed by a hook)."""
    if n.attrs.get("modified"):
        return "modified in place: backward will fail"
    if n.attrs.get("freed"):
        return "freed by backward"
    if n.attrs.get("packed"):
        return str(n.attrs["packed"])
    return tensor_str(n.tensor) if n.tensor else ""


def _nograd_state(n: Node) -> str:
    return "frozen, no grad" if n.attrs.get("frozen") else "requires_grad=False"


# Each kind's label lines (the box in the picture) and line (the text tree).


def _name_label(n: Node) -> list[str]:
    return [n.name]


def _name_line(n: Node) -> str:
    return n.name


def _leaf_label(n: Node) -> list[str]:
    t = n.tensor
    return [t.label or "leaf", tensor_str(t), n.name] if t else [n.name]


def _leaf_line(n: Node) -> str:
    t = n.tensor
    return f"{n.name}: {t.label or 'leaf'} {tensor_str(t)}" if t else n.name


def _root_label(n: Node) -> list[str]:
    return [n.attrs.get("param", n.name)] + ([tensor_str(n.tensor)] if n.tensor else [])


def _root_line(n: Node) -> str:
    return n.name + (f" {tensor_str(n.tensor)}" if n.tensor else "") + " [root]"


def _nograd_label(n: Node) -> list[str]:
    return [n.name, _nograd_state(n)]


def _nograd_line(n: Node) -> str:
    return f"{n.name} ({_nograd_state(n)})"


def _saved_label(n: Node) -> list[str]:
    return [f"saved {n.name}", saved_state(n)]


def _saved_line(n: Node) -> str:
    return f"saved {n.name}: {saved_state(n)}"


def _group_label(n: Node) -> list[str]:
    kind = f" ({n.attrs['type']})" if n.attrs.get("type") else ""
    return [n.name + kind] + ([f"{n.attrs['count']} nodes"] if "count" in n.attrs else [])


def _group_line(n: Node) -> str:
    return f"{n.name} [{n.attrs.get('count', '?')} nodes]"


NOTE_WIDTH = 32  # a "from #k" note's text is wrapped at this many characters (the explorer too)


def _ref_label(n: Node) -> list[str]:
    return textwrap.wrap(n.name, NOTE_WIDTH)


def _is_freed(n: Node) -> bool:
    return bool(n.attrs.get("freed")) and not n.attrs.get("modified")


def _is_modified(n: Node) -> bool:
    return bool(n.attrs.get("modified"))


# ---- the table ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Kind:
    """One kind of box: how it is drawn, the words that explain it, what it says.

    name: a `graph.NodeKind`, or a way of drawing some boxes of one (then `draws` names it).
    style: its Graphviz node attributes.
    colour: how a reader spots it ("light grey box"); legend: a few words (the explorer's
        legend, the CLI's help); explain: the README's sentence.
    label: the lines of its box; line: its line in `dagviz.text`.
    draws: for a way of drawing, the kind it draws (whose label and line it keeps); when: which
        of those boxes it draws (None: chosen by `render` itself, as shared leaves are).
    """

    name: str
    style: Attrs
    colour: str
    legend: str
    explain: str
    label: Callable[[Node], list[str]] = _name_label
    line: Callable[[Node], str] = _name_line
    draws: str | None = None
    when: Callable[[Node], bool] | None = None


KINDS: dict[str, Kind] = {
    k.name: k
    for k in (
        Kind(
            "root",
            {"shape": "box", "style": "filled", "fillcolor": "darkolivegreen1"},
            "green box",
            "output (root)",
            "a root: an output tensor you passed",
            _root_label,
            _root_line,
        ),
        Kind(
            "op",
            {"shape": "box", "style": "filled", "fillcolor": "lightgrey"},
            "light grey box",
            "backward Function",
            "a backward Function autograd will run (`MulBackward0`)",
        ),
        Kind(
            "leaf",
            {"shape": "box", "style": "filled", "fillcolor": "lightblue"},
            "light blue box",
            "leaf that requires grad",
            "a leaf tensor that requires grad, with its name, shape and dtype; its `AccumulateGrad` node "
            "writes `.grad`",
            _leaf_label,
            _leaf_line,
        ),
        Kind(
            "shared",
            {"shape": "box", "style": "filled", "fillcolor": "lavender"},
            "lavender box",
            "leaf drawn once per use",
            'a leaf used by many nodes (an RNN\'s shared weight), drawn once per use ("use k of N") to keep '
            "the layout fast",
            draws="leaf",
        ),
        Kind(
            "nograd",
            {"shape": "box", "style": "dashed", "color": "grey50", "fontcolor": "grey40"},
            "dashed grey box",
            "input without grad",
            "an input that does *not* require grad (a constant, or a frozen parameter, named when known): "
            "autograd records no edge to it, so backward never reaches it",
            _nograd_label,
            _nograd_line,
        ),
        Kind(
            "saved",
            {"shape": "box", "style": "filled", "fillcolor": "orange"},
            "orange box",
            "saved tensor",
            "a tensor saved for backward (`show_saved=True`)",
            _saved_label,
            _saved_line,
        ),
        Kind(
            "freed",
            {"shape": "box", "style": "dashed", "color": "orange", "fontcolor": "grey40"},
            "dashed orange box",
            "saved tensor, freed",
            "a saved tensor that backward already freed",
            draws="saved",
            when=_is_freed,
        ),
        Kind(
            "modified",
            {"shape": "box", "style": "filled,bold", "fillcolor": "orange", "color": "red", "fontcolor": "red"},
            "red-bordered orange box",
            "saved tensor, modified in place",
            "a saved tensor an in-place operation modified after it was saved: backward will fail",
            draws="saved",
            when=_is_modified,
        ),
        Kind(
            "group",
            {"shape": "box3d", "style": "filled", "fillcolor": "khaki"},
            "khaki box",
            "group (a module, folded steps)",
            "several nodes collapsed into one (a module with `depth=`, or folded repetition)",
            _group_label,
            _group_line,
        ),
        Kind(
            "ref",
            {"shape": "note", "style": "filled", "fillcolor": "white", "color": "grey40", "fontcolor": "grey20"},
            "white note",
            '"from #3-#9": inputs from the boxes marked #3 to #9 far above',
            'only in a graph too costly to lay out as is: "from #3-#9" lists inputs coming from the boxes '
            'marked "#3" to "#9" far above, drawn as a note instead of long arrows; the caption says what was '
            "simplified",
            _ref_label,
        ),
    )
}

# Arrows, by `graph.EdgeKind`: data flows between backward Functions (plain), into an output
# (green), from an input without grad or a saved tensor (dashed, no arrowhead: backward sends
# nothing there), and from a "from #k" note to the box whose far inputs it lists (dotted).
EDGES: dict[EdgeKind, Attrs] = {
    "data": {},
    "output": {"color": "darkolivegreen4"},
    "nograd": {"style": "dashed", "color": "grey50", "arrowhead": "none"},
    "saved": {"style": "dashed", "color": "orange", "arrowhead": "none"},
    "ref": {"style": "dotted", "color": "grey40"},
}


def look_of(n: Node) -> str:
    """The row `n` is drawn with: its kind's, or a way of drawing it whose `when` holds."""
    for k in KINDS.values():
        if k.draws == n.kind and k.when is not None and k.when(n):
            return k.name
    return n.kind


def style_of(n: Node) -> Attrs:
    """The style `n` is drawn with (its row's)."""
    return KINDS[look_of(n)].style


def label_lines(n: Node) -> list[str]:
    """The lines of `n`'s box (without the gradient and mark `render` may add)."""
    return KINDS[n.kind].label(n)


def text_line(n: Node) -> str:
    """`n`'s line in the text tree (without the gradient `text` may add)."""
    return KINDS[n.kind].line(n)


def legend_rows() -> list[tuple[str, str]]:
    """(colour, explanation) for each row, in table order: the README's legend."""
    return [(k.colour, k.explain) for k in KINDS.values()]


def readme_legend() -> str:
    """The README's legend table (between its `legend` markers), generated from `KINDS`."""
    rows = ["| box | meaning |", "|---|---|"] + [f"| {colour} | {explain} |" for colour, explain in legend_rows()]
    return "\n".join(rows) + "\n"


def cli_legend(width: int = 96) -> str:
    """The colours in a few words, for `python -m dagviz --help`."""
    words = "; ".join(f"{k.colour} = {k.legend}" for k in KINDS.values())
    return textwrap.fill(f"Boxes: {words}.", width)
