"""Plain data for an autograd graph: what `trace` produces and `render`/`text` consume.

Nothing here refers to a tensor or an autograd node, so holding a `Graph` never keeps
memory alive, and two identical computations give equal `Graph` values.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

NodeKind = Literal["op", "leaf", "root", "nograd", "saved", "group", "ref"]
EdgeKind = Literal["data", "output", "nograd", "saved", "ref"]


@dataclass(frozen=True)
class GradMeta:
    """A gradient's summary: values only when small enough to read."""

    shape: tuple[int, ...]
    norm: float
    values: tuple[float, ...] | None = None


@dataclass(frozen=True)
class TensorMeta:
    """What a learner needs to know about a tensor, without the tensor."""

    label: str | None
    shape: tuple[int, ...]
    dtype: str
    requires_grad: bool = True
    is_view: bool = False
    grad: GradMeta | None = None


@dataclass(frozen=True)
class SavedMeta:
    """A tensor a backward function saved in the forward pass (or its freed slot).

    modified: an in-place operation changed it after it was saved, so backward would fail.
    packed: how a saved-tensor hook packed it ("recomputed in backward (checkpoint)"); such a
        tensor is never unpacked for drawing, so its shape is unknown.
    storage: saved tensors with the same number share memory (numbered in walk order), so a
        memory count adds each storage once.
    param: a parameter (from `params`) or a leaf that requires grad: memory that exists
        anyway, unlike an activation the forward pass made and backward keeps alive.
    """

    name: str
    freed: bool
    shape: tuple[int, ...] | None = None
    dtype: str | None = None
    modified: bool = False
    packed: str | None = None
    storage: int | None = None
    param: bool = False


@dataclass
class Node:
    """One box in the picture.

    kind: "op" (a backward Function such as MulBackward0), "leaf" (AccumulateGrad of a
    leaf tensor that requires grad), "root" (an output tensor you passed), "nograd" (an
    input that does not require grad, so autograd records no edge to it), "saved" (a saved
    tensor), "group" (several nodes collapsed into one, e.g. a module), "ref" (a note standing
    for far inputs whose edges `dagviz.layout` left out to keep the layout fast).
    """

    id: str
    kind: NodeKind
    name: str
    tensor: TensorMeta | None = None
    saved: tuple[SavedMeta, ...] = ()
    module: str | None = None
    attrs: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Edge:
    """An arrow in forward direction: `src` is an input of `dst`.

    slot: for data/nograd edges, the index of `src` in `dst`'s `next_functions`.
    kind "ref": from a "ref" note to the node whose far inputs it lists.
    """

    src: str
    dst: str
    kind: EdgeKind = "data"
    slot: int | None = None


def input_order(e: Edge) -> tuple[bool, int]:
    """Sort key for a node's inputs: `next_functions` slot order, saved tensors last."""
    return (e.kind == "saved", e.slot if e.slot is not None else -1)


@dataclass
class Graph:
    """Nodes in discovery order (breadth first from the roots), edges, and root ids.

    notes: what `dagviz.layout.fit` changed to keep the layout fast, shown in the caption.
    """

    nodes: list[Node]
    edges: list[Edge]
    roots: list[str]
    notes: list[str] = field(default_factory=list)

    def node(self, node_id: str) -> Node:
        for n in self.nodes:
            if n.id == node_id:
                return n
        raise KeyError(node_id)

    def functions(self) -> list[Node]:
        """The autograd Function nodes: exactly what a walk of `next_functions` visits."""
        return [n for n in self.nodes if n.kind in ("op", "leaf")]

    def leaves(self) -> list[Node]:
        return [n for n in self.nodes if n.kind == "leaf"]

    def arrows(self, kind: EdgeKind = "data") -> list[tuple[str, str]]:
        """(input id, consumer id) of every edge of `kind`, forward direction.

        The "data" arrows join backward functions: exactly the pairs a hand walk of
        `next_functions` finds. Lessons check statements about autograd with these instead
        of filtering `edges` by hand.
        """
        return [(e.src, e.dst) for e in self.edges if e.kind == kind]

    def arrow_names(self, kind: EdgeKind = "data") -> list[tuple[str, str]]:
        """The same arrows as (input name, consumer name), e.g. ("AccumulateGrad", "MulBackward0")."""
        name = {n.id: n.name for n in self.nodes}
        return [(name[src], name[dst]) for src, dst in self.arrows(kind)]

    def consumers(self, node_id: str, kind: EdgeKind = "data") -> list[str]:
        """Ids of the nodes that read `node_id`'s output: backward sends them nothing, they send it gradients."""
        return [dst for src, dst in self.arrows(kind) if src == node_id]

    def inputs_of(self, node_id: str) -> list[Edge]:
        """Edges into `node_id`, ordered by slot (the order of `next_functions`)."""
        ins = [e for e in self.edges if e.dst == node_id]
        return sorted(ins, key=input_order)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (for tests, tools, or saving a graph next to a picture)."""
        return {
            "nodes": [asdict(n) for n in self.nodes],
            "edges": [asdict(e) for e in self.edges],
            "roots": list(self.roots),
            "notes": list(self.notes),
        }

    def __repr__(self) -> str:
        kinds: dict[str, int] = {}
        for n in self.nodes:
            kinds[n.kind] = kinds.get(n.kind, 0) + 1
        parts = ", ".join(f"{v} {k}" for k, v in kinds.items())
        return f"Graph({len(self.nodes)} nodes: {parts}; {len(self.edges)} edges)"
