"""Small computations several test files draw: one definition each."""

from __future__ import annotations

import torch
from torch import nn


def q_tensors() -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The course's running example Q = 3a^3 - b^2 (the PyTorch tutorial's): leaves a, b and Q."""
    a = torch.tensor([2.0, 3.0], requires_grad=True)
    b = torch.tensor([6.0, 4.0], requires_grad=True)
    return a, b, 3 * a**3 - b**2


def small_mlp() -> nn.Sequential:
    """Linear(3, 4), Tanh, Linear(4, 2), seeded: small enough to read every box."""
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 2))


def mlp_loss(model: nn.Module) -> torch.Tensor:
    """`small_mlp`'s summed output on a seeded batch of two (each call a new forward)."""
    torch.manual_seed(1)
    return model(torch.randn(2, 3)).sum()


def tracked_resnet18() -> tuple[nn.Module, torch.Tensor]:
    """torchvision's resnet18 (random weights, eval mode) and its output on one 64x64 image, run
    under `dagviz.track` (resnet50 has the same shape, 3x slower to build)."""
    import torchvision

    import dagviz

    torch.manual_seed(0)
    model = torchvision.models.resnet18(weights=None).eval()
    with dagviz.track(model):
        out = model(torch.randn(1, 3, 64, 64))
    return model, out


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
