"""`python -m dagviz MODEL -o out.svg`: draw a model's backward graph from the shell.

MODEL is a torchvision model name (random weights, never downloads) or
``path/to/file.py:function``, a function taking no arguments that returns a tensor (or a
tuple/list/dict of tensors, optionally followed by the model to name parameters).
Mistakes (unknown model, bad shape, unknown suffix) print one clear line and exit with 2;
a failure while drawing exits with 1. No traceback for either.
"""

from __future__ import annotations

import argparse
import contextlib
import difflib
import importlib.util
import inspect
import sys
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from .kinds import cli_legend

FORMATS = ("svg", "png", "pdf", "dot")
DEFAULT_SHAPE = (1, 3, 96, 96)  # small is fast, and a CNN's graph does not depend on the size
FIXED_SIZE = ("vit_", "swin", "maxvit")  # these need exactly 224x224 (video models: pass 5 sizes)
FIXED_SHAPE = (1, 3, 224, 224)
VIDEO = ("r3d_18", "mc3_18", "r2plus1d_18", "s3d", "mvit_v1_b", "mvit_v2_s", "swin3d_t", "swin3d_s", "swin3d_b")
VIDEO_SHAPE = (1, 3, 16, 112, 112)  # batch, channels, frames, height, width
EXIT_USAGE = 2
EXIT_FAILURE = 1

EXAMPLES = """\
examples:
  python -m dagviz resnet18 -o resnet18.svg --depth 1
  python -m dagviz resnet50 -o resnet50.png --input-shape 1,3,64,64 --depth 2
  python -m dagviz mobilenet_v3_small -o m.dot            (.dot needs no Graphviz)
  python -m dagviz my_model.py:build_loss -o loss.svg --show-saved
  python -m dagviz --list-models

The output format comes from the suffix of -o: .svg, .png, .pdf (these need Graphviz's
`dot` program) or .dot (the Graphviz source, written without `dot`).
"""
NOTES = """\
"from #k" notes appear only in a graph too costly to lay out as is: the caption says what
was simplified, and --budget 0 draws everything.
"""


def epilog() -> str:
    """--help's closing text: examples, then the boxes' colours from `dagviz.kinds`."""
    return f"{EXAMPLES}{cli_legend(92)}\n{NOTES}"


class UsageError(Exception):
    """A mistake in the command line: message shown as is, exit code 2."""


def parse_shape(text: str) -> tuple[int, ...]:
    parts = [p for p in text.replace("x", ",").split(",") if p.strip()]
    try:
        shape = tuple(int(p) for p in parts)
    except ValueError:
        msg = f"--input-shape must be integers separated by commas, like 1,3,224,224; got {text!r}"
        raise UsageError(msg) from None
    if not shape or any(s <= 0 for s in shape):
        raise UsageError(f"--input-shape needs positive sizes, like 1,3,224,224; got {text!r}")
    return shape


def output_format(path: Path) -> str:
    fmt = path.suffix.lower().lstrip(".")
    if fmt == "gv":
        fmt = "dot"
    if fmt not in FORMATS:
        raise UsageError(
            f"cannot tell the output format from {path.name!r}: use a file name ending in "
            + ", ".join("." + f for f in FORMATS)
        )
    return fmt


def _torchvision_models() -> Any:
    try:
        from torchvision import models
    except ImportError:
        raise UsageError(
            "torchvision is not installed, so model names cannot be looked up. Install it "
            "(pip install torchvision) or pass path/to/file.py:function instead."
        ) from None
    return models


def model_names() -> list[str]:
    return sorted(_torchvision_models().list_models())


@contextlib.contextmanager
def _no_downloads() -> Iterator[None]:
    """Random init only: any attempt to fetch weights is a bug, so fail instead of downloading."""
    import torch.hub

    def refuse(url: str, *args: Any, **kwargs: Any) -> Any:
        raise UsageError(f"this model wants to download weights ({url}); dagviz draws random-init models only")

    saved = torch.hub.load_state_dict_from_url
    torch.hub.load_state_dict_from_url = refuse
    try:
        yield
    finally:
        torch.hub.load_state_dict_from_url = saved


def default_shape(name: str) -> tuple[int, ...]:
    if name in VIDEO:
        return VIDEO_SHAPE
    if name.startswith(FIXED_SIZE):
        return FIXED_SHAPE
    return DEFAULT_SHAPE


def build_torchvision(name: str, shape: tuple[int, ...]) -> tuple[Any, Any]:
    """Random-init torchvision model (weights=None: never downloads) and its output on zeros-like input."""
    import torch

    from .track import track

    names = model_names()
    if name not in names:
        close = difflib.get_close_matches(name, names, n=5, cutoff=0.5)
        hint = f" Did you mean: {', '.join(close)}?" if close else ""
        raise UsageError(
            f"unknown model {name!r}.{hint} Run `python -m dagviz --list-models` for all "
            f"{len(names)} torchvision names, or pass path/to/file.py:function."
        )
    models = _torchvision_models()
    builder = models.get_model_builder(name)
    kwargs: dict[str, Any] = {"weights": None}
    if "weights_backbone" in inspect.signature(builder).parameters:
        kwargs["weights_backbone"] = None  # segmentation/detection backbones default to ImageNet weights
    torch.manual_seed(0)
    with warnings.catch_warnings(), _no_downloads():
        warnings.simplefilter("ignore", FutureWarning)  # "default weight initialization will change"
        model = builder(**kwargs)
    model.eval()  # batch statistics need no batch of 2; eval() does not turn gradients off
    x = torch.randn(*shape)
    try:
        with track(model):
            out = model(x)
    except (RuntimeError, ValueError, TypeError, AssertionError) as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise UsageError(
            f"{name} could not run on an input of shape {','.join(map(str, shape))}: {first}. "
            "Try another --input-shape (e.g. 1,3,224,224; some models need exactly that size)."
        ) from None
    return _roots(out, name), model


def _roots(out: Any, what: str) -> Any:
    """A tensor, or a list/dict of tensors, from whatever a model or function returned."""
    import torch

    if isinstance(out, torch.Tensor):
        return out
    if isinstance(out, dict):
        items = {str(k): v for k, v in out.items() if isinstance(v, torch.Tensor)}
        if items:
            return items
    if isinstance(out, (tuple, list)):
        if hasattr(out, "_fields"):  # a namedtuple such as InceptionOutputs
            items = {k: v for k, v in zip(out._fields, out, strict=False) if isinstance(v, torch.Tensor)}
            if items:
                return items
        tensors = [v for v in out if isinstance(v, torch.Tensor)]
        if tensors:
            return tensors
    raise UsageError(f"{what} returned a {type(out).__name__}, not a tensor (or a tuple/list/dict of tensors).")


def load_function(spec: str) -> tuple[Any, Any]:
    """Call `function` from `path/to/file.py:function`; returns (roots, params or None)."""
    from torch import nn

    path_text, _, func_name = spec.rpartition(":")
    path = Path(path_text)
    if not path.is_file():
        raise UsageError(f"no such file: {path_text!r} (from {spec!r}; expected path/to/file.py:function)")
    if not func_name.isidentifier():
        raise UsageError(f"{func_name!r} is not a function name (expected path/to/file.py:function)")
    mod_spec = importlib.util.spec_from_file_location(f"_dagviz_user_{path.stem}", path)
    if mod_spec is None or mod_spec.loader is None:
        raise UsageError(f"cannot import {path_text!r} as Python")
    module = importlib.util.module_from_spec(mod_spec)
    sys.path.insert(0, str(path.resolve().parent))
    try:
        mod_spec.loader.exec_module(module)
    finally:
        sys.path.pop(0)
    func = getattr(module, func_name, None)
    if not callable(func):
        found = [n for n in vars(module) if callable(vars(module)[n]) and not n.startswith("_")]
        close = difflib.get_close_matches(func_name, found, n=3)
        hint = f" Did you mean: {', '.join(close)}?" if close else ""
        raise UsageError(f"{path.name} has no function {func_name!r}.{hint}")
    out = func()
    params = None
    if isinstance(out, tuple) and len(out) >= 2 and isinstance(out[-1], nn.Module):
        params = out[-1]
        out = out[0] if len(out) == 2 else out[:-1]
    return _roots(out, f"{path.name}:{func_name}()"), params


def make_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m dagviz",
        description=(
            "Draw the backward (autograd) graph of a torchvision model or of your own function. "
            "Arrows point forward, from inputs to outputs; backward runs against them."
        ),
        epilog=epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "model",
        nargs="?",
        help="torchvision model name (e.g. resnet18; random weights, never downloads) "
        "or path/to/file.py:function (no arguments, returns a tensor, or (tensor, model))",
    )
    p.add_argument("-o", "--output", type=Path, help="output file; format from the suffix: .svg .png .pdf .dot")
    p.add_argument(
        "--input-shape",
        default=None,
        help="shape of the random input for a torchvision model (default: "
        + ",".join(map(str, DEFAULT_SHAPE))
        + "; "
        + ",".join(map(str, FIXED_SHAPE))
        + " for vit_*, swin*, maxvit*, which need that size; "
        + ",".join(map(str, VIDEO_SHAPE))
        + " for video models)",
    )
    p.add_argument(
        "--depth",
        type=int,
        default=None,
        help="collapse modules below this depth into one box each (1 = top-level modules like layer1); "
        "torchvision models are tracked for you, a file.py:function must run its forward under "
        "`with dagviz.track(model):`",
    )
    p.add_argument("--show-saved", action="store_true", help="also draw the tensors saved for backward")
    p.add_argument(
        "--max-nodes",
        type=int,
        default=1500,
        help="fold bigger graphs into a summary (default: %(default)s; 0 draws everything)",
    )
    p.add_argument(
        "--budget",
        type=float,
        default=None,
        help="layout cost allowed before the picture is simplified, in dagviz.layout's units (default: "
        "dagviz.layout.BUDGET, about a second of Graphviz; 0 lays out everything as is, however long it takes)",
    )
    p.add_argument("--title", default=None, help="caption above the picture (default: the model)")
    p.add_argument("--list-models", action="store_true", help="list the torchvision model names and exit")
    return p


def run(argv: Sequence[str] | None = None) -> int:
    parser = make_parser()
    args = parser.parse_args(argv)
    if args.list_models:
        print("\n".join(model_names()))
        return 0
    if not args.model:
        parser.error("MODEL is required (a torchvision name such as resnet18, or path/to/file.py:function)")
    if args.output is None:
        parser.error("-o/--output is required, e.g. -o graph.svg")
    if args.depth is not None and args.depth < 0:
        raise UsageError(f"--depth must be 0 or more, got {args.depth}")
    if args.budget is not None and args.budget < 0:
        raise UsageError(f"--budget must be 0 (no limit) or more, got {args.budget:g}")
    fmt = output_format(args.output)
    if args.input_shape is not None:
        shape = parse_shape(args.input_shape)
    else:
        shape = default_shape(args.model)

    from . import layout, render
    from .draw import build

    if fmt != "dot":
        render.require_dot()  # fail before the (slow) forward pass
    if ":" in args.model and args.model.rpartition(":")[0].endswith(".py"):
        roots, params = load_function(args.model)
    else:
        roots, params = build_torchvision(args.model, shape)
    title = args.title if args.title is not None else args.model
    dot = build(
        roots,
        params,
        show_saved=args.show_saved,
        depth=args.depth,
        max_nodes=args.max_nodes or None,
        budget=layout.BUDGET if args.budget is None else args.budget or None,
        title=title,
    )
    del roots
    args.output.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "dot":
        args.output.write_text(dot.source, encoding="utf-8")
    else:
        args.output.write_bytes(dot.pipe(format=fmt))
    print(f"wrote {args.output} ({dot.summary})")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Console entry point: exit codes 0 ok, 1 drawing failed, 2 bad command line."""
    from .render import DotNotFoundError

    try:
        return run(argv)
    except UsageError as err:
        print(f"dagviz: error: {err}", file=sys.stderr)
        return EXIT_USAGE
    except DotNotFoundError as err:
        print(f"dagviz: error: {err} Or write Graphviz source with -o graph.dot.", file=sys.stderr)
        return EXIT_FAILURE
    except KeyboardInterrupt:
        return 130
    except Exception as err:  # the last line of defence: one readable line, no traceback
        print(f"dagviz: error: {type(err).__name__}: {err}", file=sys.stderr)
        return EXIT_FAILURE
