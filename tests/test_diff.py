"""dagviz.diff: structural matching of two graphs (freezing, detach, no_grad)."""

from __future__ import annotations

import dataclasses
import shutil

import pytest
import torch
from examples import mlp_loss, small_mlp

import dagviz
from dagviz.diff import compare, merged
from dagviz.graph import Edge, Graph

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz dot not installed")


def renamed(graph: Graph, prefix: str) -> Graph:
    """The same graph with other ids: matching must not depend on them."""
    nodes = [dataclasses.replace(n, id=prefix + n.id) for n in graph.nodes]
    edges = [Edge(prefix + e.src, prefix + e.dst, e.kind, e.slot) for e in graph.edges]
    return Graph(nodes, edges, [prefix + r for r in graph.roots])


def test_identical_graphs_have_no_difference():
    model = small_mlp()
    g1, g2 = dagviz.trace(mlp_loss(model), model), dagviz.trace(mlp_loss(model), model)
    assert compare(g1, g1).is_empty()
    d = compare(g1, renamed(g2, "other_"))
    assert d.is_empty() and len(d.matched) == len(g1.nodes) and repr(d) == "GraphDiff(no difference)"


def test_freezing_removes_the_backbone_and_adds_a_constant():
    model = small_mlp()
    before = dagviz.trace(mlp_loss(model), model)
    model[0].requires_grad_(False)
    after = dagviz.trace(mlp_loss(model), model)
    d = compare(before, after)
    by_id_b = {n.id: n for n in before.nodes}
    by_id_a = {n.id: n for n in after.nodes}
    removed = sorted(by_id_b[i].tensor.label if by_id_b[i].kind == "leaf" else by_id_b[i].name for i in d.removed)
    assert removed == ["0.bias", "0.weight", "AddmmBackward0", "TBackward0", "TanhBackward0", "no grad"]
    assert [by_id_a[i].kind for i in d.added] == ["nograd"]  # where the graph now stops
    kept = sorted(by_id_a[a].tensor.label for a in d.matched.values() if by_id_a[a].kind == "leaf")
    assert kept == ["2.bias", "2.weight"]
    assert all(e.dst in d.matched or e.src in d.removed for e in d.removed_edges)


def test_detach_and_no_grad_cut_a_branch():
    a = torch.tensor([1.0, 2.0], requires_grad=True)
    b = torch.tensor([3.0, 4.0], requires_grad=True)
    before = (a * b).sum() + a.exp().sum()
    after_detach = (a * b).sum() + a.detach().exp().sum()
    with torch.no_grad():
        e = a.exp()
    after_no_grad = (a * b).sum() + e.sum()
    for after in (after_detach, after_no_grad):
        d = compare(dagviz.trace(before), dagviz.trace(after))
        names = {n.id: n.name for n in d.before.nodes}
        assert sorted(names[i] for i in d.removed) == ["ExpBackward0", "SumBackward0"]
        assert [n.kind for n in d.after.nodes if n.id in d.added] == ["nograd"]
        # the leaf a is still there (through a * b): matched, not removed and re-added
        assert len([n for n in d.after.nodes if n.kind == "leaf" and n.id in d.matched.values()]) == 2


def test_diff_is_deterministic_and_accepts_graphs_or_tensors():
    model = small_mlp()
    before_t = mlp_loss(model)
    model[0].requires_grad_(False)
    after_t = mlp_loss(model)
    runs = [merged(compare(dagviz.trace(before_t, model), dagviz.trace(after_t, model))) for _ in range(2)]
    assert runs[0] == runs[1]
    if shutil.which("dot"):
        src1 = dagviz.diff(dagviz.trace(before_t, model), after_t, params=model).source
        src2 = dagviz.diff(before_t, dagviz.trace(after_t, model), params=model).source
        assert src1 == src2
        assert "0x" not in src1


@needs_dot
def test_diff_picture_marks_removed_and_added(tmp_path, snapshot):
    model = small_mlp()
    before = mlp_loss(model)
    model[0].requires_grad_(False)
    dot = dagviz.diff(before, mlp_loss(model), params=model)
    assert repr(dot).startswith("<dagviz diff: 6 nodes removed, 1 added")
    src = dot.source
    nodes = [line for line in src.splitlines() if " -> " not in line]
    added = [line for line in nodes if "color=green4" in line and "penwidth=3" in line]
    assert src.count("fillcolor=mistyrose") == 6 and len(added) == 1
    assert "red dashed: removed" in src
    svg = dot.pipe(format="svg", encoding="utf-8")
    assert len(svg) < 100_000
    snapshot("teach_diff_freeze_first_layer.dot", src)


@needs_dot
def test_diff_by_module_depth():
    model = small_mlp()
    with dagviz.track(model):
        before = mlp_loss(model)
    model[0].requires_grad_(False)
    with dagviz.track(model):
        after = mlp_loss(model)
    dot = dagviz.diff(before, after, params=model, depth=1)
    d = dot.diff
    removed = {n.name for n in d.before.nodes if n.id in d.removed}
    # the first Linear as one box, the tanh after it, and the input x that fed them
    assert removed == {"0", "TanhBackward0", "no grad"}
    assert [n.kind for n in d.after.nodes if n.id in d.added] == ["nograd"]
    assert compare(d.before, d.before).is_empty()


def test_node_lists_follow_the_id_lists_in_graph_order():
    model = small_mlp()
    before = dagviz.trace(mlp_loss(model), model)
    model[0].requires_grad_(False)
    d = compare(before, dagviz.trace(mlp_loss(model), model))
    assert [n.id for n in d.removed_nodes()] == d.removed
    assert [n.id for n in d.added_nodes()] == d.added
    assert sorted(n.id for n in d.common_nodes()) == sorted(d.matched.values())
    assert [n.id for n in d.common_nodes()] == [n.id for n in d.after.nodes if n.id in d.matched.values()]
