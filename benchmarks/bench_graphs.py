"""dagviz vs torchviz, side by side: graph walk + DOT, then `dot -Tsvg` layout.

    python benchmarks/bench_graphs.py            # full table (a few minutes: torchviz times out)
    python benchmarks/bench_graphs.py --quick    # small cases only
    python benchmarks/bench_graphs.py --timeout 60 --markdown benchmarks/results.md

Both tools get the same forward pass (same model, same input, same seed). "build" is the
Python time to walk the graph and produce DOT source; "layout" is graphviz's `dot -Tsvg`
on that source in a subprocess, killed after --timeout seconds (shown as "> N s").
"""

from __future__ import annotations

import argparse
import platform
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass

import graphviz
import torch
import torchvision

import dagviz


@dataclass
class Case:
    name: str
    make: Callable[[], tuple[torch.Tensor, torch.nn.Module]]


def model_case(name: str, shape: tuple[int, ...]) -> Case:
    def make() -> tuple[torch.Tensor, torch.nn.Module]:
        torch.manual_seed(0)
        model = getattr(torchvision.models, name)(weights=None)
        return model(torch.randn(*shape)).sum(), model

    return Case(f"{name} {shape[-2]}x{shape[-1]}", make)


def rnn_case(steps: int) -> Case:
    def make() -> tuple[torch.Tensor, torch.nn.Module]:
        torch.manual_seed(0)
        cell = torch.nn.RNNCell(8, 16)
        h = torch.zeros(1, 16)
        for x in torch.randn(steps, 1, 8):
            h = cell(x, h)
        return h.sum(), cell

    return Case(f"RNNCell T={steps}", make)


def layout(source: str, timeout: float) -> float | None:
    """Seconds `dot -Tsvg` needs for `source`, or None when it exceeds `timeout`."""
    t0 = time.perf_counter()
    try:
        subprocess.run(["dot", "-Tsvg", "-o", "/dev/null"], input=source.encode(), check=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None
    return time.perf_counter() - t0


def build_dagviz(root: torch.Tensor, model: torch.nn.Module) -> tuple[str, int]:
    g = dagviz.draw(root, params=model)
    return g.source, g.source.count("label=")


def build_torchviz(root: torch.Tensor, model: torch.nn.Module) -> tuple[str, int]:
    from torchviz import make_dot

    g = make_dot(root, params=dict(model.named_parameters()))
    return g.source, g.source.count("label=") + g.source.count("fillcolor=")


def fmt_layout(seconds: float | None, timeout: float) -> str:
    return f"> {timeout:.0f} s" if seconds is None else f"{seconds:.2f} s"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="only the small cases")
    ap.add_argument("--timeout", type=float, default=30.0, help="layout timeout per graph, seconds")
    ap.add_argument("--markdown", help="also write the table to this file")
    args = ap.parse_args()

    cases = [model_case("resnet18", (1, 3, 64, 64)), rnn_case(30), rnn_case(40), rnn_case(100)]
    if not args.quick:
        cases[1:1] = [model_case("resnet50", (1, 3, 64, 64)), model_case("vit_b_16", (1, 3, 224, 224))]
        cases += [rnn_case(300), rnn_case(1000)]

    header = "| graph | dagviz nodes | dagviz build | dagviz layout | dagviz total | torchviz build | torchviz layout |"
    rows = [header, "|" + "---|" * 7]
    print(header, flush=True)
    for case in cases:
        root, model = case.make()
        t0 = time.perf_counter()
        src, _ = build_dagviz(root, model)
        d_build = time.perf_counter() - t0
        d_layout = layout(src, args.timeout)
        nodes = len(dagviz.trace(root, params=model).nodes)
        t0 = time.perf_counter()
        tsrc, _ = build_torchviz(root, model)
        t_build = time.perf_counter() - t0
        t_layout = layout(tsrc, args.timeout)
        total = "n/a" if d_layout is None else f"{d_build + d_layout:.2f} s"
        row = (
            f"| {case.name} | {nodes} | {d_build * 1000:.0f} ms | {fmt_layout(d_layout, args.timeout)} | {total} "
            f"| {t_build * 1000:.0f} ms | {fmt_layout(t_layout, args.timeout)} |"
        )
        rows.append(row)
        print(row, flush=True)
        del root, model

    env = (
        f"torch {torch.__version__}, torchvision {torchvision.__version__}, graphviz "
        f"{'.'.join(map(str, graphviz.version()))}, Python {platform.python_version()}, "
        f"{torch.get_num_threads()} threads"
    )
    print(env)
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write("# dagviz vs torchviz\n\nProduced by `make bench` (`benchmarks/bench_graphs.py`).\n\n")
            f.write("\n".join(rows) + f"\n\n{env}\n")


if __name__ == "__main__":
    main()
