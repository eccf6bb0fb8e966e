"""Self-checking exercises of lesson 10 (conditional neural processes).

Importing this module registers them with :func:`meta_course.lessons.exercises.check`; the expected answers
are computed by the package, never typed in.
"""

from __future__ import annotations

import torch

from .exercises import check, exercise

__all__ = ["check", "duplicate_context_problem"]


@exercise("np.gaussian_nll", "−log N(y; μ, σ²) = ½ log(2π) + log σ + (y − μ)² / (2σ²), elementwise.")
def _gaussian_nll(fn) -> bool:
    """``fn(y, mean, std) -> elementwise NLL`` must match ``torch.distributions.Normal`` on random values."""
    g = torch.Generator().manual_seed(10)
    y, mean = torch.randn(4, 7, 1, generator=g), torch.randn(4, 7, 1, generator=g)
    std = 0.05 + 2 * torch.rand(4, 7, 1, generator=g)
    got = fn(y, mean, std)
    want = -torch.distributions.Normal(mean, std).log_prob(y)
    return isinstance(got, torch.Tensor) and got.shape == want.shape and torch.allclose(got, want, atol=1e-5)


@exercise("np.posterior_variance",
          "One observation at x*: σ*² = σ_f² − σ_f⁴ / (σ_f² + σ_n²) + σ_n² (the kernel at distance 0 is σ_f²).")
def _posterior_variance(answer) -> bool:
    """Predictive variance of y* at the observed input, σ_f² = 1, σ_n = 0.1 (tolerance 1e-3)."""
    from ..tasks.gp import gp_posterior

    want = gp_posterior(torch.zeros(1, 1), torch.ones(1, 1), torch.zeros(1, 1), lengthscale=0.4, variance=1.0,
                        noise=0.1).var.item()
    return abs(float(answer) - want) < 1e-3


def duplicate_context_problem():
    """A small seeded CNP and a 4-point context: the exercise asks for a 12-point context it cannot tell apart."""
    from ..learners.memory.cnp import ConditionalNeuralProcess

    torch.manual_seed(0)
    cnp = ConditionalNeuralProcess(hidden=32, r_dim=16)
    g = torch.Generator().manual_seed(11)
    x = 4 * torch.rand(4, 1, generator=g) - 2
    return cnp, x, torch.sin(3 * x)


@exercise("np.same_prediction",
          "The mean of r_1..r_n does not change when every point appears the same number of times.")
def _same_prediction(fn) -> bool:
    """``fn(x_context, y_context) -> (x12, y12)``: 12 points with exactly the CNP prediction of the 4 given ones."""
    cnp, x, y = duplicate_context_problem()
    x12, y12 = fn(x, y)
    if not (isinstance(x12, torch.Tensor) and x12.shape == (12, 1) and y12.shape == (12, 1)):
        return False
    grid = torch.linspace(-2, 2, 50).unsqueeze(1)
    with torch.no_grad():
        a, b = cnp(x, y, grid), cnp(x12, y12, grid)
    return torch.allclose(a.mean, b.mean, atol=1e-5) and torch.allclose(a.std, b.std, atol=1e-5)
