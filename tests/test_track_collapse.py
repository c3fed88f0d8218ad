"""dagviz.track (module tags), collapse by module depth, and folding of big graphs."""

from __future__ import annotations

import re
import shutil
from collections import deque

import pytest
import torch
from examples import tracked_resnet18, unrolled_rnn
from torch import nn

import dagviz
from dagviz import layout
from dagviz.collapse import KEEP_STEPS, collapse, summarize
from dagviz.draw import build, prepare
from dagviz.graph import Graph

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz dot not installed")


class Block(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.lin = nn.Linear(4, 4)
        self.act = nn.ReLU(inplace=True)

    def forward(self, x):
        return self.act(self.lin(x)) + x  # the add belongs to the block itself


class Net(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Linear(3, 4)
        self.blocks = nn.Sequential(Block(), Block())
        self.head = nn.Linear(4, 2)

    def forward(self, x):
        h = torch.tanh(self.stem(x))  # tanh at the top level: no module
        return self.head(self.blocks(h))


def tracked_net():
    torch.manual_seed(0)
    net = Net()
    with dagviz.track(net):
        loss = net(torch.randn(2, 3)).sum()
    return net, loss


def check_edges_preserved(original: Graph, collapsed: Graph) -> None:
    """Edges between groups exist exactly where some original edge crossed between them."""
    group_of = {n.id: n.id for n in original.nodes}
    for g in collapsed.nodes:
        if g.kind == "group":
            assert g.attrs["count"] == len(g.attrs["members"])
            for m in g.attrs["members"]:
                group_of[m] = g.id
    assert sum(g.attrs.get("count", 1) for g in collapsed.nodes) == len(original.nodes)
    expected = {(group_of[e.src], group_of[e.dst]) for e in original.edges if group_of[e.src] != group_of[e.dst]}
    assert {(e.src, e.dst) for e in collapsed.edges} == expected
    assert collapsed.roots == original.roots


def is_acyclic(graph: Graph) -> bool:
    indeg = {n.id: 0 for n in graph.nodes}
    out: dict[str, list[str]] = {}
    for e in graph.edges:
        indeg[e.dst] += 1
        out.setdefault(e.src, []).append(e.dst)
    queue = deque(n for n, d in indeg.items() if d == 0)
    seen = 0
    while queue:
        n = queue.popleft()
        seen += 1
        for m in out.get(n, []):
            indeg[m] -= 1
            if indeg[m] == 0:
                queue.append(m)
    return seen == len(indeg)


def test_track_tags_each_node_with_its_module():
    net, loss = tracked_net()
    graph = dagviz.trace(loss, net)
    ops = {n.name: [] for n in graph.nodes if n.kind == "op"}
    for n in graph.nodes:
        if n.kind == "op":
            ops[n.name].append(n.module)
    assert sorted(ops["AddmmBackward0"]) == ["blocks.0.lin", "blocks.1.lin", "head", "stem"]
    assert ops["ReluBackward0"] == ["blocks.1.act", "blocks.0.act"]  # in-place ReLU too
    assert ops["AddBackward0"] == ["blocks.1", "blocks.0"]
    assert ops["TanhBackward0"] == [None] and ops["SumBackward0"] == [None]


def test_track_leaves_no_trace_after_the_block():
    net, _ = tracked_net()
    loss = net(torch.randn(2, 3)).sum()
    assert all(n.module is None for n in dagviz.trace(loss).nodes)
    with pytest.raises(RuntimeError, match="boom"):
        with dagviz.track(net):
            raise RuntimeError("boom")
    loss = net(torch.randn(2, 3)).sum()
    assert all(n.module is None for n in dagviz.trace(loss).nodes)
    with pytest.raises(TypeError, match="nn.Module"):
        dagviz.track(torch.ones(2))


def test_track_ignores_no_grad_and_keeps_results():
    net, _ = tracked_net()
    x = torch.randn(2, 3)
    expected = net(x)
    with dagviz.track(net), torch.no_grad():
        got = net(x)
    assert torch.equal(expected, got) and got.grad_fn is None


@pytest.mark.parametrize("depth", [0, 1, 2, 3])
def test_collapse_preserves_edges_between_groups(depth):
    net, loss = tracked_net()
    graph = dagviz.trace(loss, net)
    small = collapse(graph, depth)
    check_edges_preserved(graph, small)
    assert is_acyclic(small)


def test_collapse_depth1_boxes_are_the_top_level_modules():
    net, loss = tracked_net()
    small = collapse(dagviz.trace(loss, net), 1, {"blocks": "Sequential"})
    groups = {g.name: g for g in small.nodes if g.kind == "group"}
    assert sorted(groups) == ["blocks", "head", "stem"]
    blocks = groups["blocks"]
    assert blocks.attrs["type"] == "Sequential"
    # 2 x (Addmm + T + Relu + Add + weight + bias) = 12
    assert blocks.attrs["count"] == 12
    assert [n.name for n in small.nodes if n.kind == "op"] == ["SumBackward0", "TanhBackward0"]
    with pytest.raises(ValueError, match="depth"):
        collapse(small, -1)


def test_collapse_without_track_changes_nothing():
    net = Net()
    graph = dagviz.trace(net(torch.randn(2, 3)).sum(), net)
    with pytest.warns(UserWarning, match="dagviz.track"):
        assert collapse(graph, 1) == graph


def test_reused_module_gets_one_box_per_run_and_no_cycle():
    class Twice(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.lin = nn.Linear(3, 3)

        def forward(self, x):
            return self.lin(torch.sin(self.lin(x)))  # sin between the two calls

    model = Twice()
    with dagviz.track(model):
        loss = model(torch.randn(1, 3)).sum()
    graph = dagviz.trace(loss, model)
    small = collapse(graph, 1)
    assert is_acyclic(small)
    check_edges_preserved(graph, small)


@pytest.fixture(scope="module")
def resnet18_tracked():
    model, out = tracked_resnet18()
    return model, out.sum()


def test_resnet_depth1_is_readable(resnet18_tracked):
    model, loss = resnet18_tracked
    graph = dagviz.trace(loss, model)
    small = collapse(graph, 1)
    check_edges_preserved(graph, small)
    names = [n.name for n in small.nodes if n.kind == "group"]
    assert names == ["fc", "layer4", "layer3", "layer2", "layer1", "bn1", "conv1"]
    assert len(small.nodes) <= 20
    if shutil.which("dot"):
        dot = dagviz.draw(loss, params=model, depth=1)
        assert "layer3" in dot.pipe(format="svg", encoding="utf-8")


def rnn_loss(steps: int) -> tuple[nn.RNNCell, torch.Tensor]:
    return unrolled_rnn(steps, input_size=4, hidden=8)


def test_summarize_folds_repeated_steps():
    cell, loss = rnn_loss(200)
    graph = dagviz.trace(loss, cell)
    small = summarize(graph, 300)
    assert len(small.nodes) <= 300
    (fold,) = [n for n in small.nodes if n.kind == "group"]
    k = fold.attrs["folded_steps"]
    assert fold.name == f"... {k} repeated steps folded ..."
    # the RNN step is 6 nodes (Tanh, Add, 2 Addmm, 2 T) + 1 "no grad" input: 7 per step
    assert fold.attrs["count"] == 7 * k and 200 - 2 * KEEP_STEPS - 3 <= k <= 200 - 2 * KEEP_STEPS
    assert fold.attrs["total_nodes"] == len(graph.nodes)
    # the four shared weights are still drawn, outside the fold, and feed it
    assert sorted(n.tensor.label for n in small.leaves()) == ["bias_hh", "bias_ih", "weight_hh", "weight_ih"]
    assert {e.src for e in small.edges if e.dst == fold.id} >= {n.id for n in small.leaves()}
    assert summarize(graph, len(graph.nodes)) is graph


def test_folded_picture_says_its_use_counts_are_drawn_uses_only():
    cell, loss = rnn_loss(300)
    src = build(loss, params=cell).source
    assert "repeated steps folded" in src
    uses = re.findall(r"use (\d+) of (\d+)( drawn)?", src)
    assert uses and all(drawn for _, _, drawn in uses)  # the hidden steps use the weights too
    small_cell, small_loss = rnn_loss(30)  # big enough to split shared weights, not folded: N is every use
    small = re.findall(r"use (\d+) of (\d+)( drawn)?", build(small_loss, params=small_cell).source)
    assert small and not any(drawn for _, _, drawn in small)


def test_summarize_without_repetition_still_fits():
    xs = [torch.randn(1, requires_grad=True) for _ in range(600)]
    loss = torch.cat([x * (i + 1) for i, x in enumerate(xs)]).sum()  # wide, not deep
    graph = dagviz.trace(loss)
    small = summarize(graph, 500)
    assert len(small.nodes) <= 500
    (fold,) = [n for n in small.nodes if n.kind == "group"]
    assert "nodes folded" in fold.name and fold.attrs["count"] > 0


@needs_dot
def test_rnn_1000_steps_is_folded_within_the_layout_budget():
    # How long it takes is measured by `make bench` (benchmarks/results.md), not here.
    cell, loss = rnn_loss(1000)
    drawn = prepare(loss, cell)
    assert layout.estimate(drawn).units <= layout.BUDGET
    svg = dagviz.draw(loss, params=cell).pipe(format="svg", encoding="utf-8")
    assert "repeated steps folded" in svg


def test_snapshot_collapsed_dot(snapshot):
    net, loss = tracked_net()
    snapshot("teach_collapse_depth1.dot", build(loss, params=net, depth=1).source)


def test_nothing_kept_alive_after_tracking_and_drawing():
    import gc
    import weakref

    net = Net()
    refs = []
    handle = net.blocks[0].register_forward_hook(lambda m, i, out: refs.append(weakref.ref(out)))
    with dagviz.track(net):
        loss = net(torch.randn(2, 3)).sum()
    handle.remove()
    graph = dagviz.trace(loss, net)
    small = collapse(graph, 1)
    folded = summarize(graph, 10)
    if shutil.which("dot"):
        dagviz.draw(loss, params=net, depth=1).pipe(format="svg")
    del loss
    gc.collect()
    assert refs and refs[0]() is None, "an activation of the tracked forward is still alive"
    assert small.nodes and folded.nodes
