"""dagviz on the graphs of lesson 8 (extending autograd), checked against a plain walk of next_functions.

Three kinds of graph: a custom `autograd.Function` (one node named after the class), the graph
`create_graph=True` builds (the backward's own operations, recorded), and a checkpointed segment
(saved tensors replaced by placeholders that backward recomputes; drawing must not recompute them).
"""

from __future__ import annotations

import torch
from test_core import oracle, traced
from torch import nn
from torch.autograd import Function
from torch.utils.checkpoint import checkpoint

import dagviz


class Softplus(Function):
    """log(1 + exp(x)), stable, in the setup_context style."""

    @staticmethod
    def forward(x):
        return x.clamp(min=0) + torch.log1p(torch.exp(-x.abs()))

    @staticmethod
    def setup_context(ctx, inputs, output):
        (x,) = inputs
        ctx.save_for_backward(x)

    @staticmethod
    def backward(ctx, grad_out):
        (x,) = ctx.saved_tensors
        return grad_out * torch.sigmoid(x)


class OldStyleSquare(Function):
    """The older style: forward takes ctx; saves an input and its output."""

    @staticmethod
    def forward(ctx, x):
        out = x * x
        ctx.save_for_backward(x, out)
        return out

    @staticmethod
    def backward(ctx, grad_out):
        x, _ = ctx.saved_tensors
        return 2 * x * grad_out


class RoundWithCodes(Function):
    """Straight-through rounding that also returns a non-differentiable float output."""

    @staticmethod
    def forward(x):
        codes = torch.round(x)
        return codes.clone(), codes

    @staticmethod
    def setup_context(ctx, inputs, output):
        ctx.mark_non_differentiable(output[1])

    @staticmethod
    def backward(ctx, grad_rounded, grad_codes):
        return grad_rounded


def assert_matches_oracle(*roots: torch.Tensor) -> None:
    names, edges = traced(*roots)
    want_names, want_edges = oracle(*roots)
    assert names == want_names
    assert edges == want_edges


# ---- a custom Function --------------------------------------------------------------------


def test_custom_function_is_one_node_named_after_its_class():
    x = torch.randn(5, requires_grad=True)
    y = (Softplus.apply(x) * 2).sum()
    assert_matches_oracle(y)
    g = dagviz.trace(y, params={"x": x})
    ops = [n.name for n in g.functions() if n.kind == "op"]
    assert ops == ["SumBackward0", "MulBackward0", "SoftplusBackward"]
    node = next(n for n in g.nodes if n.name == "SoftplusBackward")
    (edge,) = g.inputs_of(node.id)
    assert g.node(edge.src).kind == "leaf" and g.node(edge.src).tensor.label == "x"
    assert "SoftplusBackward" in dagviz.draw(y, params={"x": x}).source
    assert "SoftplusBackward" in dagviz.text(y)


def test_old_style_function_is_named_the_same_way_and_shows_what_ctx_saved():
    x = torch.randn(3, 2, requires_grad=True)
    y = OldStyleSquare.apply(x).sum()
    assert_matches_oracle(y)
    g = dagviz.trace(y, saved=True)
    node = next(n for n in g.nodes if n.name == "OldStyleSquareBackward")
    saved = [(s.name, s.shape, s.freed) for s in node.saved]
    assert saved == [("tensors[0]", (3, 2), False), ("tensors[1]", (3, 2), False)]
    y.backward()
    node = next(n for n in dagviz.trace(y, saved=True).nodes if n.name == "OldStyleSquareBackward")
    assert all(s.freed for s in node.saved)  # must not raise, although ctx.saved_tensors now does
    assert "freed by backward" in dagviz.draw(y, show_saved=True).source


def test_custom_function_saved_tensors_are_drawn_with_their_shape():
    x = torch.randn(4, requires_grad=True)
    y = Softplus.apply(x).sum()
    dot = dagviz.draw(y, params={"x": x}, show_saved=True).source
    assert "saved tensors[0]" in dot and "(4,) float32" in dot
    saved = [n for n in dagviz.trace(y, saved=True).nodes if n.kind == "saved"]
    assert [(n.name, n.tensor.shape) for n in saved] == [("tensors[0]", (4,))]


def test_custom_function_input_changed_in_place_is_marked_not_raised():
    x = torch.randn(3, requires_grad=True)
    h = x * 1.0
    y = Softplus.apply(h).sum()
    h.add_(1.0)
    node = next(n for n in dagviz.trace(y, saved=True).nodes if n.name == "SoftplusBackward")
    assert [(s.name, s.modified) for s in node.saved] == [("tensors", True)]
    assert "modified in place: backward will fail" in dagviz.text(y, show_saved=True)


def test_non_differentiable_output_has_no_graph_and_the_other_one_does():
    x = torch.randn(4, requires_grad=True)
    rounded, codes = RoundWithCodes.apply(x)
    assert rounded.requires_grad and not codes.requires_grad
    assert_matches_oracle(rounded.sum())
    assert "RoundWithCodesBackward" in [n.name for n in dagviz.trace(rounded).functions()]
    try:
        dagviz.trace(codes)
    except ValueError as err:
        assert "has no autograd graph" in str(err)
    else:
        raise AssertionError("a non-differentiable output has no graph to trace")


# ---- the graph create_graph=True builds ---------------------------------------------------


def test_create_graph_records_the_backward_as_a_graph_of_its_own():
    x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = (x**3).sum()
    (dy,) = torch.autograd.grad(y, x, create_graph=True)
    assert dy.grad_fn is not None
    assert_matches_oracle(dy)
    g = dagviz.trace({"dy/dx": dy}, params={"x": x})
    # 3 x^2 * grad_out: the backward of PowBackward0 made of ordinary ops, ending at the same leaf x
    assert sorted(n.name for n in g.functions()) == ["AccumulateGrad", "MulBackward0", "MulBackward1", "PowBackward0"]
    assert [n.tensor.label for n in g.leaves()] == ["x"]
    (d2y,) = torch.autograd.grad(dy.sum(), x)
    assert torch.equal(d2y, 6 * x.detach())


def test_without_create_graph_the_gradient_has_no_graph():
    x = torch.tensor([1.0, 2.0], requires_grad=True)
    (dy,) = torch.autograd.grad((x**3).sum(), x)
    assert dy.grad_fn is None and not dy.requires_grad


def critic_and_penalty():
    torch.manual_seed(0)
    critic = nn.Sequential(nn.Linear(2, 8), nn.Tanh(), nn.Linear(8, 1))
    real, fake = torch.randn(6, 2), torch.randn(6, 2)
    alpha = torch.rand(6, 1)
    mixed = (alpha * real + (1 - alpha) * fake).requires_grad_(True)
    (g,) = torch.autograd.grad(critic(mixed).sum(), mixed, create_graph=True)
    penalty = ((g.norm(2, dim=1) - 1) ** 2).mean()
    loss = critic(fake).mean() - critic(real).mean() + 10 * penalty
    return critic, mixed, loss


def test_gradient_penalty_graph_holds_double_backward_nodes_and_the_critic_weights():
    critic, mixed, loss = critic_and_penalty()
    assert_matches_oracle(loss)
    g = dagviz.trace(loss, params={"mixed": mixed, **dict(critic.named_parameters())})
    names = [n.name for n in g.functions()]
    assert "TanhBackwardBackward0" in names  # the backward of tanh's backward, recorded by create_graph
    assert sorted(n.tensor.label for n in g.leaves()) == ["0.bias", "0.weight", "2.bias", "2.weight", "mixed"]
    dots = [dagviz.draw(critic_and_penalty()[2], params=critic).source for _ in range(2)]
    assert dots[0] == dots[1] and "0x" not in dots[0]


# ---- a checkpointed segment ---------------------------------------------------------------


class Counted(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.calls = 0
        self.lin1, self.lin2 = nn.Linear(4, 8), nn.Linear(8, 4)

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        self.calls += 1
        return self.lin2(torch.tanh(self.lin1(h)))


def checkpointed(use_checkpoint: bool):
    torch.manual_seed(0)
    block = Counted()
    x = torch.randn(3, 4, requires_grad=True)
    h = checkpoint(block, x, use_reentrant=False) if use_checkpoint else block(x)
    return block, x, (h.sin() * 2).sum()


def test_checkpointed_segment_has_the_plain_graph_structure():
    _, _, plain = checkpointed(False)
    block, _, loss = checkpointed(True)
    assert_matches_oracle(loss)
    assert traced(loss) == traced(plain)


def test_drawing_a_checkpointed_segment_does_not_recompute_it():
    block, x, loss = checkpointed(True)
    assert block.calls == 1
    g = dagviz.trace(loss, params={"x": x, **dict(block.named_parameters())}, saved=True)
    dot = dagviz.draw(loss, params=block, show_saved=True).source
    text = dagviz.text(loss, show_saved=True)
    assert block.calls == 1  # reading a placeholder would have re-run the forward
    inside = {"AddmmBackward0", "TanhBackward0"}
    for n in g.functions():
        if n.name in inside:
            assert n.saved
            assert all(s.packed == "recomputed in backward (checkpoint)" and s.shape is None for s in n.saved)
        if n.name == "SinBackward0":  # outside the segment: an ordinary saved tensor
            assert [(s.name, s.shape, s.packed) for s in n.saved] == [("self", (3, 4), None)]
    assert "recomputed in backward (checkpoint)" in dot and "recomputed in backward (checkpoint)" in text
    loss.backward()
    assert block.calls == 2  # backward recomputed the segment once
    after = dagviz.trace(loss, saved=True)
    assert all(s.freed for n in after.functions() for s in n.saved)


def test_checkpoint_gives_the_same_gradients():
    grads = []
    for use in (False, True):
        block, x, loss = checkpointed(use)
        loss.backward()
        grads.append([x.grad, *(p.grad for p in block.parameters())])
    assert all(torch.equal(a, b) for a, b in zip(*grads, strict=True))


def test_other_saved_tensor_hooks_are_not_run_by_drawing():
    unpacked = []
    x = torch.randn(5, requires_grad=True)
    with torch.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: unpacked.append(1) or t):
        y = (torch.exp(x) * Softplus.apply(x)).sum()
    g = dagviz.trace(y, saved=True)
    assert unpacked == []
    states = {(n.name, s.name): s.packed for n in g.functions() for s in n.saved}
    assert states[("SoftplusBackward", "tensors[0]")] == "packed by a saved-tensor hook"
    assert states[("ExpBackward0", "result")] == "packed by a saved-tensor hook"
    with torch.autograd.graph.save_on_cpu():
        z = torch.exp(x).sum()
    packed = [s.packed for n in dagviz.trace(z, saved=True).functions() for s in n.saved]
    assert packed == ["packed by a saved-tensor hook"]
    y.backward()
    assert unpacked  # backward itself does unpack


def test_drawing_never_runs_the_checkpoint_where_trace_reads_weights_to_name_slots():
    # A frozen conv without bias: `trace` reads the saved weight to name the frozen input and to
    # tell the missing bias from a constant; inside a checkpoint that read would recompute.
    torch.manual_seed(0)
    conv = nn.Conv2d(1, 2, 3, bias=False)
    conv.requires_grad_(False)
    calls = []

    def segment(x):
        calls.append(1)
        return conv(x).tanh()

    x = torch.randn(1, 1, 5, 5, requires_grad=True)
    loss = checkpoint(segment, x, use_reentrant=False).sum()
    g = dagviz.trace(loss, params=conv)
    dagviz.text(loss, conv, show_saved=True)
    assert len(calls) == 1
    (conv_node,) = [n for n in g.nodes if n.name == "ConvolutionBackward0"]
    assert [g.node(e.src).kind for e in g.inputs_of(conv_node.id)] == ["leaf", "nograd"]
    loss.backward()
    assert len(calls) == 2 and x.grad is not None


def test_reading_saved_tensors_leaves_a_debuggers_trace_function_in_place():
    import sys

    seen = []

    def tracer(frame, event, arg):
        seen.append(event)
        return None

    x = torch.randn(3, requires_grad=True)
    with torch.autograd.graph.saved_tensors_hooks(lambda t: t, lambda t: t):
        y = x.exp().sum()
    previous = sys.gettrace()
    sys.settrace(tracer)
    try:
        dagviz.trace(y, saved=True)
        assert sys.gettrace() is tracer
    finally:
        sys.settrace(previous)
    assert "call" in seen


def test_a_saved_string_is_neither_a_tensor_nor_a_reason_it_was_not_read():
    # GELU saves `approximate="none"`, a str: only tensors (or why one was not read) are listed.
    x = torch.randn(4, requires_grad=True)
    plain = dagviz.trace(nn.functional.gelu(x).sum(), saved=True)
    assert [(s.name, s.packed, s.freed) for n in plain.functions() for s in n.saved if n.name == "GeluBackward0"] == [
        ("self", None, False)
    ]
    with torch.autograd.graph.save_on_cpu():
        hooked = nn.functional.gelu(x).sum()
    packed = [(n.name, s.name, s.packed) for n in dagviz.trace(hooked, saved=True).functions() for s in n.saved]
    assert packed == [("GeluBackward0", "self", "packed by a saved-tensor hook")]
