"""Generators and critics small enough to train on one CPU thread.

- :class:`MLPGenerator` / :class:`MLPCritic`: the 2-D toy (mixture of Gaussians on a ring).
- :class:`ConvGenerator` / :class:`ConvCritic`: 28×28 Omniglot drawings, a two-layer DCGAN
  (Radford et al. 2016) without batch normalisation — a WGAN-GP critic must not use it (the
  penalty is per example, and batch statistics make a drawing's score depend on the others,
  Gulrajani et al. 2017, Section 4), and the few-shot generator adapts on only K drawings.

Generators map a latent ``z [B, z_dim]`` (optionally concatenated with a condition ``h [B, cond_dim]``,
MetaGAN's task representation) to samples; images come out of a sigmoid, in [0, 1] like the course's
Omniglot tensors (ink high). Critics return one unbounded score per example ``[B]`` (a minimax GAN
reads it as the logit of D(x)).

References:
    Radford, Metz & Chintala (2016), "Unsupervised Representation Learning with Deep Convolutional
    GANs", ICLR, Section 3 (strided convolutions, no pooling). Gulrajani et al. (2017), "Improved
    Training of Wasserstein GANs", NeurIPS, Section 4 ("No critic batch normalization").
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


def _positive_int(name: str, value, example: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name}={value!r} must be a positive integer, e.g. {example}.")
    return value


def _mlp(sizes: list[int], act) -> nn.Sequential:
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2:
            layers.append(act())
    return nn.Sequential(*layers)


class MLPGenerator(nn.Module):
    """z ``[B, z_dim]`` → point ``[B, out_dim]``: a ReLU MLP.

    Example:
        >>> MLPGenerator(z_dim=4)(torch.zeros(3, 4)).shape
        torch.Size([3, 2])
    """

    def __init__(self, z_dim: int = 16, hidden: int = 128, layers: int = 2, out_dim: int = 2):
        super().__init__()
        for name, v in (("z_dim", z_dim), ("hidden", hidden), ("layers", layers), ("out_dim", out_dim)):
            _positive_int(name, v, "z_dim=16, hidden=128, layers=2, out_dim=2")
        self.z_dim, self.out_dim = z_dim, out_dim
        self.net = _mlp([z_dim] + [hidden] * layers + [out_dim], nn.ReLU)

    def forward(self, z: Tensor) -> Tensor:
        if z.dim() != 2 or z.shape[1] != self.z_dim:
            raise ValueError(f"latent z must be [B, {self.z_dim}], got shape {tuple(z.shape)}; "
                             f"draw it with torch.randn(B, {self.z_dim}).")
        return self.net(z)


class MLPCritic(nn.Module):
    """x ``[B, in_dim]`` → score ``[B]``: a LeakyReLU MLP (a logit for the minimax GAN, a critic value for WGAN).

    Example:
        >>> MLPCritic()(torch.zeros(3, 2)).shape
        torch.Size([3])
    """

    def __init__(self, in_dim: int = 2, hidden: int = 128, layers: int = 2):
        super().__init__()
        for name, v in (("in_dim", in_dim), ("hidden", hidden), ("layers", layers)):
            _positive_int(name, v, "in_dim=2, hidden=128, layers=2")
        self.in_dim = in_dim
        self.net = _mlp([in_dim] + [hidden] * layers + [1], lambda: nn.LeakyReLU(0.2))

    def forward(self, x: Tensor) -> Tensor:
        if x.dim() != 2 or x.shape[1] != self.in_dim:
            raise ValueError(f"critic input must be [B, {self.in_dim}], got shape {tuple(x.shape)}.")
        return self.net(x).squeeze(-1)


class ConvGenerator(nn.Module):
    """(z, h) → image ``[B, 1, S, S]`` in [0, 1]: linear to ``2c × S/4 × S/4``, then two stride-2
    transposed convolutions (S/4 → S/2 → S).

    Args:
        z_dim: latent size.
        channels: c, the width (the first feature map has 2c channels).
        image_size: S, a multiple of 4 (28 for Omniglot).
        cond_dim: size of a condition concatenated to z (0: unconditional; MetaGAN: the task embedding).

    Example:
        >>> ConvGenerator(z_dim=8, channels=4)(torch.zeros(2, 8)).shape
        torch.Size([2, 1, 28, 28])
    """

    def __init__(self, z_dim: int = 32, channels: int = 32, image_size: int = 28, cond_dim: int = 0):
        super().__init__()
        _positive_int("z_dim", z_dim, "z_dim=32")
        _positive_int("channels", channels, "channels=32")
        _positive_int("image_size", image_size, "image_size=28")
        if image_size % 4:
            raise ValueError(f"image_size={image_size} must be a multiple of 4 (two 2x upsamplings); use 28.")
        if isinstance(cond_dim, bool) or not isinstance(cond_dim, int) or cond_dim < 0:
            raise ValueError(f"cond_dim={cond_dim!r} must be an integer >= 0 (0: unconditional).")
        self.z_dim, self.channels, self.image_size, self.cond_dim = z_dim, channels, image_size, cond_dim
        side = image_size // 4
        self.fc = nn.Linear(z_dim + cond_dim, 2 * channels * side * side)
        self.net = nn.Sequential(
            nn.ReLU(), nn.Unflatten(1, (2 * channels, side, side)),
            nn.ConvTranspose2d(2 * channels, channels, 4, stride=2, padding=1), nn.ReLU(),
            nn.ConvTranspose2d(channels, 1, 4, stride=2, padding=1), nn.Sigmoid())

    def forward(self, z: Tensor, h: Tensor | None = None) -> Tensor:
        if z.dim() != 2 or z.shape[1] != self.z_dim:
            raise ValueError(f"latent z must be [B, {self.z_dim}], got shape {tuple(z.shape)}.")
        if self.cond_dim:
            if h is None or h.shape != (z.shape[0], self.cond_dim):
                raise ValueError(f"this generator is conditional: pass h [B, {self.cond_dim}] with z, "
                                 f"got {None if h is None else tuple(h.shape)}.")
            z = torch.cat([z, h], 1)
        elif h is not None:
            raise ValueError("this generator is unconditional (cond_dim=0): call it without h.")
        return self.net(self.fc(z))


class ConvCritic(nn.Module):
    """Image ``[B, 1, S, S]`` → score ``[B]``: two stride-2 convolutions (c, 2c channels, LeakyReLU 0.2),
    then a linear read-out. No normalisation layer (see the module docstring).

    Raises:
        ValueError: an input that is not ``[B, 1, image_size, image_size]`` (names the expected size).

    Example:
        >>> ConvCritic(channels=4)(torch.zeros(2, 1, 28, 28)).shape
        torch.Size([2])
    """

    def __init__(self, channels: int = 32, image_size: int = 28, in_channels: int = 1):
        super().__init__()
        _positive_int("channels", channels, "channels=32")
        _positive_int("image_size", image_size, "image_size=28")
        _positive_int("in_channels", in_channels, "in_channels=1")
        if image_size % 4:
            raise ValueError(f"image_size={image_size} must be a multiple of 4 (two stride-2 convolutions); use 28.")
        self.channels, self.image_size, self.in_channels = channels, image_size, in_channels
        side = image_size // 4
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, channels, 4, stride=2, padding=1), nn.LeakyReLU(0.2),
            nn.Conv2d(channels, 2 * channels, 4, stride=2, padding=1), nn.LeakyReLU(0.2), nn.Flatten())
        self.out = nn.Linear(2 * channels * side * side, 1)

    def forward(self, x: Tensor) -> Tensor:
        expected = (self.in_channels, self.image_size, self.image_size)
        if x.dim() != 4 or tuple(x.shape[1:]) != expected:
            raise ValueError(f"critic input must be images [B, {expected[0]}, {expected[1]}, {expected[2]}], got shape "
                             f"{tuple(x.shape)}: resize the drawings to {self.image_size}x{self.image_size} "
                             f"(meta_course.tasks.images.resize_u8) or build the critic with image_size="
                             f"{x.shape[-1]}.")
        return self.out(self.features(x)).squeeze(-1)


__all__ = ["ConvCritic", "ConvGenerator", "MLPCritic", "MLPGenerator"]
