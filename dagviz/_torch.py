"""The one place that touches autograd internals.

Public `torch.autograd.graph.Node` API covers `name()`, `next_functions`, `metadata` and
hooks. Three things a learner needs have no public API, so they live here, each behind
a function that fails soft if PyTorch renames them:
`AccumulateGrad.variable` (the leaf tensor), `_saved_*` attributes (saved tensors), and
`Tensor._base` (what a view looks at).
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


def saved_tensors(fn: Any) -> Iterator[tuple[str, torch.Tensor | str]]:
    """Yield (name, tensor) for each saved tensor, or (name, FREED / MODIFIED) when it cannot
    be read: backward already freed it, or an in-place op changed it (backward would fail).

    Non-tensor saved values (ints, shapes) are skipped: they are never freed and are not
    what makes backward memory-hungry.
    """
    for attr in dir(fn):
        if not attr.startswith("_saved_"):
            continue
        name = attr[len("_saved_") :]
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
