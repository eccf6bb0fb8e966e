"""Self-checking exercises of lesson 12 (MAML-RL and PEARL on navigation).

Importing this module registers them with :func:`meta_course.lessons.exercises.check`; the expected
answers are computed by the package, never typed in.
"""

from __future__ import annotations

import math

import torch

from .exercises import check, exercise

__all__ = ["check"]


@exercise("navigation.reward_to_go", "Go backwards: G_{H-1} = r_{H-1}, then G_t = r_t + γ G_{t+1}.")
def _reward_to_go(fn) -> bool:
    """``fn(rewards [N, H], gamma) -> [N, H]`` the discounted reward-to-go of every step."""
    from ..learners.rl.policy_gradient import reward_to_go

    r = torch.randn(4, 7, generator=torch.Generator().manual_seed(5))
    for gamma in (1.0, 0.9, 0.0):
        got = fn(r.clone(), gamma)
        if not isinstance(got, torch.Tensor) or not torch.allclose(got, reward_to_go(r, gamma), atol=1e-5):
            return False
    return True


@exercise("navigation.product_of_gaussians", "Precisions add: σ² = 1 / Σ 1/σ_i²; the mean is the "
          "precision-weighted average μ = σ² Σ μ_i/σ_i² (sum over dim −2).")
def _product(fn) -> bool:
    """``fn(mu [T, N, d], var [T, N, d]) -> (mu [T, d], var [T, d])`` PEARL's posterior (Eq. 1)."""
    from ..learners.rl.pearl import product_of_gaussians

    g = torch.Generator().manual_seed(6)
    mu, var = torch.randn(3, 5, 2, generator=g), torch.rand(3, 5, 2, generator=g) + 0.2
    got = fn(mu.clone(), var.clone())
    want = product_of_gaussians(mu, var)
    return (isinstance(got, (tuple, list)) and len(got) == 2
            and all(torch.allclose(torch.as_tensor(a).float(), b, atol=1e-5) for a, b in zip(got, want)))


@exercise("navigation.coverage", "A straight path from the origin to the unit circle passes within 0.2 of "
          "the goals whose direction differs by at most asin(0.2); the arc of goals is π long.")
def _coverage(answer) -> bool:
    """Share of the half circle's goals one straight episode can find: 2·asin(0.2)/π ≈ 0.128."""
    return abs(float(answer) - 2 * math.asin(0.2) / math.pi) < 5e-3
