"""The explorer of two checkouts side by side, opened alternately in one browser: a fair comparison
on a busy machine, where two runs of `bench_explore.py` minutes apart differ 2-3x.

    git archive main | tar -x -C /tmp/main-copy        # the other explorer, e.g. main's
    python benchmarks/compare_explore.py --before /tmp/main-copy --models rnn:200 rnn:1000 --rounds 3

For each graph, each checkout's `dagviz.to_html` writes the page (in its own process, with that
checkout first on the path); then, round after round, Chromium opens one page and then the other
and opens every group of each (from the view where the groups around it are open, as
`bench_explore.py` does). Printed: page size, groups, and the median, 90th percentile and slowest
opening, each group's time the best of its rounds.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
sys.path.insert(0, str(ROOT / "benchmarks"))
import bench_explore  # noqa: E402
import chromium  # noqa: E402

# Run with a checkout first on sys.path: write its page for a graph, and each group's ancestors.
WRITE = """
import json, sys
import dagviz
sys.path.insert(1, sys.argv[3])
import bench_explore as b
from dagviz.explore import explorer_data, page
print(dagviz.__file__, file=sys.stderr)
roots, model = b.build(sys.argv[1])
data = explorer_data(roots, model)
open(sys.argv[2], "w", encoding="utf-8").write(page(data))
json.dump({gid: b.ancestors(data, gid) for gid in data.groups}, open(sys.argv[2] + ".json", "w"))
"""


def write_page(checkout: Path, graph: str, out: Path) -> dict[str, list[str]]:
    env = {**os.environ, "PYTHONPATH": str(checkout)}  # and run from it: `python -c` puts the cwd first
    subprocess.run([sys.executable, "-c", WRITE, graph, str(out), str(ROOT / "benchmarks")], env=env, check=True,
                   cwd=checkout)
    return json.loads(Path(f"{out}.json").read_text())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--before", type=Path, required=True, help="the other checkout (its dagviz/ is imported)")
    parser.add_argument("--models", nargs="+", default=["rnn:200", "rnn:1000"])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as pw:
        browser = chromium.launch(pw)
        for graph in args.models:
            sides = {}
            for tag, checkout in (("before", args.before.resolve()), ("now", ROOT)):
                path = Path(tmp) / f"{tag}.html"
                sides[tag] = (path, write_page(checkout, graph, path))
            best: dict[str, dict[str, float]] = {tag: {} for tag in sides}
            for _ in range(args.rounds):
                for tag, (path, groups) in sides.items():
                    page = browser.new_page(viewport={"width": 1400, "height": 900})
                    page.goto(path.as_uri())
                    page.wait_for_selector(bench_explore.READY, timeout=120_000)
                    for gid, around in groups.items():
                        ms = page.evaluate(bench_explore.OPEN, [around, gid])["ms"]
                        best[tag][gid] = min(best[tag].get(gid, float("inf")), ms)
                    page.close()
            for tag, times in best.items():
                v = sorted(times.values())
                print(f"{graph} {tag}: page {sides[tag][0].stat().st_size / 1e6:.2f} MB, {len(v)} groups, open "
                      f"median {statistics.median(v):.0f} ms, 90th percentile {v[int(0.9 * (len(v) - 1))]:.0f} ms, "
                      f"slowest {v[-1]:.0f} ms", flush=True)
        browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
