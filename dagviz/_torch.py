"""The one place that touches autograd internals.

Public `torch.autograd.graph.Node` API covers `name()`, `next_functions`, `metadata` and
hooks. Three things a learner needs have no public API, so they live here, each behind
a function that fails soft if PyTorch renames them:
`AccumulateGrad.variable` (the leaf tensor), `_saved_*` attributes (saved tensors; the raw
`_raw_saved_*` ones say whether a saved-tensor hook packed them), and `Tensor._base` (what
a view looks at).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from typing import Any

import torch

MODULE_KEY = "dagviz.module"  # key in Node.metadata written by dagviz.track


def leaf_variable(fn: Any) -> torch.Tensor | None:
    """The leaf tensor an AccumulateGrad node accumulates into, if any."""
    try:
        var = fn.variable
    except (AttributeError, RuntimeError):
        return None
    return var if isinstance(var, torch.Tensor) else None


def is_accumulate_grad(fn: Any) -> bool:
    return type(fn).__name__ == "AccumulateGrad"


FREED = "freed"
MODIFIED = "modified"
RECOMPUTED = "recomputed"
HOOKED = "hooked"


def _packed_by_hook(raw: Any) -> str | None:
    """RECOMPUTED / HOOKED when a saved tensor went through a pack hook, else None.

    Unpacking such a tensor runs the user's unpack hook, which may recompute a whole
    checkpointed segment or copy from another device; drawing must not do that. The raw
    `SavedTensor` tells us without unpacking.
    """
    hook = getattr(raw, "unpack_hook", None)
    if hook is None:
        return None
    return RECOMPUTED if "checkpoint" in str(getattr(hook, "__module__", "")) else HOOKED


def _custom_saved(fn: Any) -> Iterator[tuple[str, torch.Tensor | str]]:
    """What a custom `autograd.Function` saved with `ctx.save_for_backward` (`tensors[i]`)."""
    try:
        raws = fn._raw_saved_tensors
    except RuntimeError as err:  # freed by backward
        yield "tensors", MODIFIED if "inplace operation" in str(err) else FREED
        return
    packed = [_packed_by_hook(r) for r in raws]
    if any(packed):  # unpack only what no hook packed; a saved output cannot be unpacked alone: skip it
        values: list[Any] = []
        for p, r in zip(packed, raws, strict=True):
            try:
                values.append(None if p else r.unpack())
            except RuntimeError:
                values.append(None)
    else:
        try:
            values = list(fn.saved_tensors)
        except RuntimeError as err:
            yield "tensors", MODIFIED if "inplace operation" in str(err) else FREED
            return
    for i, (p, v) in enumerate(zip(packed, values, strict=True)):
        if p is not None:
            yield f"tensors[{i}]", p
        elif isinstance(v, torch.Tensor):
            yield f"tensors[{i}]", v


def saved_tensors(fn: Any) -> Iterator[tuple[str, torch.Tensor | str]]:
    """Yield (name, tensor) for each saved tensor, or (name, state) when it cannot or must not
    be read: FREED (backward freed it), MODIFIED (an in-place op changed it, backward would
    fail), RECOMPUTED (inside a `torch.utils.checkpoint` segment) or HOOKED (packed by another
    saved-tensor hook, such as `save_on_cpu`); those two are never unpacked.

    Non-tensor saved values (ints, shapes) are skipped: they are never freed and are not
    what makes backward memory-hungry. Custom Functions' saved tensors are named `tensors[i]`.
    """
    if isinstance(fn, torch.autograd.function.BackwardCFunction):
        yield from _custom_saved(fn)
        return
    for attr in dir(fn):
        if not attr.startswith("_saved_"):
            continue
        name = attr[len("_saved_") :]
        raw = getattr(fn, f"_raw_saved_{name}", None)
        raws = raw if isinstance(raw, (tuple, list)) else [raw]
        packed = [_packed_by_hook(r) for r in raws]
        if any(packed):
            for i, p in enumerate(packed):
                if p is not None:
                    yield (name if len(raws) == 1 else f"{name}[{i}]"), p
            continue
        try:
            value = getattr(fn, attr)
        except RuntimeError as err:  # freed by backward, or bumped version counter
            yield name, MODIFIED if "inplace operation" in str(err) else FREED
            continue
        if isinstance(value, torch.Tensor):
            yield name, value
        elif isinstance(value, (tuple, list)) and value and all(isinstance(v, torch.Tensor) for v in value):
            for i, v in enumerate(value):
                yield f"{name}[{i}]", v


def is_view(t: torch.Tensor) -> bool:
    return getattr(t, "_base", None) is not None


def view_base(t: torch.Tensor) -> torch.Tensor:
    """The tensor a view looks at (`t` itself when it is not a view)."""
    base = getattr(t, "_base", None)
    return base if isinstance(base, torch.Tensor) else t


def node_module(fn: Any) -> str | None:
    """The module path `dagviz.track` recorded on this node, if any."""
    try:
        meta = fn.metadata
    except (AttributeError, RuntimeError):
        return None
    value = meta.get(MODULE_KEY) if meta else None
    return value if isinstance(value, str) else None


def node_name(fn: Any) -> str:
    """`MulBackward0`, `AccumulateGrad`: the name without C++ namespaces."""
    return str(fn.name()).rsplit("::", 1)[-1]


@functools.lru_cache(maxsize=512)
def input_names(fn_name: str, n_slots: int) -> tuple[str, ...] | None:
    """Argument names of the op behind `fn_name`, one per `next_functions` slot, if certain.

    `AddmmBackward0` -> aten.addmm(self, mat1, mat2): slot 2 is `mat2`. Lets a saved tensor
    (`_saved_mat2`) name the input slot it came from. None when overloads disagree.
    """
    op = re.sub(r"Backward\d*$", "", fn_name)
    packet = getattr(torch.ops.aten, re.sub(r"(?<!^)(?=[A-Z])", "_", op).lower(), None)
    if packet is None:
        return None
    found: set[tuple[str, ...]] = set()
    try:
        for overload in packet.overloads():
            args = getattr(packet, overload)._schema.arguments
            names = [a.name for a in args if "Tensor" in str(a.type)]
            if "out" in names or len(names) < n_slots:
                continue
            found.add(tuple(names[:n_slots]))
    except (AttributeError, RuntimeError):
        return None
    return found.pop() if len(found) == 1 else None


def absent_slots(fn: Any, fn_name: str, slots: int) -> set[int]:
    """Slots of optional inputs that were None (a convolution without bias, BatchNorm with
    affine=False): `next_functions` has an empty entry there, but no tensor was passed.

    Only `weight`/`bias` are judged, from what the node saved: a saved `bias_sym_sizes_opt`
    of (0,) or None, or a saved `weight`/`bias` of None (both are needed whenever present).
    """
    names = input_names(fn_name, slots)
    if not names:
        return set()
    absent = set()
    for i, name in enumerate(names):
        if name not in ("weight", "bias"):
            continue
        try:
            if hasattr(fn, f"_saved_{name}_sym_sizes_opt"):
                if getattr(fn, f"_saved_{name}_sym_sizes_opt") in (None, (0,)):
                    absent.add(i)
            elif hasattr(fn, f"_saved_{name}") and getattr(fn, f"_saved_{name}") is None:
                absent.add(i)
        except RuntimeError:  # freed by backward: cannot tell, keep the slot
            continue
    # nn modules pass weight and bias together (affine=False passes neither); a bias
    # that left no trace of its own goes with a missing weight.
    if "weight" in names and "bias" in names and names.index("weight") in absent:
        bias = names.index("bias")
        if not hasattr(fn, "_saved_bias") and not hasattr(fn, "_saved_bias_sym_sizes_opt"):
            absent.add(bias)
    return absent
