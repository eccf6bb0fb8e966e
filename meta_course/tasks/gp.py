"""Gaussian-process regression tasks and their exact posterior (the oracle a CNP is measured against).

A task is one function f drawn from a zero-mean GP with the squared-exponential kernel
    k(x, x') = σ_f² · exp(−‖x − x'‖² / (2ℓ²))                       (Rasmussen & Williams, Eq. 2.16)
observed with Gaussian noise, y = f(x) + ε, ε ~ N(0, σ_n²). Given context points (X, y), the
predictive distribution of a new observation y* at x* is Gaussian with (R&W Eq. 2.25-2.26,
computed as in Algorithm 2.1 with a Cholesky factor L of K + σ_n² I):
    μ*  = k*ᵀ (K + σ_n² I)⁻¹ y
    σ*² = k(x*, x*) − k*ᵀ (K + σ_n² I)⁻¹ k* + σ_n²      (the last term: y* is a noisy observation)
No model of the task family can have a lower expected negative log-likelihood than this one, so the
gap between a learner's NLL and the oracle's is what the learner still misses.

Defaults follow the 1-D curves of Garnelo et al. (2018)'s reference notebook (x ∈ [−2, 2], ℓ = 0.4,
σ_f = 1) with observation noise σ_n = 0.1.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import NamedTuple

import torch
from torch import Tensor

from ..core.checks import check_int, check_positive
from . import Episode


def _check_points(name: str, x: Tensor, min_points: int = 1) -> None:
    if x.dim() < 2:
        raise ValueError(f"{name} has shape {tuple(x.shape)}: expected [..., n_points, x_dim], "
                         "e.g. [n_points, 1]; add the feature dimension with x.unsqueeze(-1).")
    if x.shape[-2] < min_points:
        raise ValueError(f"{name} has {x.shape[-2]} points: allowed >= {min_points}. "
                         "Give at least one context point (with none, use the prior N(0, σ_f² + σ_n²)).")


def se_kernel(x1: Tensor, x2: Tensor, lengthscale: float = 0.4, variance: float = 1.0) -> Tensor:
    """Squared-exponential kernel k(x, x') = σ_f² exp(−‖x − x'‖² / (2ℓ²)) for every pair.

    Args:
        x1: ``[..., n, d]`` inputs.
        x2: ``[..., m, d]`` inputs.
        lengthscale: ℓ > 0, the distance over which f stays correlated.
        variance: σ_f² > 0, the prior variance of f(x).

    Returns:
        ``[..., n, m]`` kernel matrix.

    References:
        Rasmussen & Williams (2006), Gaussian Processes for Machine Learning, Eq. (2.16).

    Example:
        >>> se_kernel(torch.tensor([[0.0]]), torch.tensor([[0.0], [1.0]]), lengthscale=1.0)
        tensor([[1.0000, 0.6065]])
    """
    check_positive("lengthscale", lengthscale, "ℓ is a distance in x units, e.g. 0.4.")
    check_positive("variance", variance, "σ_f² is the prior variance of f, e.g. 1.0.")
    sq = (x1.unsqueeze(-2) - x2.unsqueeze(-3)).pow(2).sum(-1)
    return variance * torch.exp(-0.5 * sq / lengthscale ** 2)


class GPPosterior(NamedTuple):
    """Predictive distribution of noisy observations y* at target inputs: ``mean``, ``std`` ``[..., m, 1]``
    (the same fields, in the same order, as a CNP's prediction)."""

    mean: Tensor
    std: Tensor

    @property
    def var(self) -> Tensor:
        return self.std ** 2


def gp_posterior(x_context: Tensor, y_context: Tensor, x_target: Tensor, lengthscale: float = 0.4,
                 variance: float = 1.0, noise: float = 0.1) -> GPPosterior:
    """The exact GP predictive distribution of y* at ``x_target`` given the context (R&W Algorithm 2.1).

    Computed in float64 with a Cholesky factor (never an explicit inverse) and returned in the
    inputs' dtype.

    Args:
        x_context: ``[..., n, d]`` context inputs (n >= 1).
        y_context: ``[..., n, 1]`` their noisy observations.
        x_target: ``[..., m, d]`` inputs to predict at.
        lengthscale, variance: the kernel's ℓ and σ_f² (:func:`se_kernel`).
        noise: σ_n, the standard deviation of the observation noise (> 0).

    Returns:
        :class:`GPPosterior` with mean μ* and standard deviation σ* (σ*² includes σ_n²), each ``[..., m, 1]``.

    References:
        Rasmussen & Williams (2006), Eq. (2.25)-(2.26) and Algorithm 2.1.

    Example:
        >>> post = gp_posterior(torch.zeros(1, 1), torch.ones(1, 1), torch.zeros(1, 1), noise=1.0)
        >>> round(post.mean.item(), 3), round(post.var.item(), 3)  # 1/(1+1), 1 − 1/2 + 1
        (0.5, 1.5)
    """
    _check_points("x_context", x_context)
    _check_points("x_target", x_target)
    if y_context.shape[:-1] != x_context.shape[:-1] or y_context.shape[-1] != 1:
        raise ValueError(f"y_context has shape {tuple(y_context.shape)} but x_context {tuple(x_context.shape)}: "
                         "expected one scalar target per context point, shape [..., n, 1].")
    check_positive("noise", noise, "σ_n is the observation noise's standard deviation, e.g. 0.1.")
    dtype = x_target.dtype
    xc, yc, xt = x_context.double(), y_context.double(), x_target.double()
    k_cc = se_kernel(xc, xc, lengthscale, variance)
    k_cc = k_cc + noise ** 2 * torch.eye(k_cc.shape[-1], dtype=k_cc.dtype)
    k_ct = se_kernel(xc, xt, lengthscale, variance)                           # [..., n, m]
    chol = torch.linalg.cholesky(k_cc)
    alpha = torch.cholesky_solve(yc, chol)                                    # (K + σ_n² I)⁻¹ y
    mean = k_ct.transpose(-1, -2) @ alpha
    v = torch.linalg.solve_triangular(chol, k_ct, upper=False)               # L⁻¹ k*
    var = variance - v.pow(2).sum(-2).unsqueeze(-1) + noise ** 2
    return GPPosterior(mean.to(dtype), var.clamp_min(noise ** 2).sqrt().to(dtype))


@dataclass(frozen=True)
class GPTasks:
    """The distribution over tasks: functions from GP(0, k_SE) observed with Gaussian noise.

    Args:
        lengthscale: ℓ of the squared-exponential kernel.
        variance: σ_f² of the kernel.
        noise: σ_n, standard deviation of the observation noise.
        x_range: (low, high) of the uniform input distribution.

    References:
        Garnelo et al. (2018), "Conditional Neural Processes", ICML, Section 4.1 (1-D regression on
        GP samples); Rasmussen & Williams (2006), Section 2.2.

    Example:
        >>> ep = GPTasks().sample(torch.Generator().manual_seed(0), n_tasks=4, k_shot=5, n_query=20)
        >>> tuple(ep.x_support.shape), tuple(ep.y_query.shape)
        ((4, 5, 1), (4, 20, 1))
    """

    lengthscale: float = 0.4
    variance: float = 1.0
    noise: float = 0.1
    x_range: tuple[float, float] = (-2.0, 2.0)

    def __post_init__(self):
        check_positive("lengthscale", self.lengthscale, "ℓ is a distance in x units, e.g. 0.4.")
        check_positive("variance", self.variance, "σ_f² is the prior variance of f, e.g. 1.0.")
        check_positive("noise", self.noise, "σ_n is the observation noise, e.g. 0.1.")
        low, high = self.x_range
        if not low < high:
            raise ValueError(f"x_range=({low}, {high}) must satisfy low < high, e.g. (-2.0, 2.0).")

    @property
    def kernel(self) -> dict:
        """The keyword arguments of :func:`gp_posterior` for this family."""
        return dict(lengthscale=self.lengthscale, variance=self.variance, noise=self.noise)

    def sample_x(self, g: torch.Generator, n_tasks: int, n: int) -> Tensor:
        low, high = self.x_range
        return low + (high - low) * torch.rand((n_tasks, n, 1), generator=g)

    def sample_f(self, g: torch.Generator, x: Tensor, jitter: float = 1e-8) -> Tensor:
        """One function per task at ``x`` ``[T, n, 1]``: f = L z with L Lᵀ = K (+ a tiny jitter for Cholesky)."""
        k = se_kernel(x.double(), x.double(), self.lengthscale, self.variance)
        k = k + jitter * torch.eye(x.shape[-2], dtype=k.dtype)
        z = torch.randn(x.shape, generator=g, dtype=torch.float64)
        return (torch.linalg.cholesky(k) @ z).to(x.dtype)

    def observe(self, g: torch.Generator, f: Tensor) -> Tensor:
        """Noisy observations y = f + ε, ε ~ N(0, σ_n²)."""
        return f + self.noise * torch.randn(f.shape, generator=g, dtype=f.dtype)

    def sample_y(self, g: torch.Generator, x: Tensor) -> Tensor:
        """Noisy observations of one GP draw per task at ``x``: covariance K + σ_n² I."""
        return self.observe(g, self.sample_f(g, x))

    def sample(self, g: torch.Generator, n_tasks: int, k_shot: int, n_query: int = 50) -> Episode:
        """``n_tasks`` tasks, each with ``k_shot`` context (support) and ``n_query`` target points."""
        check_int("n_tasks", n_tasks, 1, fix="Ask for at least one task.")
        check_int("k_shot", k_shot, 1, 10_000, "K is the number of context points per task; try 3, 5 or 10.")
        check_int("n_query", n_query, 1, 10_000, "Use at least one target point per task.")
        x = self.sample_x(g, n_tasks, k_shot + n_query)
        y = self.sample_y(g, x)
        return Episode(x[:, :k_shot], y[:, :k_shot], x[:, k_shot:], y[:, k_shot:])

    def posterior(self, x_context: Tensor, y_context: Tensor, x_target: Tensor) -> GPPosterior:
        """The oracle: the exact predictive distribution under this family's own kernel and noise."""
        return gp_posterior(x_context, y_context, x_target, **self.kernel)



def gp_tasks(k_shot: int, n_query: int = 50, **kernel):
    """Task family ``"gp"``: ``sample(generator, n_tasks) -> Episode`` with K = ``k_shot`` context points.

    ``kernel`` holds :class:`GPTasks`' settings (lengthscale, variance, noise, x_range).
    """
    return functools.partial(GPTasks(**kernel).sample, k_shot=k_shot, n_query=n_query)
