"""One table of box kinds (`dagviz.kinds`): every place that shows or explains a box reads it."""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path
from typing import get_args

import pytest
import torch

from dagviz import kinds
from dagviz.cli import make_parser
from dagviz.explore import explorer_data
from dagviz.graph import EdgeKind, Graph, Node, NodeKind, TensorMeta
from dagviz.render import label, summary, to_digraph
from dagviz.text import format_graph

ROOT = Path(__file__).resolve().parent.parent


def load_tool(name: str):
    spec = importlib.util.spec_from_file_location(name, ROOT / "tools" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_node_kind_has_a_row_and_every_row_draws_a_node_kind():
    node_kinds = set(get_args(NodeKind))
    assert node_kinds == {k.name for k in kinds.KINDS.values() if k.draws is None}
    assert {k.draws for k in kinds.KINDS.values() if k.draws} <= node_kinds
    assert set(kinds.EDGES) == set(get_args(EdgeKind))
    for name, k in kinds.KINDS.items():
        assert name == k.name and k.style and k.colour and k.legend and k.explain


def test_readme_legend_is_generated_from_the_table():
    tool = load_tool("readme_legend")
    _, block, _ = tool.split((ROOT / "README.md").read_text(encoding="utf-8"))
    assert block == kinds.readme_legend(), "README's legend is stale: run python tools/readme_legend.py"
    for k in kinds.KINDS.values():
        assert f"| {k.colour} | {k.explain} |" in block


def test_cli_help_and_explorer_legend_name_every_row():
    help_text = " ".join(make_parser().format_help().split())
    data = explorer_data(torch.ones(2, requires_grad=True) * 3).to_json()
    legend = {item["kind"]: item for item in data["legend"]}
    for k in kinds.KINDS.values():
        assert f"{k.colour} = {k.legend}" in help_text
        assert legend[k.name]["style"] == k.style
        assert " ".join(legend[k.name]["text"].split()) == k.legend
    assert data["edge_style"] == kinds.EDGES


def attributes(line: str) -> dict[str, str]:
    """The attributes of one DOT statement, unquoted."""
    pairs = re.findall(r'(\w+)=("(?:[^"\\]|\\.)*"|[^\s\]]+)', line.split(" [", 1)[1] if " [" in line else "")
    return {k: v[1:-1].replace('\\"', '"') if v.startswith('"') else v for k, v in pairs}


def every_kind() -> Graph:
    """A hand-made graph with a box of every kind and way of drawing, and an arrow of every kind."""
    t = TensorMeta("w", (2,), "float32")
    nodes = [
        Node("r", "root", "loss", TensorMeta("loss", (), "float32")),
        Node("o", "op", "MulBackward0"),
        Node("l", "leaf", "AccumulateGrad", t),
        Node("c", "nograd", "x", attrs={"frozen": True}),
        Node("s", "saved", "self", t),
        Node("f", "saved", "other", attrs={"freed": True}),
        Node("m", "saved", "result", attrs={"modified": True}),
        Node("g", "group", "layer1", module="layer1", attrs={"count": 4, "type": "Sequential"}),
        Node("n", "ref", "from #1"),
    ]
    edges = [("o", "r", "output"), ("l", "o", "data"), ("c", "o", "nograd"), ("s", "o", "saved"),
             ("f", "o", "saved"), ("m", "o", "saved"), ("g", "o", "data"), ("n", "o", "ref")]
    from dagviz.graph import Edge

    return Graph(nodes, [Edge(*e) for e in edges], ["r"])


def test_render_and_text_draw_each_box_from_its_row():
    graph = every_kind()
    dot = to_digraph(graph)
    drawn = {n.id: kinds.style_of(n) for n in graph.nodes}
    assert {n.id: n.kind for n in graph.nodes if kinds.style_of(n) is not kinds.KINDS[n.kind].style} == {
        "f": "saved", "m": "saved"}
    assert drawn["f"] == kinds.KINDS["freed"].style and drawn["m"] == kinds.KINDS["modified"].style
    lines = {line.split(" [")[0].strip(): attributes(line) for line in dot.body}
    for n in graph.nodes:
        assert lines[n.id] == {"label": label(n, False), **drawn[n.id]}, n.id
        assert label(n, False).startswith(kinds.label_lines(n)[0])
    for e in graph.edges:
        assert lines[f"{e.src} -> {e.dst}"] == kinds.EDGES[e.kind], e
    text = format_graph(graph)
    for n in graph.nodes:
        if n.kind != "ref":  # a note stands for arrows, not for an input of its own
            assert kinds.text_line(n) in text
    assert summary(graph).startswith("graph: 9 nodes (1 root, 1 op, 1 leaf, 1 nograd, 3 saved, 1 group, 1 ref)")


def test_a_new_kind_of_box_is_one_row(monkeypatch):
    """What adding a kind takes: a row in `kinds.KINDS` (and its word in `graph.NodeKind`). Render,
    text, the summary, the explorer's legend, the CLI's help and the README's legend follow."""
    row = kinds.Kind(
        "probe",
        {"shape": "hexagon", "style": "filled", "fillcolor": "pink"},
        "pink hexagon",
        "a probe",
        "a probe: what a new kind of box looks like",
        lambda n: [n.name, "probed"],
        lambda n: f"{n.name} (probed)",
    )
    monkeypatch.setitem(kinds.KINDS, "probe", row)
    base = every_kind()
    graph = replace(base, nodes=[*base.nodes, Node("p", "probe", "Probe0")])
    from dagviz.graph import Edge

    graph.edges.append(Edge("p", "o", "data"))
    source = to_digraph(graph).source
    assert 'p [label="Probe0\nprobed" fillcolor=pink shape=hexagon style=filled]' in source
    assert "Probe0 (probed)" in format_graph(graph)
    assert "1 probe" in summary(graph)
    assert "| pink hexagon | a probe: what a new kind of box looks like |" in kinds.readme_legend()
    assert "pink hexagon = a probe" in " ".join(make_parser().format_help().split())
    legend = explorer_data(torch.ones(2, requires_grad=True) * 3).to_json()["legend"]
    assert {"kind": "probe", "text": "a probe", "style": row.style} in legend


@pytest.mark.parametrize("kind", sorted(kinds.KINDS))
def test_every_row_lays_out(kind):
    """Graphviz accepts every style in the table (a typo in a colour name would print a warning)."""
    import graphviz

    if shutil.which("dot") is None:
        pytest.fail("Graphviz's dot is needed (make setup installs it)")
    dot = graphviz.Digraph()
    dot.node("a", "A", **kinds.KINDS[kind].style)
    dot.edge("a", "a", **kinds.EDGES["saved"])
    out = subprocess.run(["dot", "-Tsvg"], input=dot.source, capture_output=True, text=True, check=True)
    assert out.stderr == "", out.stderr


@pytest.mark.parametrize("kind", sorted(kinds.EDGES))
def test_every_arrow_style_lays_out(kind):
    import graphviz

    dot = graphviz.Digraph()
    dot.edge("a", "b", **kinds.EDGES[kind])
    out = subprocess.run(["dot", "-Tsvg"], input=dot.source, capture_output=True, text=True, check=True)
    assert out.stderr == "", out.stderr
