"""The MAML paper's regression network: 1 → 40 → 40 → 1 with ReLU."""

from __future__ import annotations

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
