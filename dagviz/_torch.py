"""The one place that touches autograd internals.

Public `torch.autograd.graph.Node` API covers `name()`, `next_functions`, `metadata` and
hooks. Three things a learner needs have no public API, so they live here, each behind
a function that fails soft if PyTorch renames them:
`AccumulateGrad.variable` (the leaf tensor), `_saved_*` attributes (saved tensors, read so
that a saved-tensor hook never runs: `read_saved`), and `Tensor._base` (what a view looks at).
"""

from __future__ import annotations

import functools
import re
import sys
from collections.abc import Callable, Iterator
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


class Unread(str):
    """Why a saved tensor was not read (a str subclass, so that a saved string such as GELU's
    `approximate="none"` is never taken for one)."""


FREED = Unread("freed")
MODIFIED = Unread("modified")
RECOMPUTED = Unread("recomputed")
HOOKED = Unread("hooked")


class _UnpackHook(Exception):
    """Raised instead of running a saved-tensor unpack hook; `module` is where the hook lives."""

    def __init__(self, module: str) -> None:
        super().__init__(module)
        self.module = module


def _refuse_python(frame: Any, event: str, arg: Any) -> None:
    if event == "call":
        raise _UnpackHook(str(frame.f_globals.get("__name__", "")))


def _without_hooks(read: Callable[..., Any], *args: Any) -> Any:
    """`read(*args)` for a C-level reader of saved tensors (`getattr`, `SavedTensor.unpack`), stopped
    before any Python code runs: raises `_UnpackHook` where it would have run an unpack hook.

    Unpacking a saved tensor that a saved-tensor hook packed runs the user's unpack hook, which
    may recompute a whole `torch.utils.checkpoint` segment or copy from another device; drawing
    must never do that. Plain saved tensors unpack in C++ without any Python frame, so a trace
    function that refuses the first Python call lets exactly those through, on every PyTorch
    version (2.2's `SavedTensor` cannot say whether it has hooks; newer ones have `unpack_hook`).
    """
    previous = sys.gettrace()
    sys.settrace(_refuse_python)
    try:
        return read(*args)
    finally:
        sys.settrace(previous)


def _state(err: RuntimeError | _UnpackHook) -> Unread:
    """FREED, MODIFIED, RECOMPUTED or HOOKED: why a saved tensor was not read."""
    if isinstance(err, _UnpackHook):
        return RECOMPUTED if "checkpoint" in err.module else HOOKED
    return MODIFIED if "inplace operation" in str(err) else FREED


def read_saved(fn: Any, name: str) -> Any:
    """`fn._saved_<name>` without running any saved-tensor hook: the value, or why it cannot or
    must not be read (an `Unread`: FREED, MODIFIED, RECOMPUTED, HOOKED)."""
    try:
        return _without_hooks(getattr, fn, f"_saved_{name}")
    except (RuntimeError, _UnpackHook) as err:
        return _state(err)


def _custom_saved(fn: Any) -> Iterator[tuple[str, torch.Tensor | Unread]]:
    """What a custom `autograd.Function` saved with `ctx.save_for_backward` (`tensors[i]`)."""
    try:
        values: list[Any] = list(_without_hooks(getattr, fn, "saved_tensors"))
    except RuntimeError as err:  # freed by backward, or modified in place
        yield "tensors", _state(err)
        return
    except _UnpackHook as err:  # some went through a hook: read the others one by one, if we can
        raws = getattr(fn, "_raw_saved_tensors", ())
        if not all(hasattr(r, "unpack") for r in raws):  # torch 2.2: no way to read them singly
            for i in range(len(raws)):
                yield f"tensors[{i}]", _state(err)
            return
        values = []
        for r in raws:
            try:
                values.append(_without_hooks(r.unpack))
            except _UnpackHook as hooked:
                values.append(_state(hooked))
            except RuntimeError:  # a saved output cannot be unpacked alone: skip it
                values.append(None)
    for i, v in enumerate(values):
        if isinstance(v, (torch.Tensor, Unread)):
            yield f"tensors[{i}]", v


def saved_tensors(fn: Any) -> Iterator[tuple[str, torch.Tensor | Unread]]:
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
    for attr in dir(fn):  # dir() lists the attributes without reading (unpacking) any
        if not attr.startswith("_saved_"):
            continue
        name = attr[len("_saved_") :]
        value = read_saved(fn, name)
        if isinstance(value, (torch.Tensor, Unread)):
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
    attrs = set(dir(fn))  # listed, not read: reading a saved tensor may run a hook
    for i, name in enumerate(names):
        if name not in ("weight", "bias"):
            continue
        if f"_saved_{name}_sym_sizes_opt" in attrs:
            if read_saved(fn, f"{name}_sym_sizes_opt") in (None, (0,)):
                absent.add(i)
        elif f"_saved_{name}" in attrs and read_saved(fn, name) is None:
            absent.add(i)  # (freed, modified or hooked: a state string, so the slot is kept)
    # nn modules pass weight and bias together (affine=False passes neither); a bias
    # that left no trace of its own goes with a missing weight.
    if "weight" in names and "bias" in names and names.index("weight") in absent:
        bias = names.index("bias")
        if "_saved_bias" not in attrs and "_saved_bias_sym_sizes_opt" not in attrs:
            absent.add(bias)
    return absent
