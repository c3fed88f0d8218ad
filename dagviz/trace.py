"""Walk an autograd graph into plain data, breadth first and without recursion.

Ids are given in discovery order ("n0", "n1", ...), so the same computation always
yields the same ids, whatever the memory addresses of its nodes.
"""

from __future__ import annotations

from collections import deque
from typing import Any

import torch

from . import _torch
from .graph import Edge, GradMeta, Graph, Node, SavedMeta, TensorMeta
from .inputs import Params, Roots, normalize_params, normalize_roots

SMALL = 8  # tensors with at most this many elements show their gradient values
# How a saved tensor that a saved-tensor hook packed is described (it is never unpacked here).
PACKED: dict[str, str] = {
    _torch.RECOMPUTED: "recomputed in backward (checkpoint)",
    _torch.HOOKED: "packed by a saved-tensor hook",
}


def _shape(t: torch.Tensor) -> tuple[int, ...]:
    return tuple(int(s) for s in t.shape)


def _dtype(t: torch.Tensor) -> str:
    return str(t.dtype).replace("torch.", "")


def grad_meta(g: torch.Tensor | None) -> GradMeta | None:
    """Plain-data summary of a gradient (values only when it has at most SMALL elements)."""
    if g is None:
        return None
    g = g.detach()
    values = None
    if g.numel() <= SMALL:
        values = tuple(round(float(v), 6) for v in g.reshape(-1).tolist())
    return GradMeta(_shape(g), round(float(g.double().norm()), 6), values)


def _storage(t: torch.Tensor) -> int | None:
    try:
        return t.untyped_storage().data_ptr()
    except (RuntimeError, NotImplementedError):  # a tensor without storage (meta, sparse)
        return None


def _memory(
    v: torch.Tensor | None, storages: dict[int | None, int], params: set[int | None]
) -> tuple[int | None, bool]:
    """(storage number, is a parameter) of a saved tensor, for `SavedMeta`."""
    if v is None:
        return None, False
    ptr = _storage(v)
    number = storages.setdefault(ptr, len(storages)) if ptr is not None else None
    base = _torch.view_base(v)  # addmm saves weight.t(): a view of a leaf is a parameter too
    return number, (ptr is not None and ptr in params) or (base.requires_grad and base.grad_fn is None)


def _tensor_meta(t: torch.Tensor, label: str | None, grads: bool) -> TensorMeta:
    grad = None
    if grads and (t.is_leaf or t.retains_grad):
        grad = grad_meta(t.grad)
    return TensorMeta(label, _shape(t), _dtype(t), t.requires_grad, _torch.is_view(t), grad)


Hit = tuple[str, bool]  # (name, is an nn.Parameter) of a known tensor that does not require grad


class _Walk:
    """One walk from the roots: the nodes and edges found so far, and the lookups that name them.

    Everything keyed by identity or address (`ids`, storages) lives only as long as the walk;
    nothing id()-based reaches the `Graph`.
    """

    def __init__(self, named: list[tuple[str, torch.Tensor]], saved: bool, grads: bool) -> None:
        self.saved, self.grads = saved, grads
        self.leaf_names = {id(t): name for name, t in named}
        # Frozen inputs are found through the tensors a node saved. Match by storage, not shape,
        # because nodes often save a transposed view (addmm saves weight.t()).
        self.nograd_names: dict[tuple[int, int, torch.dtype], Hit] = {
            (t.data_ptr(), t.numel(), t.dtype): (name, isinstance(t, torch.nn.Parameter))
            for name, t in named
            if not t.requires_grad
        }
        self.param_storages = {_storage(t) for _, t in named}
        self.storages: dict[int | None, int] = {}  # storage address -> walk-order number
        self.nodes: list[Node] = []
        self.edges: list[Edge] = []
        self.roots: list[str] = []
        self.ids: dict[Any, str] = {}  # autograd node -> id
        self.named_nograd: dict[str, str] = {}  # name of a known no-grad tensor -> its node id
        self.queue: deque[Any] = deque()

    def new_id(self) -> str:
        return f"n{len(self.nodes)}"

    def add_root(self, label: str, t: torch.Tensor) -> None:
        """A box for an output tensor, and an arrow from the Function that made it."""
        rid = self.new_id()
        self.nodes.append(Node(rid, "root", label, _tensor_meta(t, label, self.grads)))
        self.roots.append(rid)
        if t.grad_fn is not None:
            self.edges.append(Edge(self.visit(t.grad_fn), rid, "output"))
        elif t.requires_grad:  # a leaf passed as a root: name it from params if we can
            name = self.leaf_names.get(id(t))
            if name is not None:
                self.nodes[-1].attrs["param"] = name

    def visit(self, fn: Any) -> str:
        """The id of autograd node `fn`, added (and queued for `expand`) the first time it is met."""
        if fn in self.ids:
            return self.ids[fn]
        nid = self.ids[fn] = self.new_id()
        if _torch.is_accumulate_grad(fn):
            var = _torch.leaf_variable(fn)
            meta = _tensor_meta(var, self.leaf_names.get(id(var)), self.grads) if var is not None else None
            self.nodes.append(Node(nid, "leaf", _torch.node_name(fn), meta, module=_torch.node_module(fn)))
        else:
            self.nodes.append(Node(nid, "op", _torch.node_name(fn), module=_torch.node_module(fn)))
        self.queue.append(fn)
        return nid

    def expand(self, fn: Any) -> None:
        """Add `fn`'s inputs: each `next_functions` slot, and its saved tensors when asked."""
        node = self.nodes[int(self.ids[fn][1:])]
        slots = list(fn.next_functions)
        missing = [i for i, (nxt, _) in enumerate(slots) if nxt is None]
        need_saved = self.saved or bool(missing and self.nograd_names and node.kind == "op")
        saved = [
            (name, v if isinstance(v, torch.Tensor) else None, v if isinstance(v, _torch.Unread) else "")
            for name, v in (_torch.saved_tensors(fn) if need_saved else ())
        ]
        if self.saved:
            node.saved = tuple(self._meta_of_saved(name, v, state) for name, v, state in saved)
        absent = _torch.absent_slots(fn, node.name, len(slots)) if missing and node.kind == "op" else set()
        named, unplaced = self._name_slots(node, len(slots), missing, saved)
        for i, (nxt, _) in enumerate(slots):
            if nxt is not None:
                self.edges.append(Edge(self.visit(nxt), node.id, "data", i))
            elif i not in absent:  # an optional input passed as None was never an input
                hit = named.get(i) or (unplaced.pop(0) if unplaced and len(missing) == 1 else None)
                self._add_nograd(node.id, i, hit)
        if self.saved:
            for name, v, state in saved:
                self._add_saved(node.id, name, v, state)

    def _meta_of_saved(self, name: str, v: torch.Tensor | None, state: str) -> SavedMeta:
        shape, dtype = (None, None) if v is None else (_shape(v), _dtype(v))
        return SavedMeta(name, state == _torch.FREED, shape, dtype, state == _torch.MODIFIED, PACKED.get(state),
                         *_memory(v, self.storages, self.param_storages))

    def _name_slots(
        self, node: Node, n_slots: int, missing: list[int], saved: list[tuple[str, torch.Tensor | None, str]]
    ) -> tuple[dict[int, Hit], list[Hit]]:
        """Name the empty slots (inputs that do not require grad) after the tensors the node saved
        that we know: {slot: hit} where the op's argument names tell the slot, else in a list."""
        named: dict[int, Hit] = {}
        unplaced: list[Hit] = []
        if not (missing and self.nograd_names):
            return named, unplaced
        arg_names = _torch.input_names(node.name, n_slots)
        for sname, v, _ in saved:
            hit = None if v is None else self.nograd_names.get((v.data_ptr(), v.numel(), v.dtype))
            if hit is None or hit in named.values() or hit in unplaced:
                continue
            slot = arg_names.index(sname) if arg_names and sname in arg_names else None
            if slot in missing and slot not in named:
                assert slot is not None
                named[slot] = hit
            else:
                unplaced.append(hit)
        return named, unplaced

    def _add_nograd(self, dst: str, slot: int, hit: Hit | None) -> None:
        """A box for an input that does not require grad (one per named tensor, however often used)."""
        if hit is not None and hit[0] in self.named_nograd:
            self.edges.append(Edge(self.named_nograd[hit[0]], dst, "nograd", slot))
            return
        cid = self.new_id()
        if hit is not None:
            self.named_nograd[hit[0]] = cid
            self.nodes.append(Node(cid, "nograd", hit[0], attrs={"frozen": hit[1]}))
        else:
            self.nodes.append(Node(cid, "nograd", "no grad"))
        self.edges.append(Edge(cid, dst, "nograd", slot))

    def _add_saved(self, dst: str, name: str, v: torch.Tensor | None, state: str) -> None:
        """A box for a saved tensor (`saved=True`), or for why it cannot be read."""
        sid = self.new_id()
        meta = None if v is None else TensorMeta(name, _shape(v), _dtype(v), v.requires_grad)
        attrs: dict[str, Any] = {"freed": state == _torch.FREED}
        if state == _torch.MODIFIED:
            attrs["modified"] = True
        if state in PACKED:
            attrs["packed"] = PACKED[state]
        self.nodes.append(Node(sid, "saved", name, meta, attrs=attrs))
        self.edges.append(Edge(sid, dst, "saved"))


def trace(roots: Roots, params: Params = None, *, saved: bool = False, grads: bool = False) -> Graph:
    """Walk the backward graph of `roots` into a `Graph`.

    roots: a tensor, or a tuple/list/dict of tensors (dict keys label the outputs).
    params: an nn.Module or a mapping name -> tensor; names leaves, and names inputs that
        do not require grad (frozen parameters, constants) when a node saved them.
    saved: also record each node's saved tensors (and which were freed by backward).
    grads: record `.grad` of leaves and of roots that are leaves or `retain_grad()`.

    Every empty `next_functions` slot becomes a "nograd" node, except optional inputs that
    were None (a convolution's missing bias), which were never inputs at all.

    Three steps: a box per root, then breadth first from the roots, each autograd node is
    visited once (`_Walk.visit`) and expanded into its inputs (`_Walk.expand`).
    """
    root_items = normalize_roots(roots, "dagviz.trace")
    walk = _Walk(normalize_params(params, "dagviz.trace"), saved, grads)
    for label, t in root_items:
        walk.add_root(label, t)
    while walk.queue:
        walk.expand(walk.queue.popleft())
    return Graph(walk.nodes, walk.edges, walk.roots)
