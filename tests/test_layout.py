"""dagviz.layout: the cost estimate, the strategy chosen over budget, and the honesty rule.

No timings here (they live in `make bench`): these tests check *which* strategy is chosen for
small synthetic graphs and that the simplified picture still accounts for every traced node and
edge. Budgets are lowered where needed so that small graphs exercise the big-graph paths.
"""

from __future__ import annotations

import shutil

import pytest
import torch
from examples import dense_mlp, unrolled_rnn
from torch import nn

import dagviz
from dagviz import layout
from dagviz.collapse import collapse
from dagviz.draw import build, module_types, prepare
from dagviz.graph import Edge, Graph, Node

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz dot not installed")


def chain_with_skip() -> Graph:
    """x -> a -> b -> c -> out, plus x -> c: the skip spans three ranks (two hidden nodes)."""
    nodes = [Node("out", "root", "out"), Node("c", "op", "AddBackward0"), Node("b", "op", "ReluBackward0")]
    nodes += [Node("a", "op", "MulBackward0"), Node("x", "leaf", "AccumulateGrad")]
    edges = [Edge("c", "out", "output"), Edge("b", "c", "data", 0), Edge("a", "b", "data", 0)]
    edges += [Edge("x", "a", "data", 0), Edge("x", "c", "data", 1)]
    return Graph(nodes, edges, ["out"])


def owners(graph: Graph) -> dict[str, str]:
    """Drawn node id for every node it stands for: itself, or the group that counts it."""
    own: dict[str, str] = {}
    for n in graph.nodes:
        if n.kind == "group":
            assert n.attrs["count"] == len(n.attrs["members"]), "a group must count exactly its members"
            for m in n.attrs["members"]:
                own[m] = n.id
        elif n.kind != "ref":
            own[n.id] = n.id
    return own


def marks_named(note: str) -> set[int]:
    """{1, 2, 3, 5} from "from #1-#3, #5"."""
    out: set[int] = set()
    for part in note.removeprefix("from ").split(", "):
        lo, _, hi = part.partition("-")
        out.update(range(int(lo.lstrip("#")), int((hi or lo).lstrip("#")) + 1))
    return out


def assert_honest(traced: Graph, drawn: Graph, *, said: bool = True) -> None:
    """Every traced node is drawn or counted in a group; every traced edge is drawn, inside a
    group, between the groups that hold its ends, or listed in the "from #k" note of its consumer;
    every note lists only marked boxes; the picture says it was simplified."""
    own = owners(drawn)
    assert set(own) == {n.id for n in traced.nodes}
    by_id = {n.id: n for n in drawn.nodes}
    drawn_pairs = {(e.src, e.dst) for e in drawn.edges}
    listed: set[tuple[str, str]] = set()
    for n in drawn.nodes:
        if n.kind != "ref":
            continue
        (consumer,) = [e.dst for e in drawn.edges if e.src == n.id]
        assert (n.id, consumer) in drawn_pairs and by_id[consumer].kind != "ref"
        assert n.attrs["count"] == len(n.attrs["edges"])
        for src, _kind, _slot in n.attrs["edges"]:
            listed.add((src, consumer))
            assert by_id[src].attrs["mark"] in marks_named(n.name)  # the note names the box's mark
    for e in traced.edges:
        s, d = own[e.src], own[e.dst]
        assert s == d or (s, d) in drawn_pairs or (s, d) in listed, f"traced edge {e} is neither drawn nor listed"
    if said and drawn is not traced:
        assert drawn.notes and drawn.notes[-1].startswith("layout budget:")


def test_estimate_counts_what_dot_will_place():
    g = chain_with_skip()
    rank = layout.ranks(g)
    assert [rank[i] for i in ("out", "c", "b", "a", "x")] == [0, 1, 2, 3, 4]
    cost = layout.estimate(g)
    assert (cost.boxes, cost.edges, cost.ranks, cost.long_edges, cost.hidden) == (5, 5, 5, 1, 2)
    assert cost.units == 5 + layout.HIDDEN_WEIGHT * 2
    assert cost.seconds == pytest.approx((cost.units / layout.UNITS_PER_SECOND) ** 2)


def test_shared_leaf_is_drawn_once_per_use_and_costs_no_long_edge():
    cell, loss = unrolled_rnn(30)
    graph = dagviz.trace(loss, cell)
    shared = layout.shared_leaves(graph)
    assert {graph.node(i).tensor.label for i in shared} == {"weight_ih", "weight_hh", "bias_ih", "bias_hh"}
    cost = layout.estimate(graph)
    uses = sum(1 for e in graph.edges if e.src in shared)
    assert cost.boxes == len(graph.nodes) - len(shared) + uses
    assert cost.hidden == 0 and cost.long_edges == 0  # an unrolled chain with its weights drawn locally


def test_small_graphs_are_left_exactly_as_they_are():
    a = torch.tensor([2.0, 3.0], requires_grad=True)
    b = torch.tensor([6.0, 4.0], requires_grad=True)
    q = 3 * a**3 - b**2
    for graph in (dagviz.trace(q, {"a": a, "b": b}), chain_with_skip(), dagviz.trace(*reversed(unrolled_rnn(40)))):
        assert layout.estimate(graph).units <= layout.BUDGET
        assert layout.fit(graph) is graph


def test_budget_none_never_simplifies():
    model, loss = dense_mlp(24)
    graph = dagviz.trace(loss, model)
    assert layout.estimate(graph).units > layout.BUDGET  # the 169-box graph that took seconds
    assert layout.fit(graph, None) is graph
    assert prepare(loss, model, budget=None) == graph


def test_dense_skips_over_budget_become_notes_and_every_node_stays():
    model, loss = dense_mlp(24)
    traced = dagviz.trace(loss, model)
    drawn = layout.fit(traced)
    assert layout.estimate(drawn).units <= layout.BUDGET
    assert not [n for n in drawn.nodes if n.kind == "group"], "long edges alone must not hide any node"
    refs = [n for n in drawn.nodes if n.kind == "ref"]
    assert refs and all(n.name.startswith("from #") for n in refs)
    assert_honest(traced, drawn)
    (note,) = drawn.notes
    n_edges = sum(n.attrs["count"] for n in refs)
    assert f"{n_edges} long edges drawn as 'from #k' notes" in note
    # the concatenation of all 24 earlier outputs keeps its nearest input as an arrow and lists the rest
    last_cat = max((n for n in traced.nodes if n.name == "CatBackward0"), key=lambda n: len(traced.inputs_of(n.id)))
    ref_of_last = [n for n in refs if any(e.dst == last_cat.id for e in drawn.edges if e.src == n.id)]
    assert len(ref_of_last) == 1 and ref_of_last[0].attrs["count"] >= 15


def test_marks_count_from_the_top_and_notes_use_ranges():
    model, loss = dense_mlp(12)
    traced = dagviz.trace(loss, model)
    drawn = layout.shorten(traced, 1)
    rank = layout.ranks(traced)
    marked = sorted((n for n in drawn.nodes if "mark" in n.attrs), key=lambda n: n.attrs["mark"])
    assert [n.attrs["mark"] for n in marked] == list(range(1, len(marked) + 1))
    assert [rank[n.id] for n in marked] == sorted((rank[n.id] for n in marked), reverse=True)
    assert layout._ranges([5, 1, 2, 3, 9, 10]) == "#1-#3, #5, #9-#10"
    assert_honest(traced, drawn, said=False)  # `fit` writes the note, `shorten` only draws


def test_many_boxes_fold_repetition_when_modules_are_unknown():
    cell, loss = unrolled_rnn(60)
    traced = dagviz.trace(loss, cell)
    budget = layout.estimate(traced).units / 4  # lesson-sized, but pretend it is 4x too costly
    drawn = layout.fit(traced, budget)
    assert layout.estimate(drawn).units <= budget
    (fold,) = [n for n in drawn.nodes if n.kind == "group"]
    assert "repeated steps folded" in fold.name
    assert "nodes folded into a khaki box" in drawn.notes[0]
    assert_honest(traced, drawn)


def test_max_nodes_none_keeps_every_box_but_still_shortens_edges():
    cell, loss = unrolled_rnn(300)  # 2,107 nodes: folded by default
    assert any(n.kind == "group" for n in prepare(loss, cell).nodes)
    every = prepare(loss, cell, max_nodes=None)
    traced = dagviz.trace(loss, cell)
    assert (every.nodes, every.edges) == (traced.nodes, traced.edges)  # no long edge to shorten, nothing folded
    assert every.notes == [
        "layout budget: still over budget with every box kept, so Graphviz may take a while. "
        "budget=None draws everything as is."
    ]
    model, dense = dense_mlp(24)
    kept = prepare(dense, model, max_nodes=None)
    assert not [n for n in kept.nodes if n.kind == "group"] and [n for n in kept.nodes if n.kind == "ref"]
    tiny = layout.fit(dagviz.trace(dense, model), budget=10, fold=False)  # cannot fit: shortened anyway
    assert not [n for n in tiny.nodes if n.kind == "group"] and tiny.notes


def test_many_boxes_collapse_by_module_when_tracked():
    model, loss = dense_mlp(24, track=True)
    traced = dagviz.trace(loss, model)
    types = module_types(model)
    # a budget that even fully shortened edges miss, but one box per Linear meets
    budget = (layout._short_cost(traced) + layout._short_cost(collapse(traced, 2, types))) / 2
    drawn = layout.fit(traced, budget, modules=types)
    assert layout.estimate(drawn).units <= budget
    groups = [n for n in drawn.nodes if n.kind == "group"]
    assert groups and all(n.attrs.get("type") == "Linear" for n in groups)
    assert len(groups) == 24 and "modules collapsed to depth 2" in drawn.notes[0]
    assert_honest(traced, drawn)


def test_fit_keeps_notes_of_earlier_steps_and_is_deterministic():
    model, loss = dense_mlp(24)
    traced = dagviz.trace(loss, model)
    assert layout.fit(traced) == layout.fit(dagviz.trace(loss, model))
    twice = layout.fit(layout.fit(traced))
    assert twice == layout.fit(traced)  # a fitted graph is within budget: nothing more to do


def test_picture_says_what_was_done():
    model, loss = dense_mlp(24)
    dot = build(loss, model, title="dense")
    src = dot.source
    assert "layout budget:" in src and "budget=None draws everything as is" in src
    assert "shape=note" in src and "style=dotted" in src  # the note and its dotted arrow
    assert "#1  " in src  # the first marked box
    assert repr(dot).endswith("simplified to fit the layout budget>")
    plain = build(loss, model, budget=None).source
    assert "layout budget" not in plain and "shape=note" not in plain


def test_carry_edge_attrs_follows_kept_edges():
    model, loss = dense_mlp(12)
    traced = dagviz.trace(loss, model)
    drawn = layout.shorten(traced, 1)
    attrs = {i: {"label": str(i)} for i in range(len(traced.edges))}
    moved = layout.carry_edge_attrs(traced, drawn, attrs)
    assert moved and len(moved) < len(attrs)
    for j, a in moved.items():
        assert drawn.edges[j] == traced.edges[int(a["label"])]
    assert layout.carry_edge_attrs(traced, traced, attrs) == attrs


@needs_dot
def test_steps_frames_share_one_fitted_layout():
    model, loss = dense_mlp(24)
    steps = dagviz.record_backward(loss)
    first, last = dagviz.steps.frame(steps, 0), dagviz.steps.frame(steps, len(steps) - 1)
    assert steps.drawn() is steps.drawn() and steps.drawn().notes
    assert "shape=note" in first.source and "layout budget" in first.source
    strip = [line for line in first.source.splitlines() if "tomato" not in line and "goldenrod" not in line]
    assert len(strip) > 100 and "label=" in last.source


@needs_dot
def test_diff_collapses_through_the_same_path_as_draw():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
    with dagviz.track(model):
        before = model(torch.randn(2, 3)).sum()
    model[0].requires_grad_(False)
    with dagviz.track(model):
        after = model(torch.randn(2, 3)).sum()
    dot = dagviz.diff(before, after, params=model, depth=1)
    groups = {n.name: n.attrs.get("type") for n in dot.diff.before.nodes if n.kind == "group"}
    assert groups == {"0": "Linear", "2": "Linear"}
    assert "0 (Linear)" in dot.source
    drawn = prepare(before, model, depth=1, budget=None)
    assert {n.name for n in drawn.nodes} == {n.name for n in dot.diff.before.nodes}
