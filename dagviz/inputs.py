"""Check and normalise what users pass in, with errors that say what to do."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Union

import torch
from torch import nn

Roots = Union[torch.Tensor, "list[torch.Tensor]", "tuple[torch.Tensor, ...]", "Mapping[str, torch.Tensor]"]
Params = Union[nn.Module, "Mapping[str, torch.Tensor]", None]

NO_GRAPH_HELP = (
    "Autograd only records operations on tensors that require grad. Create an input "
    "with requires_grad=True (e.g. x = torch.ones(3, requires_grad=True)) or call "
    "x.requires_grad_() before computing, and make sure the computation does not run "
    "inside torch.no_grad() or torch.inference_mode()."
)


def _describe(obj: object) -> str:
    if isinstance(obj, (int, float, str)):
        return type(obj).__name__
    return type(obj).__module__ + "." + type(obj).__qualname__


def normalize_roots(roots: Any, caller: str) -> list[tuple[str, torch.Tensor]]:
    """Return [(label, tensor)] for a tensor or a tuple/list/dict of tensors."""
    if isinstance(roots, torch.Tensor):
        items = [("output", roots)]
    elif isinstance(roots, Mapping):
        items = []
        for k, v in roots.items():
            if not isinstance(k, str):
                raise TypeError(f"{caller}: dict keys name the outputs and must be str, got {k!r}.")
            items.append((k, v))
    elif isinstance(roots, (list, tuple)):
        items = [(f"output {i}", v) for i, v in enumerate(roots)]
        if len(items) == 1:
            items = [("output", roots[0])]
    else:
        raise TypeError(
            f"{caller} expects a torch.Tensor, or a tuple, list or dict of tensors; got "
            f"{_describe(roots)}. Pass the result of your computation, e.g. {caller}(loss)."
        )
    if not items:
        raise ValueError(f"{caller} got an empty {type(roots).__name__}: pass at least one tensor.")
    for label, t in items:
        if not isinstance(t, torch.Tensor):
            raise TypeError(f"{caller}: {label!r} is a {_describe(t)}, not a torch.Tensor.")
        if t.grad_fn is None and not t.requires_grad:
            raise ValueError(
                f"{caller}: the tensor {label!r} (shape {tuple(t.shape)}) has no autograd graph: "
                f"requires_grad=False and grad_fn=None. {NO_GRAPH_HELP}"
            )
    return items


def normalize_params(params: Any, caller: str) -> list[tuple[str, torch.Tensor]]:
    """Return [(name, tensor)] from an nn.Module, a mapping, or None."""
    if params is None:
        return []
    if isinstance(params, nn.Module):
        return list(params.named_parameters())
    if isinstance(params, Mapping):
        out = []
        for k, v in params.items():
            if not isinstance(v, torch.Tensor):
                raise TypeError(f"{caller}: params[{k!r}] is a {_describe(v)}, not a torch.Tensor.")
            out.append((str(k), v))
        return out
    raise TypeError(
        f"{caller}: params must be an nn.Module or a dict of name -> tensor, got {_describe(params)}. "
        "Example: dagviz.draw(loss, params=model) or params={'w': w}."
    )
