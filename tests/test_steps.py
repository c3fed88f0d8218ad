"""record_backward / step_through / save_frames, with PyTorch itself as the oracle."""

from __future__ import annotations

import gc
import re
import shutil
import weakref
from collections import deque

import pytest
import torch
from examples import q_tensors

import dagviz
import dagviz.steps as steps_mod
from dagviz.steps import Steps, frame, record_backward, save_frames

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz dot not installed")


def q_graph():
    a, b, q = q_tensors()
    return a, b, q.sum()


def diamond():
    """Two paths from x to the loss plus a shared weight: an order that is not just a chain."""
    torch.manual_seed(0)
    x = torch.randn(3, requires_grad=True)
    w = torch.randn(3, requires_grad=True)
    u = x * w
    v = u.exp() + u.sin() * w
    return x, w, u, (v * x).sum()


def all_nodes(root: torch.Tensor) -> list:
    seen, queue, out = set(), deque([root.grad_fn]), []
    while queue:
        fn = queue.popleft()
        if fn is None or fn in seen:
            continue
        seen.add(fn)
        out.append(fn)
        queue.extend(n for n, _ in fn.next_functions)
    return out


def prehook_order(root: torch.Tensor) -> list[str]:
    """The oracle: the order in which node pre-hooks fire during a real backward."""
    fired: list[str] = []

    def hook_for(name: str):
        return lambda grad_outputs: fired.append(name.rsplit("::", 1)[-1])

    handles = [fn.register_prehook(hook_for(fn.name())) for fn in all_nodes(root)]
    try:
        root.backward(retain_graph=True)
    finally:
        for h in handles:
            h.remove()
    return fired


@pytest.mark.parametrize("make", [q_graph, diamond])
def test_order_is_the_order_prehooks_fire(make):
    *_, loss = make()
    steps = record_backward(loss, retain_graph=True)
    assert steps.names() == prehook_order(loss)
    # every executed node is a step, AccumulateGrad included, each once
    functions = {n.id for n in dagviz.trace(loss).functions()}
    assert sorted(s.node_id for s in steps) == sorted(functions)
    assert "AccumulateGrad" in steps.names()


def test_node_ids_are_those_of_trace():
    *_, loss = diamond()
    graph = dagviz.trace(loss)
    steps = record_backward(loss)
    assert [n.id for n in steps.graph.nodes] == [n.id for n in graph.nodes]
    for s in steps:
        assert graph.node(s.node_id).name == s.name
        # each gradient sent goes to the input in that slot of the traced graph
        for slot, target in enumerate(s.targets):
            if target is not None:
                assert any(e.src == target and e.dst == s.node_id and e.slot == slot for e in graph.edges)


def test_gradients_equal_torch_autograd_grad():
    x, w, u, loss = diamond()
    gx, gw, gu = torch.autograd.grad(loss, (x, w, u), retain_graph=True)
    u.retain_grad()  # after autograd.grad, which would fill u.grad too
    steps = record_backward(loss, params={"x": x, "w": w})
    graph = steps.graph
    # AccumulateGrad receives exactly the leaf's gradient (and .grad now holds it)
    for s in steps:
        if s.name == "AccumulateGrad":
            label = graph.node(s.node_id).tensor.label
            expected = {"x": gx, "w": gw}[label]
            assert s.grads_in[0].values == pytest.approx(expected.tolist(), abs=1e-5)
            assert s.grads_out == ()
    assert torch.allclose(x.grad, gx) and torch.allclose(w.grad, gw)

    # u = x * w: its MulBackward0 receives u's gradient and sends (grad * w, grad * x)
    def labels_in(nid: str) -> set:
        return {graph.node(e.src).tensor.label for e in graph.inputs_of(nid) if graph.node(e.src).kind == "leaf"}

    mul_id = next(n.id for n in graph.nodes if n.name == "MulBackward0" and labels_in(n.id) == {"x", "w"})
    mul = next(s for s in steps if s.node_id == mul_id)
    assert mul.grads_in[0].values == pytest.approx(gu.tolist(), abs=1e-5)
    assert mul.grads_in[0].values == pytest.approx(u.grad.tolist(), abs=1e-5)
    ga, gb = torch.autograd.grad(x * w, (x, w), grad_outputs=gu)
    assert mul.grads_out[0].values == pytest.approx(ga.tolist(), abs=1e-5)
    assert mul.grads_out[1].values == pytest.approx(gb.tolist(), abs=1e-5)
    assert mul.grad_inputs == mul.grads_out and mul.grad_outputs == mul.grads_in


def test_backward_really_ran_and_accumulates():
    a, b, loss = q_graph()
    record_backward(loss)
    assert torch.allclose(a.grad, 9 * a.detach() ** 2)
    assert torch.allclose(b.grad, -2 * b.detach())


def test_vector_root_with_gradient_matches_backward():
    a = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    v = torch.tensor([1.0, 0.5, -1.0])
    steps = record_backward(a.sin() * 2, gradient=v)
    assert steps[0].grads_in[0].values == pytest.approx(v.tolist())
    assert a.grad.tolist() == pytest.approx((2 * a.detach().cos() * v).tolist())


def test_non_scalar_root_without_gradient_says_what_to_do():
    a = torch.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="grad can be implicitly created only for scalar outputs") as info:
        record_backward(a * 2)
    assert "gradient=torch.ones_like" in str(info.value) and ".sum()" in str(info.value)
    assert a.grad is None  # nothing ran


def test_freed_graph_says_use_retain_graph():
    a, _, loss = q_graph()
    loss.backward()
    with pytest.raises(RuntimeError, match="retain_graph=True"):
        record_backward(loss)


def test_no_graph_is_a_clear_error():
    with pytest.raises(ValueError, match="requires_grad"):
        record_backward(torch.ones(()))


class FailOnce(torch.autograd.Function):
    failed = False

    @staticmethod
    def forward(ctx, x):
        return x * 2

    @staticmethod
    def backward(ctx, g):
        if not FailOnce.failed:
            FailOnce.failed = True
            raise RuntimeError("boom")
        return g * 2


@pytest.mark.parametrize("fail", [False, True])
def test_hooks_are_removed_afterwards_even_on_error(monkeypatch, fail):
    a = torch.ones(2, requires_grad=True)
    FailOnce.failed = not fail
    loss = FailOnce.apply(a.exp()).sum()
    if fail:
        with pytest.raises(RuntimeError, match="boom"):
            record_backward(loss, retain_graph=True)
    else:
        record_backward(loss, retain_graph=True)
    calls = []
    monkeypatch.setattr(steps_mod, "grad_meta", lambda g: calls.append(1))
    loss.backward()  # a left-over hook would call grad_meta again
    assert calls == []


def test_leaf_root_and_multiple_roots():
    a = torch.tensor(2.0, requires_grad=True)
    steps = record_backward(a)
    assert steps.names() == ["AccumulateGrad"] and steps[0].node_id == steps.graph.roots[0]
    b = torch.tensor([1.0, 2.0], requires_grad=True)
    steps = record_backward([(b * 2).sum(), (b * 3).sum()])
    assert b.grad.tolist() == [5.0, 5.0]
    assert steps.names().count("AccumulateGrad") == 1


def test_steps_hold_no_tensors_and_free_the_graph():
    a = torch.ones(4, requires_grad=True)
    u = a * 3
    loss = (u * u).sum()
    ref = weakref.ref(u)
    steps = record_backward(loss)
    if shutil.which("dot"):
        frame(steps, 1).pipe(format="svg")
    text = steps.table()
    del u, loss
    gc.collect()
    assert ref() is None, "record_backward kept a tensor of the graph alive"
    assert "MulBackward0" in text
    for s in steps:
        for value in vars(s).values():
            assert not isinstance(value, torch.Tensor)


def test_show_grad_equals_dot_grad():
    a, b, loss = q_graph()
    loss.backward()
    graph = dagviz.trace(loss, {"a": a, "b": b}, grads=True)
    got = {n.tensor.label: n.tensor.grad.values for n in graph.leaves()}
    assert got["a"] == pytest.approx(a.grad.tolist()) and got["b"] == pytest.approx(b.grad.tolist())
    text = dagviz.text(loss, {"a": a, "b": b}, show_grad=True)
    assert "grad = [36, 81]" in text and "grad = [-12, -8]" in text
    if shutil.which("dot"):
        src = dagviz.draw(loss, {"a": a, "b": b}, show_grad=True).source
        assert "grad = [36, 81]" in src and "grad = [-12, -8]" in src
    big = torch.randn(3, 4, requires_grad=True)
    (big * 2).sum().backward()
    meta = dagviz.trace(big, {"big": big}, grads=True).nodes[0].tensor.grad
    assert meta.values is None and meta.norm == pytest.approx(float(big.grad.norm()), rel=1e-5)


def test_frames_as_dot_need_no_graphviz(tmp_path, monkeypatch):
    *_, loss = q_graph()
    steps = record_backward(loss)
    monkeypatch.setattr(shutil, "which", lambda name: None)
    paths = save_frames(steps, tmp_path, fmt="dot")
    assert [p.name for p in paths] == [f"step_{k:03d}.dot" for k in range(1, len(steps) + 1)]
    first, last = paths[0].read_text(), paths[-1].read_text()
    assert "step 1/7: SumBackward0" in first
    assert "adds it to .grad" in last
    # the gradient on an edge is hidden until the node that sends it has run
    assert first.count("fontcolor=transparent") > last.count("fontcolor=transparent") == 0
    with pytest.raises(ValueError, match="fmt must be one of"):
        save_frames(steps, tmp_path, fmt="gif")


@needs_dot
def test_frames_keep_one_layout(tmp_path):
    *_, loss = diamond()
    steps = record_backward(loss)
    positions = []
    for k in range(len(steps)):
        plain = frame(steps, k, title=False).pipe(format="plain", encoding="utf-8")
        positions.append([line.split()[:4] for line in plain.splitlines() if line.startswith("node")])
    assert all(p == positions[0] for p in positions)
    paths = save_frames(steps, tmp_path, fmt="svg")
    assert len(paths) == len(steps) and all(p.stat().st_size < 100_000 for p in paths)
    assert re.search(r"step 3/\d+", paths[2].read_text())


@needs_dot
def test_step_through_widget_switches_frames():
    pytest.importorskip("ipywidgets")
    a, b, loss = q_graph()
    box = dagviz.step_through(loss, params={"a": a, "b": b})
    assert isinstance(box.steps, Steps) and box.slider.max == len(box.steps) - 1 == 6
    view = box.children[2]
    assert view.value == box.frames[0] and view.value.startswith("<svg")
    box.slider.value = 4
    assert view.value == box.frames[4] != box.frames[0]
    assert "step 5/7" in box.children[1].value


def test_save_frames_from_a_root_runs_backward(tmp_path):
    a, b, loss = q_graph()
    paths = save_frames(loss, tmp_path / "frames", fmt="dot", params={"a": a, "b": b})
    assert len(paths) == 7 and torch.equal(a.grad, 9 * a.detach() ** 2)
    assert 'label="a' in paths[0].read_text()


def test_single_root_in_a_dict_keeps_its_label():
    a = torch.ones(2, requires_grad=True)
    steps = dagviz.record_backward({"y": a * 2}, gradient=torch.ones(2))
    assert [n.name for n in steps.graph.nodes if n.kind == "root"] == ["y"]


def test_captions_name_the_leaf_never_an_internal_id():
    a = torch.tensor([2.0, 3.0], requires_grad=True)
    b = torch.tensor([6.0, 4.0], requires_grad=True)
    steps = record_backward({"Q": 3 * a**3 - b**2}, gradient=torch.ones(2), params={"a": a, "b": b})
    titles = [frame(steps, k).graph_attr["label"] for k in range(len(steps))]
    assert not any(re.search(r"\bn\d+\b", t) for t in titles), titles
    acc = [t for t in titles if "AccumulateGrad" in t]
    assert sorted(t.split("adds it to ")[1] for t in acc) == ["a.grad", "b.grad"]
    assert '"Q' in frame(steps, 0).source or "label=Q" in frame(steps, 0).source  # the root keeps its name


def test_received_is_the_gradient_each_leaf_got():
    a, b, q = q_graph()
    steps = record_backward(q, params={"a": a, "b": b})
    label = {n.id: n.tensor.label for n in steps.graph.leaves()}
    got = {label[s.node_id]: s.received() for s in steps if s.name == "AccumulateGrad"}
    assert torch.equal(got["a"], a.grad) and torch.equal(got["b"], b.grad)
    assert steps[0].received(output=5) is None  # no such output
