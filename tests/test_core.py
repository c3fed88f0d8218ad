"""dagviz core: trace/draw/text checked against PyTorch's own graph as the oracle."""

from __future__ import annotations

import gc
import weakref
from collections import Counter

import pytest
import torch
from examples import q_tensors, unrolled_rnn
from torch import nn

import dagviz


def oracle(*roots: torch.Tensor) -> tuple[Counter, Counter]:
    """A plain walk of next_functions: (multiset of node names, multiset of (src, dst, slot) name edges)."""
    names: Counter = Counter()
    edges: Counter = Counter()
    seen: set[int] = set()
    stack = [r.grad_fn for r in roots if r.grad_fn is not None]
    keep = list(stack)  # keep nodes alive so id() stays unique during the walk
    while stack:
        fn = stack.pop()
        if id(fn) in seen:
            continue
        seen.add(id(fn))
        names[fn.name().rsplit("::", 1)[-1]] += 1
        for slot, (nxt, _) in enumerate(fn.next_functions):
            src = "<none>" if nxt is None else nxt.name().rsplit("::", 1)[-1]
            edges[(src, fn.name().rsplit("::", 1)[-1], slot)] += 1
            if nxt is not None:
                keep.append(nxt)
                stack.append(nxt)
    return names, edges


def traced(*roots: torch.Tensor, **kw) -> tuple[Counter, Counter]:
    g = dagviz.trace(list(roots), **kw)
    by_id = {n.id: n for n in g.nodes}
    names = Counter(n.name for n in g.functions())
    edges = Counter(
        ("<none>" if e.kind == "nograd" else by_id[e.src].name, by_id[e.dst].name, e.slot)
        for e in g.edges
        if e.kind in ("data", "nograd")
    )
    return names, edges


def mlp_example():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Dropout(0.1), nn.Linear(8, 3))
    return model, nn.functional.cross_entropy(model(torch.randn(5, 4)), torch.tensor([0, 1, 2, 0, 1]))


def rnn_example(steps: int = 5):
    return unrolled_rnn(steps)


@pytest.mark.parametrize("make", ["q", "mlp", "rnn", "resnet18", "two_roots"])
def test_nodes_and_edges_match_a_plain_walk(make):
    if make == "q":
        roots = (q_tensors()[2],)
    elif make == "mlp":
        roots = (mlp_example()[1],)
    elif make == "rnn":
        roots = (rnn_example()[1],)
    elif make == "resnet18":
        torchvision = pytest.importorskip("torchvision")
        torch.manual_seed(0)
        roots = (torchvision.models.resnet18(weights=None)(torch.randn(2, 3, 32, 32)).sum(),)
    else:
        a, b, q = q_tensors()
        roots = (q.sum(), (a * b).mean())
    names, edges = traced(*roots)
    want_names, want_edges = oracle(*roots)
    assert names == want_names

    def real(es):
        return Counter({k: v for k, v in es.items() if k[0] != "<none>"})

    def empty(es):
        return Counter({k: v for k, v in es.items() if k[0] == "<none>"})

    assert real(edges) == real(want_edges)
    # every empty slot is drawn, except a missing optional input (resnet's convs have no bias)
    assert empty(edges) == empty(want_edges) or make == "resnet18"
    assert empty(edges) <= empty(want_edges)


def test_leaves_are_named_with_shape_and_dtype():
    a, b, q = q_tensors()
    g = dagviz.trace(q, params={"a": a, "b": b})
    leaves = {n.tensor.label: n.tensor for n in g.leaves()}
    assert set(leaves) == {"a", "b"}
    assert leaves["a"].shape == (2,) and leaves["a"].dtype == "float32"
    assert all(n.name == "AccumulateGrad" for n in g.leaves())


def test_module_parameters_name_leaves():
    model, loss = mlp_example()
    g = dagviz.trace(loss, params=model)
    assert sorted(n.tensor.label for n in g.leaves()) == sorted(name for name, _ in model.named_parameters())


def test_roots_are_first_and_labelled_from_dict_keys():
    a, b, q = q_tensors()
    g = dagviz.trace({"Q": q, "s": q.sum()})
    assert [g.node(r).name for r in g.roots] == ["Q", "s"]
    assert all(g.node(r).kind == "root" for r in g.roots)


def test_frozen_parameters_are_shown_not_dropped():
    torch.manual_seed(0)
    lin = nn.Linear(3, 2)
    lin.weight.requires_grad_(False)
    x = torch.randn(4, 3, requires_grad=True)
    y = lin(x).sum()  # addmm(bias, x, weight.t()) saves weight.t() to compute x's gradient
    g = dagviz.trace(y, params={**dict(lin.named_parameters()), "x": x})
    nograd = {e.slot: g.node(e.src) for e in g.edges if e.kind == "nograd"}
    assert list(nograd) == [2] and nograd[2].name == "weight" and nograd[2].attrs["frozen"] is True
    assert sorted(n.tensor.label for n in g.leaves()) == ["bias", "x"]
    dot = dagviz.draw(y, params=lin).source
    assert "weight" in dot and "frozen, no grad" in dot


def test_constants_appear_as_nograd_inputs():
    x = torch.rand(5, 5)
    z = torch.rand((5, 5), requires_grad=True)
    g = dagviz.trace(x + z)
    assert [n.kind for n in g.nodes].count("nograd") == 1
    assert len(g.leaves()) == 1


def test_same_computation_gives_identical_dot_without_addresses():
    sources = []
    for _ in range(2):
        model, loss = mlp_example()
        sources.append(dagviz.draw(loss, params=model, show_saved=True).source)
    assert sources[0] == sources[1]
    assert "0x" not in sources[0]


def test_saved_tensors_and_their_release_after_backward():
    a, b, q = q_tensors()
    before = dagviz.trace(q, saved=True)
    saved = [n for n in before.nodes if n.kind == "saved"]
    assert saved and not any(n.attrs["freed"] for n in saved)
    q.sum().backward()
    after = dagviz.trace(q, saved=True)  # must not raise although the buffers are gone
    freed = [n for n in after.nodes if n.kind == "saved" and n.attrs["freed"]]
    assert len(freed) == len(saved)
    assert "freed by backward" in dagviz.draw(q, show_saved=True).source
    assert "freed by backward" in dagviz.text(q, show_saved=True)


def test_show_grad_uses_the_real_grad():
    a, b, q = q_tensors()
    q.backward(gradient=torch.ones(2))
    g = dagviz.trace(q, params={"a": a, "b": b}, grads=True)
    grads = {n.tensor.label: n.tensor.grad.values for n in g.leaves()}
    assert grads["a"] == tuple((9 * a**2).tolist()) and grads["b"] == tuple((-2 * b).tolist())
    assert "grad = [36, 81]" in dagviz.draw(q, params={"a": a, "b": b}, show_grad=True).source


def test_large_gradients_show_shape_and_norm():
    w = torch.ones(10, 10, requires_grad=True)
    (w * 3).sum().backward()
    label = dagviz.draw((w * 3).sum(), params={"w": w}, show_grad=True).source
    assert "grad (10, 10), norm 30" in label


def test_views_are_marked():
    x = torch.arange(6.0, requires_grad=True)
    v = (x * 2).view(2, 3)
    g = dagviz.trace(v)
    assert g.node(g.roots[0]).tensor.is_view
    assert "ViewBackward0" in [n.name for n in g.functions()]


def test_leaf_root_is_a_one_node_graph():
    w = torch.zeros(3, requires_grad=True)
    g = dagviz.trace({"w": w})
    assert [n.kind for n in g.nodes] == ["root"] and g.edges == []


def test_deep_graph_needs_no_recursion():
    x = torch.ones(1, requires_grad=True)
    y = x
    for _ in range(3000):
        y = y * 1.0001
    g = dagviz.trace(y)
    assert len(g.functions()) == 3001
    assert dagviz.text(y).count("MulBackward0") == 3000


def test_text_tree_reads_from_root_to_leaves():
    a, b, q = q_tensors()
    out = dagviz.text({"Q": q}, params={"a": a, "b": b})
    assert out.splitlines()[0] == "Q (2,) float32 [root]"
    assert "AccumulateGrad: a (2,) float32" in out and "AccumulateGrad: b (2,) float32" in out
    assert repr(out) == str(out)  # a notebook shows the tree, not an escaped string


def test_text_marks_shared_nodes_once():
    x = torch.ones(2, requires_grad=True)
    y = x * 2
    z = (y + y.exp()).sum()
    out = dagviz.text(z)
    assert "[#1]" in out and "(shown above)" in out


@pytest.mark.parametrize(
    ("bad", "error", "words"),
    [
        (3, TypeError, "expects a torch.Tensor"),
        ([1.0, 2.0], TypeError, "not a torch.Tensor"),
        ([], ValueError, "empty"),
        ({}, ValueError, "empty"),
        (torch.ones(3), ValueError, "requires_grad=True"),
        ({1: torch.ones(1, requires_grad=True)}, TypeError, "must be str"),
    ],
)
def test_bad_roots_get_clear_errors(bad, error, words):
    for fn in (dagviz.trace, dagviz.draw, dagviz.text):
        with pytest.raises(error, match=words):
            fn(bad)


def test_no_graph_inside_no_grad_explains_why():
    x = torch.ones(3, requires_grad=True)
    with torch.no_grad():
        y = x * 2
    with pytest.raises(ValueError, match="no_grad"):
        dagviz.draw(y)


def test_bad_params_get_clear_errors():
    a, b, q = q_tensors()
    with pytest.raises(TypeError, match="nn.Module or a dict"):
        dagviz.draw(q, params=[a, b])
    with pytest.raises(TypeError, match="not a torch.Tensor"):
        dagviz.draw(q, params={"a": 1})


def test_drawing_keeps_no_tensor_alive():
    x = torch.ones(1000, requires_grad=True)
    ref = weakref.ref(x)
    y = (x.exp() * 2).sum()
    pictures = (dagviz.draw(y, params={"x": x}, show_saved=True), dagviz.trace(y, saved=True, grads=True))
    text = dagviz.text(y)
    del x, y
    gc.collect()
    assert ref() is None, "dagviz kept the graph alive"
    assert pictures and text


def test_missing_dot_is_a_clear_error_and_text_still_works(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # a real PATH with no `dot` on it
    a, b, q = q_tensors()
    with pytest.raises(dagviz.DotNotFoundError) as err:
        dagviz.draw(q)
    msg = str(err.value)
    assert "apt-get install graphviz" in msg and "brew install graphviz" in msg and "conda install" in msg
    assert "dagviz.text" in msg
    assert "SubBackward0" in dagviz.text(q)


def test_draw_renders_svg_with_real_dot():
    a, b, q = q_tensors()
    svg = dagviz.draw(q, params={"a": a, "b": b}).pipe(format="svg").decode()
    assert svg.lstrip().startswith("<?xml") and "SubBackward0" in svg


def test_repr_is_stable_summary():
    a, b, q = q_tensors()
    r = repr(dagviz.draw(q, params={"a": a, "b": b}))
    assert r == "<dagviz graph: 8 nodes (1 root, 4 op, 2 leaf, 1 nograd), 7 edges>"


def test_shared_leaves_are_drawn_per_use_on_big_unrolls():
    cell, loss = rnn_example(steps=20)
    dot = dagviz.draw(loss, params=cell).source
    assert "use 20 of 20" in dot and "weight_hh" in dot


def test_small_graphs_keep_one_box_per_leaf():
    cell, loss = rnn_example(steps=5)  # one AccumulateGrad sums all five uses: show that
    dot = dagviz.draw(loss, params=cell).source
    assert "use 1 of" not in dot and dot.count("weight_hh") == 1


def test_saved_tensor_modified_in_place_is_not_called_freed():
    x = torch.randn(3, requires_grad=True)
    s = x.sigmoid()  # sigmoid saves its result
    s.mul_(2)
    g = dagviz.trace(s, saved=True)
    saved = [n for n in g.nodes if n.kind == "saved"]
    assert [n.attrs for n in saved if n.name == "result"] == [{"freed": False, "modified": True}]
    assert "modified in place: backward will fail" in dagviz.draw(s, show_saved=True).source


def test_optional_inputs_passed_as_none_are_not_drawn():
    x = torch.randn(1, 3, 8, 8, requires_grad=True)
    no_bias = nn.Conv2d(3, 4, 3, bias=False)
    g = dagviz.trace(no_bias(x))
    assert [n.kind for n in g.nodes].count("nograd") == 0  # there is no bias, frozen or not
    frozen = nn.Conv2d(3, 4, 3).requires_grad_(False)
    g = dagviz.trace(frozen(x), params=frozen)
    assert sorted(n.name for n in g.nodes if n.kind == "nograd") == ["no grad", "weight"]
    plain_bn = nn.BatchNorm2d(3, affine=False)
    assert [n.kind for n in dagviz.trace(plain_bn(x)).nodes].count("nograd") == 0


def test_a_named_frozen_tensor_used_twice_is_one_box():
    torch.manual_seed(0)
    lin = nn.Linear(3, 3)
    lin.requires_grad_(False)
    x = torch.randn(2, 3, requires_grad=True)
    y = lin(torch.tanh(lin(x))).sum()  # the frozen weight feeds two addmm nodes
    g = dagviz.trace(y, params=lin)
    weights = [n for n in g.nodes if n.kind == "nograd" and n.name == "weight"]
    assert len(weights) == 1
    assert sum(e.src == weights[0].id for e in g.edges) == 2


def test_frozen_weights_of_a_long_unroll_are_drawn_per_use():
    cell, _ = rnn_example()
    cell.requires_grad_(False)
    h = torch.zeros(1, 4, requires_grad=True)
    for x in torch.randn(30, 1, 3):
        h = cell(x, h)
    dot = dagviz.draw(h.sum(), params=cell).source
    assert "use 30 of 30" in dot


def test_arrows_are_the_hand_walks_pairs(make=q_tensors):
    a, b, q = make()
    g = dagviz.trace(q)
    _, oracle_edges = oracle(q)
    walked = Counter()
    for (src, dst, _slot), count in oracle_edges.items():
        if src != "<none>":
            walked[(src, dst)] += count
    assert Counter(g.arrow_names()) == walked
    by_id = {n.id: n for n in g.nodes}
    for src, dst in g.arrows():
        assert by_id[src].kind in ("op", "leaf") and by_id[dst].kind == "op"
        assert dst in g.consumers(src)
    const = [n.id for n in g.nodes if n.kind == "nograd"]
    assert [by_id[d].name for c in const for d in g.consumers(c, kind="nograd")] == ["MulBackward0"]
