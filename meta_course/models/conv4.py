"""Conv-4: the few-shot image backbone of Vinyals et al., Snell et al. and Finn et al.

Four blocks of [3×3 convolution with ``hidden`` channels, batch normalisation, ReLU, 2×2 max-pool],
then (optionally) a linear head. A 28×28 Omniglot image becomes 28 → 14 → 7 → 3 → 1 pixels, i.e. a
``hidden``-dimensional embedding (64-d by default).

Batch normalisation here always uses the statistics of the *current batch* and keeps no running
averages (:class:`BatchStatNorm2d`). That is what MAML's reference code does (it normalises with
the statistics of each task's support or query batch, also at test time), and it is *transductive*:
a query image's features depend on the other query images of its batch. It is written with plain
tensor operations, so it works inside :func:`torch.func.vmap` (each task normalised with its own
statistics) and its second-order gradients are exact — ``nn.BatchNorm2d`` under ``vmap`` mutates
running buffers and gives wrong double-backward results (pytorch/functorch#534).

References:
    Vinyals et al. (2016), "Matching Networks for One Shot Learning", Section 4.1.1;
    Finn, Abbeel & Levine (2017), Section 5.2 ("4 modules with a 3×3 convolutions and 64 filters,
    followed by batch normalization, a ReLU nonlinearity, and 2×2 max-pooling");
    Snell, Swersky & Zemel (2017), Section 3.1.
"""

from __future__ import annotations

import torch
from torch import nn


class BatchStatNorm2d(nn.Module):
    """Batch normalisation with batch statistics only: ``γ · (x − mean) / sqrt(var + eps) + β``.

    Mean and (biased) variance are taken over the batch and spatial axes of ``x [B, C, H, W]``.
    No running statistics, no state: safe under ``vmap`` and higher-order autograd.
    """

    def __init__(self, channels: int, eps: float = 1e-5):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(channels))
        self.bias = nn.Parameter(torch.zeros(channels))
        self.eps = eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        mean = x.mean(dim=(0, 2, 3), keepdim=True)
        var = (x - mean).pow(2).mean(dim=(0, 2, 3), keepdim=True)
        return (x - mean) * torch.rsqrt(var + self.eps) * self.weight.view(1, -1, 1, 1) + self.bias.view(1, -1, 1, 1)


def conv_block(in_channels: int, out_channels: int) -> nn.Sequential:
    """3×3 conv (padding 1) → batch-stat norm → ReLU → 2×2 max-pool."""
    return nn.Sequential(nn.Conv2d(in_channels, out_channels, 3, padding=1), BatchStatNorm2d(out_channels),
                         nn.ReLU(), nn.MaxPool2d(2))


class Conv4(nn.Module):
    """Four conv blocks, then a linear head (``out_features``) or the flat embedding (``None``).

    Args:
        out_features: number of classes (N-way) for a classifier; ``None`` returns the embedding.
        hidden: channels of every block (64 in the papers).
        in_channels: 1 for Omniglot.
        image_size: input side; 28 → a ``hidden``-dim embedding (84 → ``hidden``·5·5).

    Input ``x [B, in_channels, S, S]`` (float); output ``[B, out_features]`` or ``[B, embedding_dim]``.

    Example:
        >>> net = Conv4(out_features=5)
        >>> net(torch.zeros(10, 1, 28, 28)).shape, Conv4(None).embedding_dim
        (torch.Size([10, 5]), 64)
    """

    def __init__(self, out_features: int | None = None, hidden: int = 64, in_channels: int = 1,
                 image_size: int = 28):
        super().__init__()
        for name, v in (("hidden", hidden), ("in_channels", in_channels), ("image_size", image_size)):
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise ValueError(f"{name}={v!r} must be a positive integer, e.g. hidden=64, in_channels=1, "
                                 f"image_size=28.")
        if image_size < 16:
            raise ValueError(f"image_size={image_size} is too small: four 2x max-pools need >= 16 pixels; use 28.")
        if out_features is not None and (isinstance(out_features, bool) or not isinstance(out_features, int)
                                         or out_features < 1):
            raise ValueError(f"out_features={out_features!r} must be a positive integer (N-way) or None for the "
                             f"embedding.")
        self.features = nn.Sequential(conv_block(in_channels, hidden), conv_block(hidden, hidden),
                                      conv_block(hidden, hidden), conv_block(hidden, hidden))
        side = image_size
        for _ in range(4):
            side //= 2
        self.embedding_dim = hidden * side * side
        self.head = nn.Linear(self.embedding_dim, out_features) if out_features is not None else None
        self.out_features, self.hidden, self.in_channels, self.image_size = out_features, hidden, in_channels, image_size

    def embed(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 4:
            raise ValueError(f"Conv4 expects images [B, C, H, W], got shape {tuple(x.shape)}; add a channel axis "
                             f"with x.unsqueeze(1) (or use meta_course.tasks.omniglot.images.to_float).")
        return self.features(x).flatten(1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        z = self.embed(x)
        return z if self.head is None else self.head(z)
