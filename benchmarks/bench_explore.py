"""The explorer's numbers: HTML file size, first picture, time to open a group, in real Chromium.

    python benchmarks/bench_explore.py     # resnet50, densenet121, vit_b_16 (no depth, 1-3), rnn:200, rnn:1000
    python benchmarks/bench_explore.py --models resnet50 rnn:1000 --depths 1 --repeat 1
    python benchmarks/bench_explore.py --markdown benchmarks/results_explore.md

For each graph (torchvision models with random weights, never downloads; "rnn:T" is an RNNCell
unrolled T steps, as in `make bench`) and depth, the page `dagviz.to_html` writes is opened by
Chromium from file://, and every group is opened in turn: each from the view where all the
groups around it are open, so a folded repetition's chunks and a module's submodules count too.
"open" is the time from the click handler to the new picture in the page (view + layout budget
+ DOT + Graphviz-in-WebAssembly layout + SVG into the DOM): the median and the slowest group,
each the best of --repeat runs. "page ready" is from navigation
to the first picture (parse the page, start Graphviz's WebAssembly, lay out). "budget rule" is
the slowest time the browser's port of `dagviz.layout` (ranks, cost, cut, notes) took on one of
those views (the first one included), beside Python's `layout.fit` on the same view. Side by side, the alternatives this
design was chosen over:
- "dot" is native Graphviz (`dot -Tsvg`) on the same DOT as the slowest opening: what a
  widget laying out in Python would pay before the kernel round trip;
- `--no-budget` times the same openings with every long arrow laid out in full, as they would
  be without the layout budget (dense skips, DenseNet);
- "precomputed" is the size of the SVG pictures of the views measured alone (each group opened
  with those around it), which a file with precomputed layouts would have to embed,
  and "views" how many different views the groups allow (every set of open groups that
  draws differently): what precomputing every layout, or every budget verdict, would need.
"""

from __future__ import annotations

import argparse
import math
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

from dagviz.explore import ExplorerData, explorer_data
from dagviz.explore import page as explorer_page
from dagviz.layout import fit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import chromium  # noqa: E402

READY = ".dagviz-explorer[data-state=ready]"
# Open the groups `around` (untimed), then time opening `gid` too.
OPEN = """async ([around, gid]) => {
  const el = document.querySelector('.dagviz-explorer');
  const ex = el.dagvizExplorer;
  ex.setExpanded(new Set(around), null);
  const t = performance.now();
  ex.setExpanded(new Set([...around, gid]), gid);
  await new Promise((r) => requestAnimationFrame(() => r()));
  return {ms: performance.now() - t, boxes: Number(el.dataset.boxes), svg: ex.svgBox.innerHTML.length,
          dot: ex.lastDot, cut: ex.lastFit.cut.size, notes: ex.lastFit.notes.length, rule: Number(el.dataset.ruleMs)};
}"""


def build(name: str) -> tuple[torch.Tensor, torch.nn.Module]:
    kind, _, arg = name.partition(":")
    if kind == "rnn":  # the same graph as `make bench`'s rnn:T
        sys.path.insert(0, str(ROOT / "tests"))
        from examples import unrolled_rnn

        cell, loss = unrolled_rnn(int(arg), input_size=8, hidden=16)
        return loss, cell
    from dagviz.cli import build_torchvision, default_shape

    roots, model = build_torchvision(name, default_shape(name))
    return roots, model


def ancestors(data: ExplorerData, gid: str) -> list[str]:
    """The groups around `gid`, outermost first: open before `gid` can be seen."""
    out = []
    parent = data.groups[gid].parent
    while parent is not None:
        out.append(parent)
        parent = data.groups[parent].parent
    return out[::-1]


def native_dot(source: str, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        subprocess.run(["dot", "-Tsvg"], input=source.encode(), capture_output=True, check=True, timeout=120)
        best = min(best, time.perf_counter() - t)
    return best


def views(data: ExplorerData) -> int:
    """How many different views the groups allow: a group is closed, or open with each of its
    children in any of their states."""
    children: dict[str | None, list[str]] = {}
    for gid, g in data.groups.items():
        children.setdefault(g.parent, []).append(gid)

    def count(gid: str) -> int:
        return 1 + math.prod(count(c) for c in children.get(gid, []))

    return math.prod(count(g) for g in children.get(None, []))


def big(n: int) -> str:
    return f"{n:,}" if n < 10**6 else f"10^{math.log10(n):.0f}"


def python_fit(data: ExplorerData, gid: str, repeat: int) -> float:
    """Seconds of `layout.fit` (Python) on the view with `gid` (and what is around it) open: what
    the browser's port does; the first view when `gid` is empty."""
    shown = data.shown([*ancestors(data, gid), gid] if gid else [])
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fit(shown, data.budget, fold=False)
        best = min(best, time.perf_counter() - t)
    return best


def measure(page, path: Path, data: ExplorerData, repeat: int, budget: bool) -> dict:
    first = first_rule = float("inf")
    for _ in range(repeat):  # from navigation to the first picture: parse, start WebAssembly, lay out
        t = time.perf_counter()
        page.goto(path.resolve().as_uri())
        page.wait_for_selector(READY, timeout=120_000)
        first = min(first, (time.perf_counter() - t) * 1000)
        first_rule = min(first_rule, float(page.get_attribute(".dagviz-explorer", "data-rule-ms")))
    if not budget:  # the alternative: always lay out every arrow in full
        page.evaluate("document.querySelector('.dagviz-explorer').dagvizExplorer.g.data.layout.budget = null")
    groups = list(data.groups)
    runs = {gid: page.evaluate(OPEN, [ancestors(data, gid), gid]) for gid in groups}
    for _ in range(repeat - 1):
        for gid in groups:
            r = page.evaluate(OPEN, [ancestors(data, gid), gid])
            if r["ms"] < runs[gid]["ms"]:
                runs[gid] = r
    slowest = max(runs.values(), key=lambda r: r["ms"]) if runs else None
    rule = max([("", {"rule": first_rule}), *runs.items()], key=lambda item: item[1]["rule"])
    return {
        "rule": rule,
        "first": first,
        "groups": len(groups),
        "median": statistics.median(r["ms"] for r in runs.values()) if runs else None,
        "slowest": slowest,
        "precomputed": sum(r["svg"] for r in runs.values()),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", nargs="+", default=["resnet50", "densenet121", "vit_b_16", "rnn:200", "rnn:1000"])
    parser.add_argument("--depths", nargs="+", type=lambda v: None if v == "none" else int(v),
                        default=[None, 1, 2, 3], help="module depths to collapse to; none: every node")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--markdown", type=Path, help="also write the table to this file")
    parser.add_argument("--no-budget", action="store_true", help="lay out every arrow in full (the alternative)")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    header = (
        "| model | depth | HTML file | page ready | groups | open: median | open: slowest (boxes) "
        "| budget rule: browser / Python | dot, same DOT | precomputed one-click views | views |"
    )
    rows = [header, "|" + "---|" * 11]
    print(header, flush=True)
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as pw:
        browser = chromium.launch(pw)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        for name in args.models:
            roots, model = build(name)
            for depth in args.depths if not name.startswith("rnn:") else [None]:  # an RNN has no modules
                data = explorer_data(roots, model, depth=depth)  # what dagviz.to_html writes
                path = Path(tmp) / f"{name}_{depth}.html"
                path.write_text(explorer_page(data), encoding="utf-8")
                r = measure(page, path, data, args.repeat, not args.no_budget)
                s = r["slowest"]
                slow = f"{s['ms'] / 1000:.2f} s ({s['boxes']}{', notes' if s['cut'] else ''})" if s else "n/a"
                med = f"{r['median'] / 1000:.2f} s" if r["median"] is not None else "n/a"
                native = f"{native_dot(s['dot'], args.repeat):.2f} s" if s else "n/a"
                gid, rr = r["rule"]
                rule = f"{rr['rule']:.1f} / {python_fit(data, gid, args.repeat) * 1000:.1f} ms"
                row = (
                    f"| {name} | {depth or '-'} | {path.stat().st_size / 1e6:.2f} MB | {r['first'] / 1000:.2f} s | "
                    f"{r['groups']} | {med} | {slow} | {rule} | {native} | {r['precomputed'] / 1e6:.1f} MB | "
                    f"{big(views(data))} |"
                )
                rows.append(row)
                print(row, flush=True)
                del data
            del roots, model
        browser.close()
    versions = (
        f"torch {torch.__version__}, Chromium {chromium_version()}, Graphviz (wasm) 16.1.0 via "
        f"@hpcc-js/wasm-graphviz 1.29.2, Python {platform.python_version()}, {torch.get_num_threads()} threads; "
        f"best of {args.repeat}"
    )
    print(versions)
    if args.markdown:
        args.markdown.write_text(
            "# dagviz explorer\n\nProduced by `make bench-explore` (`benchmarks/bench_explore.py`).\n\n"
            + "\n".join(rows)
            + f"\n\n{versions}\n",
            encoding="utf-8",
        )
    return 0


def chromium_version() -> str:
    try:
        out = subprocess.run([chromium.find(), "--version"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError, chromium.ChromiumNotFound):
        return "?"
    found = re.search(r"\d+(\.\d+)+", out)
    return found.group(0) if found else "?"


if __name__ == "__main__":
    sys.exit(main())
