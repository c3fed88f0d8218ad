"""Remember which module created each backward node, so big models can collapse by module.

Autograd nodes do not know about `nn.Module`s. While a forward runs under
``with dagviz.track(model):``, forward pre-hooks and hooks keep a stack of module paths
(``"layer1.0.conv1"``) and a `TorchFunctionMode` sees every torch operation; each new
backward node is tagged through the public ``grad_fn.metadata`` dict, which `trace` reads
into `Node.module`. Nothing is tagged outside the ``with`` block, and no tensor is kept.
"""

from __future__ import annotations

from types import TracebackType
from typing import Any

import torch
from torch import nn
from torch.overrides import TorchFunctionMode
from torch.utils._pytree import tree_flatten

from . import _torch

SEEN_KEY = "dagviz.seen"  # marks nodes already looked at (also the model's own top-level ops)


def _grad_fns(obj: Any) -> list[Any]:
    leaves, _ = tree_flatten(obj)
    return [t.grad_fn for t in leaves if isinstance(t, torch.Tensor) and t.grad_fn is not None]


class _TagMode(TorchFunctionMode):
    """Tags the backward nodes each torch call creates with the innermost module's path."""

    def __init__(self, stack: list[str]) -> None:
        super().__init__()
        self.stack = stack

    def __torch_function__(self, func: Any, types: Any, args: Any = (), kwargs: Any = None) -> Any:
        kwargs = kwargs or {}
        if not torch.is_grad_enabled():
            return func(*args, **kwargs)
        # Inputs' nodes before the call: an in-place op gives its input a new grad_fn.
        stop = set(_grad_fns((args, kwargs)))
        out = func(*args, **kwargs)
        outs = _grad_fns(out)
        if outs:
            self._tag(outs, stop)
        return out

    def _tag(self, starts: list[Any], stop: set[Any]) -> None:
        # Walk back from the outputs over the nodes this call created (a composite function
        # may create several), stopping at the inputs' nodes and at nodes already seen.
        path = self.stack[-1] if self.stack else ""
        todo = [fn for fn in starts if fn not in stop]
        while todo:
            fn = todo.pop()
            if _torch.is_accumulate_grad(fn):
                continue
            meta = fn.metadata
            if SEEN_KEY in meta:
                continue
            meta[SEEN_KEY] = True
            if path:
                meta[_torch.MODULE_KEY] = path
            todo.extend(nxt for nxt, _ in fn.next_functions if nxt is not None and nxt not in stop)


class track:  # noqa: N801 - used like a function: `with dagviz.track(model):`
    """Context manager: backward nodes created inside get `Node.module` = the module path.

    with dagviz.track(model):
        loss = model(x).sum()
    dagviz.draw(loss, params=model, depth=1)   # one box per top-level module
    """

    def __init__(self, model: nn.Module) -> None:
        if not isinstance(model, nn.Module):
            raise TypeError(
                f"dagviz.track expects an nn.Module (the model whose forward you run), got "
                f"{type(model).__name__}. Example: with dagviz.track(model): loss = model(x).sum()"
            )
        self.model = model
        self._stack: list[str] = []
        self._handles: list[Any] = []
        self._mode: _TagMode | None = None

    def _push(self, name: str) -> Any:
        def pre(module: nn.Module, args: Any) -> None:
            self._stack.append(name)

        return pre

    def _pop(self, name: str) -> Any:
        def post(module: nn.Module, args: Any, output: Any) -> None:
            if self._stack and self._stack[-1] == name:
                self._stack.pop()

        return post

    def __enter__(self) -> nn.Module:
        for name, module in self.model.named_modules():
            self._handles.append(module.register_forward_pre_hook(self._push(name)))
            self._handles.append(module.register_forward_hook(self._pop(name), always_call=True))
        self._mode = _TagMode(self._stack)
        self._mode.__enter__()
        return self.model

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._mode is not None:
            self._mode.__exit__(exc_type, exc, tb)
            self._mode = None
        for h in self._handles:
            h.remove()
        self._handles.clear()
        self._stack.clear()
