"""dagviz vs torchviz, side by side: graph walk + DOT, then `dot -Tsvg` layout.

    python benchmarks/bench_graphs.py            # full table (a few minutes: torchviz times out)
    python benchmarks/bench_graphs.py --quick    # small cases only
    python benchmarks/bench_graphs.py --timeout 60 --markdown benchmarks/results.md

Both tools get the same forward pass (same model, same input, same seed). "build" is the
Python time to walk the graph and produce DOT source; "layout" is graphviz's `dot -Tsvg`
on that source in a subprocess, killed after --timeout seconds (shown as "> N s"). Times
are the best of --repeat runs. "traced" counts the nodes dagviz walked, "drawn" the boxes
in its picture (graphs over 1,500 nodes are folded into a summary).
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
from dagviz.draw import prepare


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


def layout(source: str, timeout: float, repeat: int) -> float | None:
    """Best seconds `dot -Tsvg` needs for `source`, or None when it exceeds `timeout`."""
    best = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        try:
            subprocess.run(["dot", "-Tsvg", "-o", "/dev/null"], input=source.encode(), check=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            return None
        seconds = time.perf_counter() - t0
        best = seconds if best is None else min(best, seconds)
    return best


def best_build(
    build: Callable[[torch.Tensor, torch.nn.Module], str], root: torch.Tensor, model: torch.nn.Module, repeat: int
) -> tuple[str | None, float]:
    """(DOT source, best seconds), or (None, 0) when the tool crashes (torchviz recurses)."""
    best = float("inf")
    source = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        try:
            source = build(root, model)
        except RecursionError:
            return None, 0.0
        best = min(best, time.perf_counter() - t0)
    return source, best


def build_dagviz(root: torch.Tensor, model: torch.nn.Module) -> str:
    return dagviz.draw(root, params=model).source


def build_torchviz(root: torch.Tensor, model: torch.nn.Module) -> str:
    from torchviz import make_dot

    return make_dot(root, params=dict(model.named_parameters())).source


def fmt_layout(seconds: float | None, timeout: float) -> str:
    return f"> {timeout:.0f} s" if seconds is None else f"{seconds:.2f} s"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="only the small cases")
    ap.add_argument("--timeout", type=float, default=30.0, help="layout timeout per graph, seconds")
    ap.add_argument("--markdown", help="also write the table to this file")
    ap.add_argument("--repeat", type=int, default=3, help="best of this many runs")
    args = ap.parse_args()

    cases = [model_case("resnet18", (1, 3, 64, 64)), rnn_case(30), rnn_case(40), rnn_case(100)]
    if not args.quick:
        cases[1:1] = [model_case("resnet50", (1, 3, 64, 64)), model_case("vit_b_16", (1, 3, 224, 224))]
        cases += [rnn_case(300), rnn_case(1000)]

    header = (
        "| graph | traced / drawn | dagviz build | dagviz layout | dagviz total "
        "| torchviz build | torchviz layout | torchviz total |"
    )
    rows = [header, "|" + "---|" * 8]
    print(header, flush=True)
    for case in cases:
        root, model = case.make()
        src, d_build = best_build(build_dagviz, root, model, args.repeat)
        d_layout = layout(src, args.timeout, args.repeat)
        traced = len(dagviz.trace(root, params=model).nodes)
        drawn = len(prepare(root, params=model).nodes)
        tsrc, t_build = best_build(build_torchviz, root, model, args.repeat)
        if tsrc is None:
            t_cells = "RecursionError | n/a | n/a"
        else:
            t_layout = layout(tsrc, args.timeout, args.repeat)
            t_total = "n/a" if t_layout is None else f"{t_build + t_layout:.2f} s"
            t_cells = f"{t_build * 1000:.0f} ms | {fmt_layout(t_layout, args.timeout)} | {t_total}"
        total = "n/a" if d_layout is None else f"{d_build + d_layout:.2f} s"
        row = (
            f"| {case.name} | {traced} / {drawn} | {d_build * 1000:.0f} ms | {fmt_layout(d_layout, args.timeout)} "
            f"| {total} | {t_cells} |"
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
