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
PACKED = {
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


def trace(roots: Roots, params: Params = None, *, saved: bool = False, grads: bool = False) -> Graph:
    """Walk the backward graph of `roots` into a `Graph`.

    roots: a tensor, or a tuple/list/dict of tensors (dict keys label the outputs).
    params: an nn.Module or a mapping name -> tensor; names leaves, and names inputs that
        do not require grad (frozen parameters, constants) when a node saved them.
    saved: also record each node's saved tensors (and which were freed by backward).
    grads: record `.grad` of leaves and of roots that are leaves or `retain_grad()`.

    Every empty `next_functions` slot becomes a "nograd" node, except optional inputs that
    were None (a convolution's missing bias), which were never inputs at all.
    """
    root_items = normalize_roots(roots, "dagviz.trace")
    named = normalize_params(params, "dagviz.trace")
    # Identity lookups are only used during this call; nothing id()-based reaches the output.
    leaf_names = {id(t): name for name, t in named}
    # Frozen inputs are found through the tensors a node saved. Match by storage, not shape,
    # because nodes often save a transposed view (addmm saves weight.t()).
    nograd_names = {
        (t.data_ptr(), t.numel(), t.dtype): (name, isinstance(t, torch.nn.Parameter))
        for name, t in named
        if not t.requires_grad
    }
    param_storages = {_storage(t) for _, t in named}
    storages: dict[int | None, int] = {}  # storage address -> walk-order number (local)

    nodes: list[Node] = []
    edges: list[Edge] = []
    root_ids: list[str] = []
    ids: dict[Any, str] = {}  # autograd node object -> id (local; dropped on return)
    named_nograd: dict[str, str] = {}  # name of a known no-grad tensor -> its node id
    queue: deque[Any] = deque()

    def new_id() -> str:
        return f"n{len(nodes)}"

    def visit(fn: Any) -> str:
        if fn in ids:
            return ids[fn]
        nid = new_id()
        ids[fn] = nid
        if _torch.is_accumulate_grad(fn):
            var = _torch.leaf_variable(fn)
            meta = _tensor_meta(var, leaf_names.get(id(var)), grads) if var is not None else None
            nodes.append(Node(nid, "leaf", _torch.node_name(fn), meta, module=_torch.node_module(fn)))
        else:
            nodes.append(Node(nid, "op", _torch.node_name(fn), module=_torch.node_module(fn)))
        queue.append(fn)
        return nid

    for label, t in root_items:
        rid = new_id()
        nodes.append(Node(rid, "root", label, _tensor_meta(t, label, grads)))
        root_ids.append(rid)
        if t.grad_fn is not None:
            edges.append(Edge(visit(t.grad_fn), rid, "output"))
        elif t.requires_grad:  # a leaf passed as a root: name it from params if we can
            name = leaf_names.get(id(t))
            if name is not None:
                nodes[-1].attrs["param"] = name

    while queue:
        fn = queue.popleft()
        nid = ids[fn]
        node = nodes[int(nid[1:])]
        slots = list(fn.next_functions)
        missing = [i for i, (nxt, _) in enumerate(slots) if nxt is None]
        absent = _torch.absent_slots(fn, node.name, len(slots)) if missing and node.kind == "op" else set()
        need_saved = saved or (missing and nograd_names and node.kind == "op")
        saved_list = [
            (n, v if isinstance(v, torch.Tensor) else None, v if isinstance(v, str) else "")
            for n, v in (_torch.saved_tensors(fn) if need_saved else ())
        ]
        if saved:
            node.saved = tuple(
                SavedMeta(n, s == _torch.FREED, None if v is None else _shape(v), None if v is None else _dtype(v),
                          s == _torch.MODIFIED, PACKED.get(s), *_memory(v, storages, param_storages))
                for n, v, s in saved_list
            )
        # Name the inputs that do not require grad, when the node saved a tensor we know.
        named_slots: dict[int, tuple[str, bool]] = {}
        unplaced: list[tuple[str, bool]] = []
        if missing and nograd_names:
            arg_names = _torch.input_names(node.name, len(slots))
            for sname, v, _ in saved_list:
                hit = None if v is None else nograd_names.get((v.data_ptr(), v.numel(), v.dtype))
                if hit is None or hit in named_slots.values() or hit in unplaced:
                    continue
                slot = arg_names.index(sname) if arg_names and sname in arg_names else None
                if slot in missing and slot not in named_slots:
                    named_slots[slot] = hit
                else:
                    unplaced.append(hit)
        for i, (nxt, _) in enumerate(slots):
            if nxt is not None:
                edges.append(Edge(visit(nxt), nid, "data", i))
                continue
            if i in absent:  # an optional input passed as None: nothing to draw
                continue
            hit = named_slots.get(i) or (unplaced.pop(0) if unplaced and len(missing) == 1 else None)
            if hit is not None and hit[0] in named_nograd:  # one named tensor, one box
                edges.append(Edge(named_nograd[hit[0]], nid, "nograd", i))
                continue
            cid = new_id()
            if hit is not None:
                named_nograd[hit[0]] = cid
                nodes.append(Node(cid, "nograd", hit[0], attrs={"frozen": hit[1]}))
            else:
                nodes.append(Node(cid, "nograd", "no grad"))
            edges.append(Edge(cid, nid, "nograd", i))
        if saved:
            for sname, v, state in saved_list:
                sid = new_id()
                meta = None if v is None else TensorMeta(sname, _shape(v), _dtype(v), v.requires_grad)
                attrs = {"freed": state == _torch.FREED}
                if state == _torch.MODIFIED:
                    attrs["modified"] = True
                if state in PACKED:
                    attrs["packed"] = PACKED[state]
                nodes.append(Node(sid, "saved", sname, meta, attrs=attrs))
                edges.append(Edge(sid, nid, "saved"))
        del saved_list
    return Graph(nodes, edges, root_ids)
