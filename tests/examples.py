"""Small computations several test files draw."""

from __future__ import annotations

import torch
from torch import nn


def unrolled_rnn(steps: int, input_size: int = 3, hidden: int = 4) -> tuple[nn.RNNCell, torch.Tensor]:
    """An RNNCell applied `steps` times (its weights shared by every step) and the summed output."""
    torch.manual_seed(0)
    cell = nn.RNNCell(input_size, hidden)
    h = torch.zeros(1, hidden)
    for x in torch.randn(steps, 1, input_size):
        h = cell(x, h)
    return cell, h.sum()


class DenseMLP(nn.Module):
    """Every layer reads the concatenation of the input and of all earlier layers' outputs.

    DenseNet's skip pattern without the convolutions: with 24 layers its graph has only 169 boxes,
    but hundreds of long edges that Graphviz needs seconds to lay out as they are.
    """

    def __init__(self, layers: int, width: int = 4) -> None:
        super().__init__()
        self.layers = nn.ModuleList(nn.Linear(width * (i + 1), width) for i in range(layers))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        feats = [x]
        for layer in self.layers:
            feats.append(torch.relu(layer(torch.cat(feats, 1))))
        return feats[-1]


def dense_mlp(layers: int, track: bool = False) -> tuple[DenseMLP, torch.Tensor]:
    """A `DenseMLP` and its summed output (forward under `dagviz.track` when `track`)."""
    import dagviz

    torch.manual_seed(0)
    model = DenseMLP(layers)
    x = torch.randn(2, 4)
    if track:
        with dagviz.track(model):
            return model, model(x).sum()
    return model, model(x).sum()
