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
