"""The 2-D toy of every GAN lesson: a mixture of Gaussians on a ring.

    p_data(x) = (1/M) Σ_m N(x; μ_m, σ² I),   μ_m = r (cos 2πm/M, sin 2πm/M)

Small enough that the density is known exactly (so the optimal discriminator can be written down and
checked on a grid), hard enough that a minimax GAN shows mode collapse: its generator tends to put all
its mass on one or a few of the M modes and hop between them. Quality of a sample set is measured as in
Metz et al. (2017, "Unrolled GANs", Section 3.1): a sample is *high quality* when it lies within
``n_std`` standard deviations of its nearest mode centre, and a mode is *covered* when it received at
least ``min_share`` of the high-quality samples' expected share.

References:
    Metz, Poole, Pfau & Sohl-Dickstein (2017), "Unrolled Generative Adversarial Networks", ICLR,
    Section 3.1 (the 8-Gaussian ring, radius 2, σ = 0.02) and Table 1 (modes covered, high-quality share).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import torch
from torch import Tensor

from ..core.checks import check_int, check_positive, check_range
from .samples import Samples


class RingMixture:
    """M isotropic Gaussians with equal weights, centred on a circle.

    Args:
        n_modes: M (8 in Metz et al.).
        radius: r, the circle's radius (2).
        std: σ of every component (0.02 in Metz et al.; 0.05 here makes the toy less brittle).
        batch_size: points per sample call and task (what the generator sees per step).

    Example:
        >>> ring = RingMixture(n_modes=8)
        >>> ring.sample(torch.Generator().manual_seed(0), 1).x.shape
        torch.Size([1, 256, 2])
        >>> round(float(ring.density(ring.modes[:1])), 1)  # peak height 1/(M·2πσ²)
        8.0
    """

    def __init__(self, n_modes: int = 8, radius: float = 2.0, std: float = 0.05, batch_size: int = 256):
        self.n_modes = check_int("n_modes", n_modes, 1, 1000, "The ring has 8 modes in the usual toy.")
        self.radius = check_positive("radius", radius, "The ring's radius, 2 in the usual toy.")
        self.std = check_positive("std", std, "Each mode's standard deviation, e.g. 0.05.")
        self.batch_size = check_int("batch_size", batch_size, 1, 1_000_000, "Points per step, e.g. 256.")
        angles = 2 * math.pi * torch.arange(self.n_modes, dtype=torch.float64) / self.n_modes
        self.modes = (self.radius * torch.stack([angles.cos(), angles.sin()], 1)).float()

    def sample_points(self, generator: torch.Generator, n: int) -> Tensor:
        """``n`` points ``[n, 2]`` from p_data."""
        check_int("n", n, 1, fix="Ask for at least one point.")
        component = torch.randint(self.n_modes, (n,), generator=generator)
        return self.modes[component] + self.std * torch.randn(n, 2, generator=generator)

    def sample(self, generator: torch.Generator, n_tasks: int) -> Samples:
        """The training loop's sampler: ``Samples(x [n_tasks, batch_size, 2])``."""
        check_int("n_tasks", n_tasks, 1, fix="Ask for at least one task.")
        return Samples(self.sample_points(generator, n_tasks * self.batch_size).view(n_tasks, self.batch_size, 2))

    def log_prob(self, x: Tensor) -> Tensor:
        """log p_data(x) for ``x [..., 2]`` (exact, by log-sum-exp over the components)."""
        d2 = (x.unsqueeze(-2) - self.modes.to(x)).pow(2).sum(-1)         # [..., M]
        log_comp = -d2 / (2 * self.std ** 2) - math.log(2 * math.pi * self.std ** 2)
        return torch.logsumexp(log_comp, -1) - math.log(self.n_modes)

    def density(self, x: Tensor) -> Tensor:
        """p_data(x)."""
        return self.log_prob(x).exp()

    def __repr__(self) -> str:
        return f"RingMixture(n_modes={self.n_modes}, radius={self.radius}, std={self.std})"


class ModeReport(NamedTuple):
    """How well a sample set covers the ring (Metz et al. 2017, Table 1)."""

    modes_covered: int          # modes with at least min_share of their expected high-quality count
    high_quality: float         # share of samples within n_std·σ of their nearest mode
    counts: Tensor              # [M] high-quality samples per mode
    nearest: Tensor             # [n] nearest mode of each sample


def mode_report(samples: Tensor, ring: RingMixture, n_std: float = 3.0, min_share: float = 0.2) -> ModeReport:
    """Modes covered and share of high-quality samples.

    A sample is high quality when ‖x − μ_nearest‖ ≤ ``n_std``·σ. Mode m counts as covered when its
    high-quality count reaches ``min_share`` × n/M (a fifth of what a perfect generator puts there),
    so a handful of stray points does not cover a mode.

    Example:
        >>> ring = RingMixture()
        >>> mode_report(ring.sample_points(torch.Generator().manual_seed(0), 2000), ring).modes_covered
        8
    """
    check_positive("n_std", n_std, "Radius of a mode's neighbourhood in standard deviations, usually 3.")
    check_range("min_share", min_share, 0.0, 1.0, "Fraction of a mode's expected share that counts as covered.")
    if samples.dim() != 2 or samples.shape[-1] != 2:
        raise ValueError(f"samples must be [n, 2] points on the plane, got shape {tuple(samples.shape)}; "
                         "flatten the task axis first (x.reshape(-1, 2)).")
    d = (samples.unsqueeze(1) - ring.modes.to(samples)).norm(dim=-1)      # [n, M]
    dist, nearest = d.min(1)
    good = dist <= n_std * ring.std
    counts = torch.bincount(nearest[good], minlength=ring.n_modes)
    needed = min_share * samples.shape[0] / ring.n_modes
    return ModeReport(int((counts >= needed).sum()), float(good.float().mean()), counts, nearest)


def ring_tasks(**task_args):
    """The task family ``"ring"``: ``RingMixture(**task_args).sample``."""
    return RingMixture(**task_args).sample


__all__ = ["ModeReport", "RingMixture", "Samples", "mode_report", "ring_tasks"]
