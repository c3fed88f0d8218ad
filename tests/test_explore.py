"""dagviz.explore / dagviz.to_html: the data the browser draws (the browser itself: tests/browser)."""

from __future__ import annotations

import gc
import importlib.util
import json
import random
import re
import sys
import textwrap
import weakref
from pathlib import Path

import pytest
import torch
from examples import dense_mlp, tracked_resnet18, unrolled_rnn
from torch import nn

import dagviz
from dagviz import layout
from dagviz.collapse import collapse
from dagviz.draw import prepare
from dagviz.explore import FOLD_CHUNK, FOLD_FANOUT, ExplorerData, explorer_data, memory, page
from dagviz.graph import Graph, Node
from dagviz.kinds import NOTE_WIDTH
from dagviz.render import CAPTION_WIDTH, label, to_digraph

ROOT = Path(__file__).resolve().parent.parent


class Block(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.lin = nn.Linear(4, 4)
        self.act = nn.ReLU()

    def forward(self, x):
        return self.act(self.lin(x)) + x  # the add belongs to the block itself


class Stage(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.blocks = nn.Sequential(Block(), Block())
        self.norm = nn.LayerNorm(4)

    def forward(self, x):
        return self.norm(self.blocks(x))


class Net(nn.Module):
    """Modules three deep (stages.0.blocks.1.lin), a top-level op, a frozen stem bias."""

    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Linear(3, 4)
        self.stages = nn.Sequential(Stage(), Stage())
        self.head = nn.Linear(4, 2)
        self.stem.bias.requires_grad_(False)

    def forward(self, x):
        return self.head(torch.tanh(self.stages(self.stem(x))))


def tracked_net():
    torch.manual_seed(0)
    net = Net()
    with dagviz.track(net):
        loss = net(torch.randn(2, 3)).sum()
    return net, loss


def modules_of(model: nn.Module) -> dict[str, str]:
    return {name: type(m).__name__ for name, m in model.named_modules()}


def canonical(graph: Graph) -> tuple[list, list]:
    """Nodes and edges with group ids replaced by (name, members): ids differ between depths."""
    name = {n.id: ("group", n.name, tuple(n.attrs["members"])) if n.kind == "group" else n.id for n in graph.nodes}
    return [name[n.id] for n in graph.nodes], [(name[e.src], name[e.dst], e.kind, e.slot) for e in graph.edges]


def without_memory(graph: Graph) -> dict:
    """`to_dict` without what only the explorer records (saved-tensor details, .grad)."""
    d = graph.to_dict()
    for n in d["nodes"]:
        n["saved"] = ()
        if n["tensor"] is not None:
            n["tensor"]["grad"] = None
    return d


@pytest.fixture(scope="module")
def resnet18_tracked():
    return tracked_resnet18()


# ---- the first view is what draw pictures, and opening a level gives the next depth ----------


@pytest.mark.parametrize("depth", [0, 1, 2, 3])
def test_first_view_is_exactly_what_draw_shows(depth):
    net, loss = tracked_net()
    data = explorer_data(loss, net, depth=depth)
    assert without_memory(data.view()) == without_memory(prepare(loss, net, depth=depth))


@pytest.mark.parametrize("depth", [0, 1, 2, 3])
def test_opening_every_group_of_a_level_gives_the_next_depth(depth):
    net, loss = tracked_net()
    data = explorer_data(loss, net, depth=depth)
    full = dagviz.trace(loss, net)
    opened: list[str] = []
    deepest = max(g.level for g in data.groups.values())
    for level in range(deepest + 1):
        opened += [gid for gid, g in data.groups.items() if g.level == level]
        expected = collapse(full, depth + level + 1, modules_of(net))
        assert canonical(data.shown(opened)) == canonical(expected), f"level {level}"
    assert without_memory(data.view(opened)) == without_memory(full)  # everything open: the traced graph


@pytest.mark.parametrize("depth", [1, 2])
def test_resnet18_views_match_draw_and_collapse(resnet18_tracked, depth):
    model, out = resnet18_tracked
    data = explorer_data(out, model, depth=depth)
    assert without_memory(data.view()) == without_memory(prepare(out, model, depth=depth))
    top = [gid for gid, g in data.groups.items() if g.level == 0]
    expected = collapse(dagviz.trace(out, model), depth + 1, modules_of(model))
    assert canonical(data.shown(top)) == canonical(expected)


def test_opening_one_group_replaces_it_by_its_children_only():
    net, loss = tracked_net()
    data = explorer_data(loss, net, depth=1)
    first = data.shown()
    stages = next(n for n in first.nodes if n.name == "stages")
    opened = data.shown([stages.id])
    before = {n.id for n in first.nodes}
    after = {n.id for n in opened.nodes}
    assert stages.id in before and stages.id not in after
    assert before - {stages.id} <= after  # nothing else changed
    new = [data.groups[i] for i in after - before]
    assert sorted(g.node.name for g in new) == ["stages.0", "stages.1"]
    assert all(g.parent == stages.id for g in new)
    # the children hold exactly the nodes the parent held
    inside = set(data.groups[stages.id].members)
    assert set().union(*(g.members for g in new)) == inside
    # and a closed parent hides an opened child again
    child = new[0].id
    assert data.shown([child]).to_dict() == first.to_dict()
    assert data.view([child]).to_dict() == data.view().to_dict()


def test_groups_nest_by_their_ops():
    net, loss = tracked_net()
    data = explorer_data(loss, net, depth=1)
    kinds = {n.id: n.kind for n in data.graph.nodes}
    for g in data.groups.values():
        assert len(g.members) == g.node.attrs.get("count", len(g.members))
        if g.parent is None:
            assert g.level == 0
            continue
        parent = data.groups[g.parent]
        assert parent.level == g.level - 1
        assert {m for m in g.members if kinds[m] == "op"} <= set(parent.members)
    for chain in data.chains.values():
        assert [data.groups[g].level for g in chain] == sorted(data.groups[g].level for g in chain)


def test_without_depth_nothing_is_grouped():
    net, loss = tracked_net()
    data = explorer_data(loss, net)
    assert data.groups == {} and data.chains == {}
    assert without_memory(data.view()) == without_memory(dagviz.trace(loss, net))


def test_folded_repetition_opens_in_chunks_of_steps_down_to_every_node():
    cell, out = unrolled_rnn(1000)
    params = {"W_ih": cell.weight_ih, "W_hh": cell.weight_hh}
    data = explorer_data(out, params)
    first = data.shown()
    assert without_memory(data.view()) == without_memory(prepare(out, params))
    fold, *chunks = data.groups.values()
    k = fold.node.attrs["folded_steps"]
    assert k > 0 and len(first.nodes) < 1500 < len(data.graph.nodes)
    assert len(fold.members) == len(data.graph.nodes) - (len(first.nodes) - 1)
    # chunks nest: the fold opens into at most FOLD_FANOUT runs of chunks, and so on down to
    # chunks of at most FOLD_CHUNK boxes, in order from the output, covering the fold once
    children = {g.id: [c for c in chunks if c.parent == g.id] for g in [fold, *chunks]}
    leaves = [c for c in chunks if not children[c.id]]
    assert len(children[fold.id]) <= FOLD_FANOUT < len(leaves)
    assert all(len(kids) <= FOLD_FANOUT for kids in children.values())
    assert all(len(c.members) <= FOLD_CHUNK for c in leaves)
    assert leaves[0].node.name.startswith("... folded steps 1-") and leaves[-1].node.name.endswith(f"-{k} of {k} ...")
    assert sorted(m for c in leaves for m in c.members) == sorted(fold.members)
    for g in [fold, *chunks]:  # whatever a click opens, it adds few boxes
        around = []
        p = g.parent
        while p is not None:
            around.insert(0, p)
            p = data.groups[p].parent
        added = len(data.shown([*around, g.id]).nodes) - len(data.shown(around).nodes) + 1
        assert added == (len(children[g.id]) if children[g.id] else len(g.members)) <= max(FOLD_FANOUT, FOLD_CHUNK)
    everything = data.shown(list(data.groups))
    assert [n.id for n in everything.nodes] == [n.id for n in data.graph.nodes]
    assert [(e.src, e.dst, e.kind, e.slot) for e in everything.edges] == [
        (e.src, e.dst, e.kind, e.slot) for e in data.graph.edges
    ]


def test_saved_boxes_are_optional_and_ids_match_trace():
    net, loss = tracked_net()
    plain = explorer_data(loss, net)
    assert [n.id for n in plain.graph.nodes] == [n.id for n in dagviz.trace(loss, net).nodes]
    assert all(n.kind != "saved" for n in plain.graph.nodes)
    assert any(n.saved for n in plain.graph.nodes)  # still known, for the details panel
    with_saved = explorer_data(loss, net, show_saved=True)
    assert [n.id for n in with_saved.graph.nodes] == [n.id for n in dagviz.trace(loss, net, saved=True).nodes]


# ---- the layout budget: the same rule and the same picture as draw ---------------------------


class LoopedCell(nn.Module):
    """An RNNCell run `steps` times inside one tracked model: many boxes, two modules."""

    def __init__(self, steps: int) -> None:
        super().__init__()
        self.steps = steps
        self.cell = nn.RNNCell(3, 4)
        self.head = nn.Linear(4, 1)

    def forward(self, x):
        h = torch.zeros(1, 4)
        for t in range(self.steps):
            h = self.cell(x[t], h)
        return self.head(h).sum()


def looped_cell(steps: int = 200):
    torch.manual_seed(0)
    model = LoopedCell(steps)
    with dagviz.track(model):
        return model, model(torch.randn(steps, 1, 3))


@pytest.fixture(scope="module")
def densenet121_tracked():
    torchvision = pytest.importorskip("torchvision")
    torch.manual_seed(0)
    model = torchvision.models.densenet121(weights=None).eval()
    with dagviz.track(model):
        out = model(torch.randn(1, 3, 32, 32)).sum()
    return model, out


def rnn_params(steps: int):
    cell, out = unrolled_rnn(steps)
    return out, {"W_ih": cell.weight_ih, "W_hh": cell.weight_hh}


def marks_named(note: str) -> set[int]:
    """{1, 2, 3, 5} from "from #1-#3, #5"."""
    out: set[int] = set()
    for part in note.removeprefix("from ").split(", "):
        lo, _, hi = part.partition("-")
        out.update(range(int(lo.lstrip("#")), int((hi or lo).lstrip("#")) + 1))
    return out


def assert_honest(data: ExplorerData, expanded: list[str]) -> Graph:
    """Every traced node is drawn, or counted in exactly one drawn group; every traced edge is drawn,
    inside a group, or listed in the "from #k" note of its consumer, which names its source's mark."""
    drawn = data.view(expanded)
    by_id = {n.id: n for n in drawn.nodes}
    own: dict[str, str] = {}
    for n in drawn.nodes:
        inside = data.groups[n.id].members if n.kind == "group" else [] if n.kind == "ref" else [n.id]
        assert not own.keys() & set(inside)
        own.update(dict.fromkeys(inside, n.id))
    assert set(own) == {n.id for n in data.graph.nodes}
    pairs = {(e.src, e.dst) for e in drawn.edges}
    listed = set()
    for n in drawn.nodes:
        if n.kind == "ref":
            (consumer,) = [e.dst for e in drawn.edges if e.src == n.id]
            for src, _kind, _slot in n.attrs["edges"]:
                listed.add((src, consumer))
                assert by_id[src].attrs["mark"] in marks_named(n.name)
    for e in data.graph.edges:
        s, d = own[e.src], own[e.dst]
        assert s == d or (s, d) in pairs or (s, d) in listed, f"traced edge {e} is neither drawn nor listed"
    return drawn


def assert_browser_rule(data: ExplorerData, expanded: list[str]) -> None:
    """`view` is what explorer.js computes: `fit` without folding of what the view shows, and the
    first view's caption also says what folding did (`fold_notes`), in the words `fit` uses."""
    drawn = data.view(expanded)
    shown = data.shown(expanded)
    short = layout.fit(shown, data.budget, fold=False)
    assert (drawn.nodes, drawn.edges) == (short.nodes, short.edges)
    first = not any(data.groups[g].parent is None for g in expanded)
    said = list(data.fold_notes) if first else []
    refs = sum(n.attrs["count"] for n in drawn.nodes if n.kind == "ref")
    said += [layout.CUT_NOTE.format(refs)] if refs else []
    said += [layout.OVER_NOTE] if short.notes and layout.OVER_NOTE in short.notes[-1] else []
    assert drawn.notes == ([layout.CAPTION.format("; ".join(said))] if said else [])


def random_views(data: ExplorerData, count: int, seed: int = 0) -> list[list[str]]:
    rng = random.Random(seed)
    ids = list(data.groups)
    return [[]] + [rng.sample(ids, rng.randint(1, len(ids))) for _ in range(count)] if ids else [[]]


@pytest.mark.parametrize("depth", [None, 1, 2, 3])
def test_densenet_first_view_is_what_draw_pictures_notes_included(densenet121_tracked, depth):
    model, out = densenet121_tracked
    data = explorer_data(out, model, depth=depth)
    drawn = data.view()
    assert without_memory(drawn) == without_memory(prepare(out, model, depth=depth))
    refs = [n for n in drawn.nodes if n.kind == "ref"]
    if depth in (None, 3):  # the dense blocks' concatenations are drawn: far inputs become notes
        assert refs and drawn.notes[0].startswith("layout budget: ") and "'from #k' notes" in drawn.notes[0]
        assert layout.estimate(drawn).units <= layout.BUDGET < layout.estimate(data.shown()).units
    else:  # one box per dense block: nothing to simplify
        assert not refs and not drawn.notes
    assert_honest(data, [])


@pytest.mark.parametrize("depth", [None, 1, 2])
def test_dense_mlp_views_follow_the_layout_rule_and_stay_honest(depth):
    model, loss = dense_mlp(24, track=True)
    data = explorer_data(loss, model, depth=depth)
    assert without_memory(data.view()) == without_memory(prepare(loss, model, depth=depth))
    assert [n for n in data.view().nodes if n.kind == "ref"]
    for opened in random_views(data, 8):
        assert_browser_rule(data, opened)
        assert_honest(data, opened)


def test_densenet_views_follow_the_layout_rule(densenet121_tracked):
    model, out = densenet121_tracked
    data = explorer_data(out, model, depth=3)
    for opened in random_views(data, 4):
        assert_browser_rule(data, opened)
        assert_honest(data, opened)


def test_rnn_of_1000_steps_first_view_is_draws_fold():
    out, params = rnn_params(1000)
    data = explorer_data(out, params)
    assert without_memory(data.view()) == without_memory(prepare(out, params))
    assert data.fold_notes == () and data.view().notes == []  # max_nodes folded it; then within budget
    fold = next(iter(data.groups))
    assert "repeated steps folded" in data.groups[fold].node.name
    assert_browser_rule(data, [fold])
    assert_honest(data, [fold])


def test_rnn_the_budget_folds_is_folded_in_the_explorer_too():
    """200 steps are fewer boxes than max_nodes, but too many for the budget: `draw` folds them
    (layout.fit), and the explorer must too, as a group that opens chunk by chunk."""
    out, params = rnn_params(200)
    data = explorer_data(out, params)
    drawn = data.view()
    assert without_memory(drawn) == without_memory(prepare(out, params))
    (note,) = data.fold_notes
    assert "nodes folded into a khaki box" in note and drawn.notes == [layout.CAPTION.format(note)]
    fold, *chunks = data.groups.values()
    assert fold.parent is None and chunks and all(c.parent == fold.id for c in chunks)
    assert len(fold.members) == len(data.graph.nodes) - (len(data.shown().nodes) - 1)
    assert data.to_json()["layout"]["first_notes"] == [note]
    for opened in ([], [fold.id], [fold.id, chunks[0].id], [c.id for c in chunks]):
        assert_browser_rule(data, opened)
        assert_honest(data, opened)
    assert data.view([fold.id]).notes == []  # opened: the caption no longer claims the fold


def test_module_fold_of_the_budget_becomes_groups_that_open():
    model, loss = looped_cell(200)
    data = explorer_data(loss, model)
    drawn = data.view()
    assert without_memory(drawn) == without_memory(prepare(loss, model))
    (note,) = data.fold_notes
    assert note.startswith("modules collapsed to depth 1")
    assert sorted(n.name for n in drawn.nodes if n.kind == "group") == ["cell", "head"]
    cell = next(g for g in data.groups.values() if g.node.name == "cell")
    assert_browser_rule(data, [cell.id])
    assert_honest(data, [cell.id])
    assert len(data.view([cell.id]).nodes) > 1000  # what a click asked for: every step of the cell


def test_fold_for_is_the_first_step_of_fit():
    cases = [dagviz.trace(*reversed(dense_mlp(24))), dagviz.trace(*rnn_params(200))]
    model, loss = looped_cell(200)
    types = {name: type(m).__name__ for name, m in model.named_modules()}
    for graph, modules in [(cases[0], None), (cases[1], None), (dagviz.trace(loss, model), types)]:
        fitted = layout.fit(graph, modules=modules)
        folded = layout.fold_for(graph, modules=modules)
        if folded is None:  # shortening alone fits (the dense MLP)
            assert not [n for n in fitted.nodes if n.kind == "group"]
            continue
        small, note = folded
        rest = layout.fit(small, fold=False)
        assert (fitted.nodes, fitted.edges) == (rest.nodes, rest.edges)
        assert fitted.notes[-1].startswith(f"layout budget: {note}")
    assert layout.fold_for(cases[1], None) is None


def test_budget_none_lays_out_every_view_as_is():
    model, loss = dense_mlp(24, track=True)
    data = explorer_data(loss, model, depth=1, budget=None)
    assert without_memory(data.view()) == without_memory(prepare(loss, model, depth=1, budget=None))
    assert data.view() == data.shown() and data.to_json()["layout"]["budget"] is None
    out, params = rnn_params(200)
    assert explorer_data(out, params, budget=None).groups == {}  # nothing folded either


def test_the_browser_gets_layouts_own_numbers_and_words():
    model, loss = dense_mlp(12, track=True)
    rule = explorer_data(loss, model, depth=1).to_json()["layout"]
    assert {k: rule[k] for k in layout.rule()} == layout.rule()
    assert (rule["spans"], rule["budget"], rule["hidden_weight"]) == (list(layout.SPANS), layout.BUDGET, 1.5)
    assert rule["first_notes"] == [] and "{}" in rule["caption"] and "{}" in rule["cut_note"]
    # the browser wraps where render does: captions at CAPTION_WIDTH, notes at NOTE_WIDTH
    long_note = " ".join(f"#{i}-#{i + 3}," for i in range(60))
    caption = to_digraph(Graph([], [], [], [long_note])).graph_attr["label"]
    assert caption == "\n".join(textwrap.wrap(long_note, CAPTION_WIDTH)) and "\n" in caption
    note = Node("n0_from", "ref", "from " + long_note)
    assert label(note, False) == "\n".join(textwrap.wrap(note.name, NOTE_WIDTH))


# ---- memory ----------------------------------------------------------------------------------


def test_saved_bytes_count_each_storage_once_and_parameters_apart():
    x = torch.ones(1000, requires_grad=True)  # a leaf: saving it costs nothing extra
    w = torch.ones(1000, requires_grad=True)
    a = (x * w).exp()  # MulBackward saves x and w (leaves); ExpBackward saves its result a
    b = (a * a).sum()  # MulBackward saves a twice: the same storage as ExpBackward's result
    data = explorer_data(b, {"x": x, "w": w})
    nodes = {n.name: n for n in data.graph.nodes if n.kind == "op"}
    exp = memory([nodes["ExpBackward0"]])
    assert (exp.activations, exp.params, exp.distinct, exp.tensors) == (4000, 0, 4000, 1)
    total = memory(data.graph.nodes)
    assert total.activations == 3 * 4000  # a, a, a: what a naive count says
    assert total.distinct == 4000  # one storage really kept alive
    assert total.params == 2 * 4000  # x and w
    assert data.to_json()["total"] == total.as_dict()


def test_group_memory_is_the_sum_of_its_members(resnet18_tracked):
    model, out = resnet18_tracked
    data = explorer_data(out, model, depth=1)
    js = data.to_json()
    by_id = {n["id"]: n for n in js["nodes"]}
    for g in js["groups"]:
        members = data.groups[g["id"]].members
        # a node without saved bytes has no "memory" (the browser reads it as zeros)
        acts = sum(by_id[m]["info"].get("memory", {}).get("activations", 0) for m in members)
        assert g["info"]["memory"]["activations"] == acts
    layer1 = next(g for g in js["groups"] if g["info"]["name"] == "layer1")
    # every conv and batch norm in layer1 saves a (1, 64, 16, 16) float32 input: 64 KiB each
    assert layer1["info"]["memory"]["activations"] > 10 * 64 * 16 * 16 * 4
    top = sum(g["info"]["memory"]["activations"] for g in js["groups"] if g["level"] == 0)
    assert top <= js["total"]["activations"]


def test_freed_saved_tensors_count_zero_and_say_so():
    x = torch.ones(10, requires_grad=True)
    y = (x.exp() * 2).sum()
    y.backward()
    data = explorer_data(y, {"x": x}, show_grad=True)
    exp = next(n for n in data.to_json()["nodes"] if n["info"]["name"] == "ExpBackward0")
    assert exp["info"]["saved"] == [{"name": "result", "bytes": 0, "freed": True}]  # False and None left out
    assert "memory" not in exp["info"]  # freed: no bytes kept
    grad = next(n for n in data.to_json()["nodes"] if n["kind"] == "leaf")["info"]["grad"]
    assert grad["shape"] == "(10,)" and grad["values"] is None  # more than 8 values: shape and norm only
    assert grad["norm"] == pytest.approx(10**0.5 * 2 * torch.e, rel=1e-5)


# ---- what the browser gets -------------------------------------------------------------------


def test_json_has_render_labels_and_styles(resnet18_tracked):
    model, out = resnet18_tracked
    js = json.loads(json.dumps(explorer_data(out, model, depth=1, title="resnet18").to_json()))
    dot = dagviz.draw(out, params=model, depth=1, title="resnet18").source
    for item in js["nodes"] + js["groups"]:
        assert item["label"] and js["looks"][item["look"]]["shape"]
        assert "id" not in item["info"] and "kind" not in item["info"]  # the browser has them already
    shown = {n.id for n in prepare(out, model, depth=1).nodes}
    for item in js["nodes"] + js["groups"]:
        if item["id"] in shown:  # the same box text draw writes (quotes escaped as graphviz does)
            assert f'{item["id"]} [label={quote(item["label"])}' in dot
    assert js["title"] == "resnet18" and "size" not in js["graph_attr"] and "label" not in js["graph_attr"]
    assert js["max_view"] == 1500


def quote(label: str) -> str:
    return label if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", label) else '"' + label.replace('"', '\\"') + '"'


def test_page_is_self_contained_and_escapes_its_data(tmp_path):
    x = torch.ones(2, requires_grad=True)
    y = (x * 3).sum()
    path = dagviz.to_html(y, tmp_path / "sub" / "g.html", params={"</script><script>alert(1)</script>": x})
    text = path.read_text(encoding="utf-8")
    assert text.count("</script>") == 2  # the data block and the module, nothing from the data
    assert "<script src" not in text and "<link" not in text and "@import" not in text
    assert '<meta charset="utf-8">' in text
    js = json.loads(re.search(r'id="dagviz-data">(.*?)</script>', text, re.S).group(1))
    assert any(n["info"].get("tensor", {}).get("label", "").startswith("</script>") for n in js["nodes"])


def test_resnet50_page_stays_under_5_mb(tmp_path):
    torchvision = pytest.importorskip("torchvision")
    torch.manual_seed(0)
    model = torchvision.models.resnet50(weights=None).eval()
    with dagviz.track(model):
        out = model(torch.randn(1, 3, 64, 64))
    for depth in (None, 1):
        size = dagviz.to_html(out, tmp_path / f"r50_{depth}.html", params=model, depth=depth).stat().st_size
        assert size < 5_000_000, f"depth={depth}: {size:,} bytes"


def test_vendored_graphviz_matches_its_record():
    spec = importlib.util.spec_from_file_location("vendor_assets", ROOT / "tools" / "vendor_assets.py")
    vendor = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(vendor)
    assert vendor.check() == []
    record = vendor.load()["graphviz.js"]
    assert record["package"] == "@hpcc-js/wasm-graphviz" and record["npm_integrity"].startswith("sha512-")
    assert "GRAPHVIZ_SOURCE" in page(explorer_data(torch.ones(1, requires_grad=True) * 2))


# ---- the widget, errors, memory ------------------------------------------------------------------


def test_widget_syncs_open_groups_and_has_a_short_repr():
    pytest.importorskip("anywidget")
    net, loss = tracked_net()
    w = dagviz.explore(loss, params=net, depth=1)
    assert w.graph == w.data.to_json() and "export default" in w._esm and "GRAPHVIZ_SOURCE" in w._esm
    shown, total = len(w.view().nodes), len(w.data.graph.nodes)
    assert repr(w) == f"<dagviz explorer: {shown} boxes of {total} nodes, {len(w.data.groups)} groups>"
    stages = next(n.id for n in w.view().nodes if n.name == "stages")
    w.expanded = [stages]
    assert stages not in {n.id for n in w.view().nodes}
    with pytest.raises(Exception, match="color_by"):
        w.color_by = "rainbow"


@pytest.mark.parametrize(
    ("bad", "error", "words"),
    [
        (3, TypeError, "expects a torch.Tensor"),
        ([1.0, 2.0], TypeError, "not a torch.Tensor"),
        ([], ValueError, "empty"),
        (torch.ones(3), ValueError, "requires_grad=True"),
    ],
)
def test_bad_input_gets_the_same_errors_as_draw(bad, error, words, tmp_path):
    with pytest.raises(error, match=words):
        dagviz.draw(bad)
    with pytest.raises(error, match=words):
        dagviz.explore(bad)
    with pytest.raises(error, match=words):
        dagviz.to_html(bad, tmp_path / "g.html")
    assert not (tmp_path / "g.html").exists()


def test_bad_options_get_clear_errors(tmp_path):
    net, loss = tracked_net()
    with pytest.raises(ValueError, match="depth must be >= 0"):
        dagviz.explore(loss, params=net, depth=-1)
    with pytest.raises(TypeError, match="nn.Module or a dict"):
        dagviz.to_html(loss, tmp_path / "g.html", params=[1])
    with pytest.raises(ValueError, match="ending in .html"):
        dagviz.to_html(loss, tmp_path / "g.svg")


def test_exploring_keeps_no_tensor_alive(tmp_path):
    pytest.importorskip("anywidget")
    x = torch.ones(1000, requires_grad=True)
    ref = weakref.ref(x)
    y = (x.exp() * 2).sum()
    kept = (dagviz.explore(y, params={"x": x}), dagviz.to_html(y, tmp_path / "g.html", params={"x": x}))
    del x, y
    gc.collect()
    assert ref() is None, "the explorer kept the graph alive"
    assert kept


def test_explore_without_anywidget_says_what_to_do(monkeypatch):
    monkeypatch.setitem(sys.modules, "anywidget", None)  # import anywidget -> ImportError
    monkeypatch.delitem(sys.modules, "dagviz.widget", raising=False)
    x = torch.ones(2, requires_grad=True)
    with pytest.raises(ImportError, match="pip install anywidget.*to_html"):
        dagviz.explore(x * 2)
