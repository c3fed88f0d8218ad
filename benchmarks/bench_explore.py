"""The explorer's numbers: HTML file size, first picture, time to open a group, in real Chromium.

    python benchmarks/bench_explore.py                  # resnet50, densenet121, vit_b_16 at depth 1-3
    python benchmarks/bench_explore.py --models resnet50 --depths 1 --repeat 1
    python benchmarks/bench_explore.py --markdown benchmarks/results_explore.md

For each model (random weights, never downloads) and depth, `dagviz.to_html` writes the page,
Chromium opens it from file://, and every group of the first view is opened in turn (each
time from the first view). "open" is the time from the click handler to the new picture in
the page (view + DOT + Graphviz-in-WebAssembly layout + SVG into the DOM): the median and
the slowest group, each the best of --repeat runs. "page ready" is from navigation to the
first picture (parse the page, start Graphviz's WebAssembly, lay out). Side by side, the alternatives this
design was chosen over:
- "dot" is native Graphviz (`dot -Tsvg`) on the same DOT as the slowest opening: what a
  widget laying out in Python would pay before the kernel round trip;
- `--no-stubs` times the same openings with every long arrow laid out in full, as they would
  be without the explorer's layout budget (dense skips, DenseNet);
- "precomputed" is the size of the SVG pictures for the one-click views alone (the first
  view with one group opened), which a file with precomputed layouts would have to embed
  (and opening two groups, or a group inside a group, would already need more).
"""

from __future__ import annotations

import argparse
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

import dagviz

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
import chromium  # noqa: E402

READY = ".dagviz-explorer[data-state=ready]"
OPEN = """async (gid) => {
  const el = document.querySelector('.dagviz-explorer');
  const ex = el.dagvizExplorer;
  ex.setExpanded(new Set(), null);
  const t = performance.now();
  ex.setExpanded(new Set(gid ? [gid] : []), gid);
  await new Promise((r) => requestAnimationFrame(() => r()));
  return {ms: performance.now() - t, boxes: Number(el.dataset.boxes), svg: ex.svgBox.innerHTML.length,
          dot: ex.lastDot, cut: (ex.lastDot.match(/"from_[^"]*" \\[/g) || []).length};
}"""


def build(name: str) -> tuple[torch.Tensor, torch.nn.Module]:
    from dagviz.cli import build_torchvision, default_shape

    roots, model = build_torchvision(name, default_shape(name))
    return roots, model


def native_dot(source: str, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        subprocess.run(["dot", "-Tsvg"], input=source.encode(), capture_output=True, check=True, timeout=120)
        best = min(best, time.perf_counter() - t)
    return best


def measure(page, path: Path, repeat: int, stubs: bool) -> dict:
    first = float("inf")
    for _ in range(repeat):  # from navigation to the first picture: parse, start WebAssembly, lay out
        t = time.perf_counter()
        page.goto(path.resolve().as_uri())
        page.wait_for_selector(READY, timeout=120_000)
        first = min(first, (time.perf_counter() - t) * 1000)
    if not stubs:  # the alternative: always lay out every arrow in full
        page.evaluate("document.querySelector('.dagviz-explorer').dagvizExplorer.g.data.layout_budget = null")
    groups = page.evaluate("[...document.querySelectorAll('.dv-svg g.node.group')].map(g => g.dataset.id)")
    runs = {gid: page.evaluate(OPEN, gid) for gid in groups}
    for _ in range(repeat - 1):
        for gid in groups:
            r = page.evaluate(OPEN, gid)
            if r["ms"] < runs[gid]["ms"]:
                runs[gid] = r
    slowest = max(runs.values(), key=lambda r: r["ms"]) if runs else None
    return {
        "first": first,
        "groups": len(groups),
        "median": statistics.median(r["ms"] for r in runs.values()) if runs else None,
        "slowest": slowest,
        "precomputed": sum(r["svg"] for r in runs.values()),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", nargs="+", default=["resnet50", "densenet121", "vit_b_16"])
    parser.add_argument("--depths", nargs="+", type=int, default=[1, 2, 3])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--markdown", type=Path, help="also write the table to this file")
    parser.add_argument("--no-stubs", action="store_true", help="never draw long arrows as stubs (the alternative)")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    header = (
        "| model | depth | HTML file | page ready | groups | open: median | open: slowest (boxes) "
        "| dot, same DOT | precomputed one-click views |"
    )
    rows = [header, "|" + "---|" * 9]
    print(header, flush=True)
    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as pw:
        browser = chromium.launch(pw)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        for name in args.models:
            roots, model = build(name)
            for depth in args.depths:
                path = dagviz.to_html(roots, Path(tmp) / f"{name}_{depth}.html", params=model, depth=depth)
                r = measure(page, path, args.repeat, not args.no_stubs)
                s = r["slowest"]
                slow = f"{s['ms'] / 1000:.2f} s ({s['boxes']}{', stubs' if s['cut'] else ''})" if s else "n/a"
                med = f"{r['median'] / 1000:.2f} s" if r["median"] is not None else "n/a"
                native = f"{native_dot(s['dot'], args.repeat):.2f} s" if s else "n/a"
                row = (
                    f"| {name} | {depth} | {path.stat().st_size / 1e6:.2f} MB | {r['first'] / 1000:.2f} s | "
                    f"{r['groups']} | {med} | {slow} | {native} | {r['precomputed'] / 1e6:.1f} MB |"
                )
                rows.append(row)
                print(row, flush=True)
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
