"""The MAML paper's regression network, 1 → 40 → 40 → 1 with ReLU (:class:`MLP`), and its smooth twin
for derivative checks (:func:`tanh_mlp`)."""

from __future__ import annotations

from typing import Sequence

import torch
from torch import nn


class MLP(nn.Sequential):
    """A fully connected ReLU network.

    Args:
        sizes: layer widths, input first; the MAML sine network is ``(1, 40, 40, 1)``.

    References:
        Finn et al. (2017), Section 5.1: "a neural network model with 2 hidden layers of size 40
        with ReLU nonlinearities".

    Example:
        >>> MLP((1, 40, 40, 1))(__import__("torch").zeros(3, 1)).shape
        torch.Size([3, 1])
    """

    def __init__(self, sizes=(1, 40, 40, 1)):
        sizes = [int(s) for s in sizes]
        if len(sizes) < 2 or min(sizes) < 1:
            raise ValueError(f"sizes={sizes} must list >= 2 positive widths, e.g. (1, 40, 40, 1).")
        layers = []
        for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
            layers.append(nn.Linear(a, b))
            if i < len(sizes) - 2:
                layers.append(nn.ReLU())
        super().__init__(*layers)
        self.sizes = sizes


def tanh_mlp(sizes: Sequence[int] = (1, 40, 40, 1), dtype=torch.float64) -> nn.Sequential:
    """The sine MLP with tanh instead of ReLU: a smooth network for checking Taylor expansions.

    A ReLU network's gradient jumps where a point crosses a kink; the number of points crossing
    grows like α, so every expansion in α has an O(α) error on top of its own at ReLU nets
    (lesson 03 shows it). Smooth activations let the O(α²) claims be checked cleanly.
    """
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(a, b, dtype=dtype))
        if i < len(sizes) - 2:
            layers.append(nn.Tanh())
    return nn.Sequential(*layers)
