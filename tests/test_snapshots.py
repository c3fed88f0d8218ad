"""Golden DOT files: the picture of a few small graphs must not change by accident.

When a change to the drawing is intended, rewrite them and review the diff:
    .venv/bin/python -m pytest tests/test_snapshots.py --update-snapshots
"""

from __future__ import annotations

import pytest
import torch
from examples import mlp_loss, q_tensors, small_mlp, unrolled_rnn

import dagviz


def q_graph(**kw):
    a, b, q = q_tensors()
    if kw.pop("backward", False):
        q.backward(gradient=torch.ones(2))
    return dagviz.draw({"Q": q}, params={"a": a, "b": b}, **kw)


def mlp_graph():
    model = small_mlp()
    model[2].requires_grad_(False)  # frozen last layer: its weight is saved, so it is named
    return dagviz.draw(mlp_loss(model), params=model)


def rnn_graph():
    cell, loss = unrolled_rnn(4, input_size=2, hidden=3)
    return dagviz.draw({"loss": loss}, params=cell)


CASES = {
    "q": lambda: q_graph(),
    "q_saved": lambda: q_graph(show_saved=True),
    "q_after_backward": lambda: q_graph(backward=True, show_saved=True, show_grad=True),
    "mlp_frozen_last_layer": mlp_graph,
    "rnn_shared_weights": rnn_graph,
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_dot_snapshot(name, snapshot):
    snapshot(f"{name}.dot", CASES[name]().source)
