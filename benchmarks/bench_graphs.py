"""dagviz vs torchviz, side by side, on torchvision's whole model zoo and on synthetic graphs.

    python benchmarks/bench_graphs.py                      # all: 80 classification models, synthetic, extra
    python benchmarks/bench_graphs.py --suite extra        # only segmentation and video models
    python benchmarks/bench_graphs.py --models densenet121,resnet50 --repeat 1
    python benchmarks/bench_graphs.py --markdown benchmarks/results.md

Each case runs in its own Python process (killed, with everything it started, if it overruns),
which builds the model with random weights (`weights=None`, never downloads), runs one forward
pass on a random input and then times both tools on the same output:
- dagviz: `dagviz.draw(loss, params=model)` with default settings, i.e. including the layout
  cost estimate and the strategy it picks; "build" is that call plus `.source`;
- torchviz 0.0.3: `make_dot(loss, params=dict(model.named_parameters()))`;
- "layout" is Graphviz's `dot -Tsvg` on the DOT source, in a subprocess killed after the
  --timeout (30 s) minus the build time; "total" is build + layout.
Times are the best of --repeat runs (a run over 10 s is not repeated). "boxes" is traced /
drawn nodes; "strategy" is what dagviz did to stay within its layout budget ("as is" when
nothing); "est." is dagviz's estimate of dot's CPU seconds for what it draws, and "(CPU)" the
CPU seconds dot really used: on a shared machine wall-clock times vary from run to run, CPU
times much less.
"""

from __future__ import annotations

import argparse
import inspect
import json
import os
import platform
import resource
import signal
import subprocess
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # the synthetic graphs are the tests' own examples

LIMITS = {"zoo": 2.0, "extra": 2.0, "synthetic": 3.0, "selected": 2.0}  # seconds end to end (issue 12)
SYNTHETIC = ["dense_mlp:24", "dense_mlp:50", "dense_mlp:100", "dense_mlp:200", "dense_mlp:285"]
SYNTHETIC += ["rnn:100", "rnn:200", "rnn:1000"]
SEGMENTATION_SHAPE = (1, 3, 96, 96)
FULL_SIZE_VIDEO = ("mvit_v1_b", "mvit_v2_s", "s3d")  # fail at 112x112: positional embeddings, 7x7 kernels
FULL_SIZE_VIDEO_SHAPE = (1, 3, 16, 224, 224)


# ---- the child: one case, both tools ------------------------------------------------------------


class Overrun(Exception):
    pass


def _alarm(signum: int, frame: Any) -> None:
    raise Overrun


def make_case(case: str) -> tuple[Any, Any, str]:
    """(loss, model, input description) for `case`: a torchvision name or a synthetic graph."""
    import torch

    kind, _, arg = case.partition(":")
    if kind == "dense_mlp":
        from examples import dense_mlp

        model, loss = dense_mlp(int(arg))
        return loss, model, f"{arg} layers"
    if kind == "rnn":
        from examples import unrolled_rnn

        model, loss = unrolled_rnn(int(arg), input_size=8, hidden=16)
        return loss, model, f"T={arg}"
    from torchvision import models

    from dagviz.cli import default_shape

    if case in models.list_models(module=models.segmentation):
        shape = SEGMENTATION_SHAPE
    else:
        shape = FULL_SIZE_VIDEO_SHAPE if case in FULL_SIZE_VIDEO else default_shape(case)
    builder = models.get_model_builder(case)
    kwargs: dict[str, Any] = {"weights": None}
    if "weights_backbone" in inspect.signature(builder).parameters:
        kwargs["weights_backbone"] = None
    torch.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = builder(**kwargs)
    model.eval()  # batch statistics need no batch of 2; eval() does not turn gradients off
    out = model(torch.randn(*shape))
    outs = out.values() if isinstance(out, dict) else [out] if isinstance(out, torch.Tensor) else out
    loss = sum(o.sum() for o in outs if isinstance(o, torch.Tensor))
    return loss, model, "x".join(map(str, shape[1:]))


def run_dot(source: str, timeout: float) -> tuple[float, float] | None:
    """(wall, CPU) seconds `dot -Tsvg` takes, or None when killed after `timeout`."""
    if timeout <= 0:
        return None
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    try:
        subprocess.run(["dot", "-Tsvg", "-o", os.devnull], input=source.encode(), check=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime


def time_tool(build: Callable[[], str], repeat: int, timeout: float) -> dict[str, Any]:
    """Best build and layout seconds of `build` (returns DOT source) within `timeout` per run."""
    best_build = best_layout = best_cpu = None
    for _ in range(repeat):
        signal.signal(signal.SIGALRM, _alarm)
        signal.setitimer(signal.ITIMER_REAL, timeout)
        t0 = time.perf_counter()
        try:
            source = build()
        except Overrun:
            return {"error": f"build over {timeout:.0f} s"}
        except RecursionError:
            return {"error": "RecursionError"}
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        b = time.perf_counter() - t0
        ran = run_dot(source, timeout - b)
        best_build = b if best_build is None else min(best_build, b)
        if ran is None:
            return {"build": best_build, "layout": None}
        lay, cpu = ran
        best_layout = lay if best_layout is None else min(best_layout, lay)
        best_cpu = cpu if best_cpu is None else min(best_cpu, cpu)
        if b + lay > 10:
            break
    return {"build": best_build, "layout": best_layout, "layout_cpu": best_cpu}


def strategy(graph: Any) -> str:
    """What dagviz did to the picture, from its plain `Graph`."""
    done = []
    folds = [n for n in graph.nodes if n.kind == "group" and "total_nodes" in n.attrs]
    modules = [n for n in graph.nodes if n.kind == "group" and "total_nodes" not in n.attrs]
    refs = [n for n in graph.nodes if n.kind == "ref"]
    if modules:
        done.append(f"collapsed by module ({len(modules)} boxes)")
    if folds:
        done.append(f"folded {sum(n.attrs['count'] for n in folds)} nodes")
    if refs:
        done.append(f"{sum(n.attrs['count'] for n in refs)} edges as notes")
    return "; ".join(done) or "as is"


def child(case: str, repeat: int, timeout: float) -> dict[str, Any]:
    import dagviz
    from dagviz import layout
    from dagviz.draw import prepare

    t0 = time.perf_counter()
    loss, model, size = make_case(case)
    result: dict[str, Any] = {"case": case, "input": size, "forward": time.perf_counter() - t0}
    traced = dagviz.trace(loss, params=model)
    drawn = prepare(loss, params=model)
    result.update(
        traced=len(traced.nodes),
        drawn=len(drawn.nodes),
        strategy=strategy(drawn),
        estimate=round(layout.estimate(drawn).seconds, 2),
    )
    del traced, drawn
    result["dagviz"] = time_tool(lambda: dagviz.draw(loss, params=model).source, repeat, timeout)

    def torchviz() -> str:
        from torchviz import make_dot

        return make_dot(loss, params=dict(model.named_parameters())).source

    result["torchviz"] = time_tool(torchviz, repeat, timeout)
    return result


# ---- the parent: one process per case, a table ----------------------------------------------


def run_case(case: str, repeat: int, timeout: float) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--child", case, "--repeat", str(repeat), "--timeout", str(timeout)]
    # Building a big model takes a while before the timed part starts; past this, kill everything.
    limit = 240 + 2 * repeat * timeout
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=limit)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        return {"case": case, "failed": f"killed after {limit:.0f} s"}
    lines = [line for line in out.splitlines() if line.startswith("{")]
    if proc.returncode != 0 or not lines:
        last = (err.strip().splitlines() or ["no output"])[-1]
        return {"case": case, "failed": last[:120]}
    return json.loads(lines[-1])


def secs(x: float | None, timeout: float) -> str:
    return f"> {timeout:.0f} s" if x is None else f"{x:.2f} s"


def tool_cells(t: dict[str, Any], timeout: float) -> list[str]:
    if "error" in t:
        return [t["error"], "n/a", "n/a"]
    total = None if t["layout"] is None else t["build"] + t["layout"]
    return [f"{t['build'] * 1000:.0f} ms", secs(t["layout"], timeout), "n/a" if total is None else f"{total:.2f} s"]


HEADER = [
    "graph", "input", "boxes traced / drawn", "dagviz strategy", "est.", "dagviz build", "dagviz layout",
    "(CPU)", "dagviz total", "torchviz build", "torchviz layout", "torchviz total",
]  # fmt: skip


def row(r: dict[str, Any], timeout: float) -> list[str]:
    if "failed" in r:
        return [r["case"], "", "", f"did not run: {r['failed']}"] + [""] * (len(HEADER) - 4)
    cells = [r["case"], r["input"], f"{r['traced']} / {r['drawn']}", r["strategy"], f"{r['estimate']:.2f} s"]
    ours = tool_cells(r["dagviz"], timeout)
    cpu = r["dagviz"].get("layout_cpu")
    ours.insert(2, "n/a" if cpu is None else f"{cpu:.2f} s")
    return cells + ours + tool_cells(r["torchviz"], timeout)


def total(t: dict[str, Any]) -> float | None:
    if "error" in t or t.get("layout") is None:
        return None
    return t["build"] + t["layout"]


def summary(results: list[dict[str, Any]], timeout: float, limit: float) -> list[str]:
    ok = [r for r in results if "failed" not in r]
    lines = []
    under = [r for r in ok if (total(r["dagviz"]) or 1e9) < limit]
    lines.append(f"- dagviz: {len(under)} of {len(results)} under {limit:.0f} s end to end (build + layout).")
    if ok:
        worst = max(ok, key=lambda r: total(r["dagviz"]) or 1e9)
        t = total(worst["dagviz"])
        lines.append(f"- dagviz worst case: {worst['case']}, {secs(t, timeout)} ({worst['strategy']}).")
        cpus = [(r["dagviz"].get("layout_cpu") or 0, r["case"]) for r in ok]
        cpu, case = max(cpus)
        lines.append(f"- dagviz's most costly layout in dot CPU time: {case}, {cpu:.2f} s.")
    bad = [r for r in ok if total(r["torchviz"]) is None]
    slow = [r for r in ok if (total(r["torchviz"]) or 0) >= limit]
    over = f"layout > {timeout:.0f} s"
    names = ", ".join(f"{r['case']} ({r['torchviz'].get('error') or over})" for r in bad)
    lines.append(f"- torchviz: {len(bad)} failed ({names or 'none'}); {len(slow)} more took {limit:.0f} s or longer.")
    if len(ok) < len(results):
        lines.append(f"- did not run: {', '.join(r['case'] for r in results if 'failed' in r)}.")
    return lines


def cases_for(suite: str) -> list[str]:
    from torchvision import models

    if suite == "zoo":
        return models.list_models(module=models)
    if suite == "extra":
        return models.list_models(module=models.segmentation) + models.list_models(module=models.video)
    if suite == "synthetic":
        return list(SYNTHETIC)
    raise SystemExit(f"unknown suite {suite!r}: use zoo, synthetic or extra")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--suite", default="zoo,synthetic,extra", help="comma-separated: zoo, synthetic, extra")
    ap.add_argument("--models", help="comma-separated cases instead of the suites (e.g. densenet121,rnn:200)")
    ap.add_argument("--timeout", type=float, default=30.0, help="seconds per tool (build + layout)")
    ap.add_argument("--repeat", type=int, default=3, help="best of this many runs")
    ap.add_argument("--markdown", help="also write the table to this file")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.repeat, args.timeout)), flush=True)
        return

    import graphviz
    import torch
    import torchvision

    sections: list[tuple[str, list[str]]] = []
    if args.models:
        sections.append(("selected", args.models.split(",")))
    else:
        sections += [(s, cases_for(s)) for s in args.suite.split(",")]
    md: list[str] = []
    for name, cases in sections:
        print(f"\n## {name} ({len(cases)} graphs)\n", flush=True)
        table = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
        print("\n".join(table), flush=True)
        results = []
        for case in cases:
            r = run_case(case, args.repeat, args.timeout)
            results.append(r)
            table.append("| " + " | ".join(row(r, args.timeout)) + " |")
            print(table[-1], flush=True)
        lines = summary(results, args.timeout, LIMITS[name])
        print("\n" + "\n".join(lines), flush=True)
        md += [f"## {name} ({len(cases)} graphs)", "", *table, "", *lines, ""]
    env = (
        f"torch {torch.__version__}, torchvision {torchvision.__version__}, graphviz "
        f"{'.'.join(map(str, graphviz.version()))}, Python {platform.python_version()}, "
        f"{os.cpu_count()} cores, best of {args.repeat}, timeout {args.timeout:.0f} s"
    )
    print(env)
    if args.markdown:
        with open(args.markdown, "w") as f:
            f.write("# dagviz vs torchviz\n\nProduced by `make bench` (`benchmarks/bench_graphs.py`).\n\n")
            f.write("\n".join(md) + f"\n{env}\n")


if __name__ == "__main__":
    main()
