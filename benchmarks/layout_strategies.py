"""Which simplification keeps Graphviz fast on dense skip connections? The evidence behind
`dagviz.layout`: each candidate of issue 12 measured on the same graphs.

    python benchmarks/layout_strategies.py                   # candidates table (a few minutes)
    python benchmarks/layout_strategies.py --calibrate       # cost estimate vs dot's CPU time
    python benchmarks/layout_strategies.py --markdown benchmarks/layout_strategies.md

Candidates (all on the graph `dagviz.draw(loss, params=model)` would draw, before `fit`):
- as is: no simplification (`budget=None`);
- graphviz options: `nslimit=0.2 nslimit1=0.2 mclimit=0.05 searchsize=10 remincross=false
  newrank=true splines=line`, the cheapest settings of dot's own knobs;
- collapse by module: forward under `dagviz.track`, collapsed at the deepest depth that fits;
- bundle inputs: a node sharing many inputs with an earlier node gets one edge from it
  ("+ k inputs of ...") instead of k edges (a prototype, here only);
- fixed positions: ranks and a barycentre order computed in Python, `neato -n2` only draws
  (a prototype, here only);
- notes for long edges: `dagviz.layout.shorten` with max span 8, 3, 1;
- fit: what `dagviz.layout.fit` picks.
"layout" is `dot` (or `neato`) CPU seconds, killed after --timeout seconds of wall time;
"build" the Python seconds of the simplification and of writing DOT; "boxes" what is drawn;
"hidden" nodes that are only counted in a group.
"""

from __future__ import annotations

import argparse
import json
import os
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
sys.path.insert(0, str(ROOT / "tests"))

GRAPHS = ["densenet121", "densenet201", "dense_mlp:24", "dense_mlp:100", "dense_mlp:200", "rnn:200"]
OPTIONS = {
    "nslimit": "0.2", "nslimit1": "0.2", "mclimit": "0.05", "searchsize": "10", "remincross": "false",
    "newrank": "true", "splines": "line",
}  # fmt: skip


class Overrun(Exception):
    pass


def _alarm(signum: int, frame: Any) -> None:
    raise Overrun


def layout_cpu(source: str, timeout: float, prog: str = "dot", args: tuple[str, ...] = ()) -> float | None:
    """CPU seconds of `prog -Tsvg` on `source`, None when it is killed after `timeout` s of wall time."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    try:
        subprocess.run([prog, *args, "-Tsvg", "-o", os.devnull], input=source.encode(), check=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime


def make(case: str, track: bool) -> tuple[Any, Any]:
    import torch

    import dagviz

    kind, _, arg = case.partition(":")
    if kind == "dense_mlp":
        from examples import dense_mlp

        model, loss = dense_mlp(int(arg), track=track)
        return loss, model
    if kind == "rnn":
        from examples import unrolled_rnn

        model, loss = unrolled_rnn(int(arg), input_size=8, hidden=16)
        return loss, model
    from torchvision import models

    from dagviz.cli import default_shape

    torch.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = models.get_model(case, weights=None).eval()
    x = torch.randn(*default_shape(case))  # 96x96, or the 224x224 that vit_*, swin*, maxvit* need
    if track:
        with dagviz.track(model):
            return model(x).sum(), model
    return model(x).sum(), model


# ---- prototypes measured here only ------------------------------------------------------------


def bundle_inputs(graph: Any) -> Any:
    """Edges shared with an earlier consumer become one edge from it: "+ k inputs of n12"."""
    from dagviz.graph import Edge, Graph, Node

    inputs: dict[str, set[str]] = {}
    for e in graph.edges:
        inputs.setdefault(e.dst, set()).add(e.src)
    seen: list[str] = []
    drop: set[tuple[str, str]] = set()
    extra: list[Edge] = []
    nodes = list(graph.nodes)
    for n in reversed(graph.nodes):  # inputs first
        mine = inputs.get(n.id, set())
        if len(mine) >= 3:
            best = max(seen, key=lambda o: len(mine & inputs[o]), default=None)
            common = mine & inputs[best] if best else set()
            if len(common) >= 2:
                drop.update((s, n.id) for s in common)
                hub = f"{n.id}_bundle"
                nodes.append(Node(hub, "ref", f"+ {len(common)} inputs of {best}"))
                extra += [Edge(best, hub, "ref"), Edge(hub, n.id, "ref")]
            seen.append(n.id)
    edges = [e for e in graph.edges if (e.src, e.dst) not in drop] + extra
    return Graph(nodes, edges, list(graph.roots))


def fixed_positions(graph: Any) -> str:
    """DOT with every node pinned: ranks from `dagviz.layout.ranks`, order by 4 barycentre sweeps."""
    from dagviz import layout
    from dagviz.render import to_digraph

    rank = layout.ranks(graph)
    rows: dict[int, list[str]] = {}
    for n in graph.nodes:
        rows.setdefault(rank[n.id], []).append(n.id)
    up: dict[str, list[str]] = {}
    down: dict[str, list[str]] = {}
    hidden = 0
    for e in graph.edges:  # chains of hidden nodes, as dot would make them
        below = e.dst
        for r in range(rank[e.dst] + 1, rank[e.src]):
            v = f"_v{hidden}"
            hidden += 1
            rows.setdefault(r, []).append(v)
            rank[v] = r
            up.setdefault(below, []).append(v)
            down.setdefault(v, []).append(below)
            below = v
        up.setdefault(below, []).append(e.src)
        down.setdefault(e.src, []).append(below)
    pos = {v: i for row in rows.values() for i, v in enumerate(row)}
    top = max(rows)
    for sweep in range(4):
        order = range(1, top + 1) if sweep % 2 == 0 else range(top - 1, -1, -1)
        near = down if sweep % 2 == 0 else up
        for r in order:
            row = rows.get(r, [])
            bary = {v: sum(pos[u] for u in near[v]) / len(near[v]) if near.get(v) else pos[v] for v in row}
            row.sort(key=bary.__getitem__)
            for i, v in enumerate(row):
                pos[v] = i
    dot = to_digraph(graph)
    for n in graph.nodes:
        dot.node(n.id, pos=f"{pos[n.id] * 150},{rank[n.id] * 45}!")
    dot.graph_attr["splines"] = "false"
    return dot.source


# ---- the measurements -------------------------------------------------------------------------


def timed(fn: Callable[[], Any], timeout: float) -> tuple[Any, float | None]:
    signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, timeout)
    t0 = time.perf_counter()
    try:
        return fn(), time.perf_counter() - t0
    except Overrun:
        return None, None
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)


def measure(case: str, timeout: float) -> list[dict[str, Any]]:
    import dagviz
    from dagviz import layout
    from dagviz.collapse import collapse
    from dagviz.draw import module_types, prepare
    from dagviz.render import to_digraph

    loss, model = make(case, track=False)
    graph = prepare(loss, model, budget=None)
    traced = len(dagviz.trace(loss, model).nodes)
    rows: list[dict[str, Any]] = []

    def row(name: str, build: Callable[[], tuple[str, int, int]], prog: str = "dot", args: tuple[str, ...] = ()):
        out, seconds = timed(build, timeout)
        if out is None:
            rows.append({"candidate": name, "build": None})
            return
        source, boxes, hidden = out
        rows.append(
            {"candidate": name, "build": seconds, "boxes": boxes, "hidden": hidden,
             "layout": layout_cpu(source, timeout, prog, args)}
        )  # fmt: skip

    def plain(g: Any) -> tuple[str, int, int]:
        folded = sum(n.attrs["count"] for n in g.nodes if n.kind == "group")
        groups = sum(1 for n in g.nodes if n.kind == "group")
        return to_digraph(g).source, len(g.nodes), folded - groups

    row("as is", lambda: plain(graph))
    row("graphviz options", lambda: plain(graph), args=tuple(f"-G{k}={v}" for k, v in OPTIONS.items()))
    if not case.startswith("rnn"):
        tloss, tmodel = make(case, track=True)
        tracked = dagviz.trace(tloss, tmodel)
        types = module_types(tmodel)

        def by_module() -> tuple[str, int, int]:
            depth = max(len(n.module.split(".")) for n in tracked.nodes if n.module)
            for d in range(depth, 0, -1):
                g = collapse(tracked, d, types)
                if layout.estimate(g).units <= layout.BUDGET:
                    break
            return plain(g)

        row("collapse by module", by_module)
    row("bundle inputs", lambda: plain(bundle_inputs(graph)))
    if not layout.shared_leaves(graph):  # the prototype does not pin a shared leaf's copies
        row("fixed positions (neato -n2)", lambda: (fixed_positions(graph), len(graph.nodes), 0), "neato", ("-n2",))
    for span in layout.SPANS:
        row(f"notes for edges > {span} ranks", lambda span=span: plain(layout.shorten(graph, span)))
    row("fit (chosen)", lambda: plain(layout.fit(graph, modules=module_types(model))))
    for r in rows:
        r.update(case=case, traced=traced)
    return rows


def calibrate(timeout: float) -> list[dict[str, Any]]:
    """Estimate vs dot's CPU time for every classification model and synthetic graph, as drawn."""
    from torchvision import models

    from dagviz import layout
    from dagviz.draw import prepare
    from dagviz.render import to_digraph

    out = []
    for case in models.list_models(module=models) + [c for c in GRAPHS if ":" in c]:
        loss, model = make(case, track=False)
        for name, budget in (("as is", None), ("fit", layout.BUDGET)):
            g = prepare(loss, model, budget=budget)
            cost = layout.estimate(g)
            skipped = budget is None and cost.seconds > 8 * timeout  # hopeless: not worth the wait
            cpu = None if skipped else layout_cpu(to_digraph(g).source, timeout)
            out.append({"case": case, "variant": name, "units": cost.units, "est": cost.seconds})
            out[-1].update(cpu=cpu, skipped=skipped)
            print(json.dumps(out[-1]), flush=True)
        del loss, model
    return out


def fmt(x: float | None, timeout: float, unit: str = "s") -> str:
    return f"> {timeout:.0f} s (killed)" if x is None else f"{x:.2f} {unit}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--calibrate", action="store_true", help="estimate vs measured dot time instead")
    ap.add_argument("--graphs", default=",".join(GRAPHS))
    ap.add_argument("--timeout", type=float, default=30.0)
    ap.add_argument("--markdown", help="also write the table to this file")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(measure(args.child, args.timeout)), flush=True)
        return
    lines: list[str] = []
    if args.calibrate:
        rows = calibrate(args.timeout)
        lines += ["| graph | drawn | est. units | est. seconds | dot CPU seconds |", "|---|---|---|---|---|"]
        for r in rows:
            cpu = "not run (hopeless)" if r["skipped"] else fmt(r["cpu"], args.timeout)
            lines.append(f"| {r['case']} | {r['variant']} | {r['units']:.0f} | {r['est']:.2f} | {cpu} |")
        under = [r for r in rows if r["cpu"] is not None and r["cpu"] > 0.2 and r["est"] < 0.8 * r["cpu"]]
        lines.append(f"\nUnderestimated by over 20% (of {len(rows)}): " + (", ".join(
            f"{r['case']} {r['variant']} ({r['est']:.2f} vs {r['cpu']:.2f})" for r in under) or "none"))  # fmt: skip
    else:
        lines += ["| graph | candidate | boxes (hidden) | build | layout (CPU) |", "|---|---|---|---|---|"]
        print("\n".join(lines), flush=True)
        for case in args.graphs.split(","):
            cmd = [sys.executable, __file__, "--child", case, "--timeout", str(args.timeout)]
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60 + 20 * args.timeout)
            if proc.returncode != 0:
                lines.append(f"| {case} | failed: {proc.stderr.strip().splitlines()[-1][:100]} | | | |")
                print(lines[-1], flush=True)
                continue
            for r in json.loads(proc.stdout.strip().splitlines()[-1]):
                if r["build"] is None:
                    cells = ["", f"> {args.timeout:.0f} s (stopped)", "not run"]
                else:
                    cells = [f"{r['boxes']} ({r['hidden']})", f"{r['build']:.2f} s", fmt(r["layout"], args.timeout)]
                lines.append(f"| {case} ({r['traced']}) | {r['candidate']} | " + " | ".join(cells) + " |")
                print(lines[-1], flush=True)
    if args.calibrate:
        print("\n".join(lines))
    if args.markdown:
        with open(args.markdown, "a") as f:
            f.write("\n".join(lines) + "\n\n")


if __name__ == "__main__":
    main()
