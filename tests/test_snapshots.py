"""Golden DOT files: the picture of a few small graphs must not change by accident.

When a change to the drawing is intended, rewrite them and review the diff:
    UPDATE_SNAPSHOTS=1 .venv/bin/python -m pytest tests/test_snapshots.py
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch
from torch import nn

import dagviz

SNAPSHOTS = Path(__file__).parent / "snapshots"


def q_graph(**kw):
    a = torch.tensor([2.0, 3.0], requires_grad=True)
    b = torch.tensor([6.0, 4.0], requires_grad=True)
    q = 3 * a**3 - b**2
    if kw.pop("backward", False):
        q.backward(gradient=torch.ones(2))
    return dagviz.draw({"Q": q}, params={"a": a, "b": b}, **kw)


def mlp_graph():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))
    model[2].requires_grad_(False)  # frozen last layer: its weight is saved, so it is named
    return dagviz.draw(model(torch.randn(2, 3)).sum(), params=model)


def rnn_graph():
    torch.manual_seed(0)
    cell = nn.RNNCell(2, 3)
    h = torch.zeros(1, 3)
    for x in torch.randn(4, 1, 2):
        h = cell(x, h)
    return dagviz.draw({"loss": h.sum()}, params=cell)


CASES = {
    "q": lambda: q_graph(),
    "q_saved": lambda: q_graph(show_saved=True),
    "q_after_backward": lambda: q_graph(backward=True, show_saved=True, show_grad=True),
    "mlp_frozen_last_layer": mlp_graph,
    "rnn_shared_weights": rnn_graph,
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_dot_snapshot(name):
    source = CASES[name]().source
    path = SNAPSHOTS / f"{name}.dot"
    if os.environ.get("UPDATE_SNAPSHOTS") == "1" or not path.exists():
        path.write_text(source)
        if os.environ.get("UPDATE_SNAPSHOTS") != "1":
            pytest.fail(f"{path.name} did not exist and was written; review it and rerun")
    assert source == path.read_text(), f"DOT for {name} changed; see the module docstring to update"
