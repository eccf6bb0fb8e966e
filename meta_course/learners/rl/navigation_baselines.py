"""Exact posterior sampling on the sparse point robot: the explorer PEARL approximates, with a perfect posterior.

On the sparse half-circle task (Rakelly et al. 2019 §6.3; :class:`PointNavigation` ``.sparse()``) the
goal is the only unknown and an unrewarded step at position p says exactly one thing: the goal is
farther than the goal radius ρ from p. With a uniform prior on a grid of G goals on the arc, the exact
posterior after positions p_1..p_t without reward is uniform on the grid goals still consistent,

    P(g | no reward at p_1..p_t) ∝ 1[‖p_s − g‖ > ρ for every s ≤ t]                              (1)

Posterior sampling (Thompson 1933; Strens 2000; PEARL's Alg. 2) draws a goal ĝ from (1) and acts as if
it were the true one: a step of the largest allowed size towards it, a = clip(ĝ − p, ±max_action), the
time-optimal policy when the goal is known — what PEARL's z-conditioned actor learns to do. When ĝ is
drawn decides how much of the arc three episodes can search:

- ``resample_every = 0``: once per episode (the paper's choice);
- ``resample_every = m``: also every m steps within an episode, from (1) given the episode so far;
- ``lazy = True``: keep ĝ until it is ruled out by (1) (the agent passes within ρ of it), then draw again.

``evidence = False`` draws ĝ from the prior instead (the uniform grid, unrewarded steps ignored): what the same
rules find without learning anything from the steps that earned nothing.

No learning is involved: this is an upper bound for an agent whose exploration is posterior sampling with
goal-seeking hypotheses, and a lower bound for nothing.

References:
    Rakelly et al. (2019), "Efficient Off-Policy Meta-RL via Probabilistic Context Variables", §4.3 (posterior
    sampling), §6.3 (sparse point robot). Strens (2000), "A Bayesian framework for reinforcement learning".
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from ...core.checks import check_int
from ...tasks.envs.navigation import GoalTasks, PointNavigation


def arc_grid(n: int, radius: float = 1.0) -> Tensor:
    """``n`` goals evenly spaced on the upper half circle of ``radius``, ``[n, 2]`` (angles 0..π)."""
    check_int("n", n, 2, fix="At least two grid goals (721 = every 0.25°).")
    phi = torch.linspace(0, math.pi, n)
    return radius * torch.stack([phi.cos(), phi.sin()], 1)


@torch.no_grad()
def exact_posterior_sampling(goals: Tensor, n_episodes: int = 3, resample_every: int = 0, lazy: bool = False,
                             grid: int = 721, generator: torch.Generator | None = None,
                             env: dict | None = None, evidence: bool = True) -> Tensor:
    """Which goals posterior sampling with the exact posterior (1) has found, episode by episode.

    Args:
        goals: ``[T, 2]`` the true goals (on the half circle).
        n_episodes: exploration episodes, each from the origin.
        resample_every: draw ĝ every this many steps within an episode as well (0: once per episode).
        lazy: redraw ĝ as soon as it is ruled out (with ``resample_every = 0``).
        grid: prior support, ``grid`` goals evenly spaced on the arc.
        generator: the draws' randomness.
        env: :class:`PointNavigation` arguments (default: PEARL's sparse point robot).
        evidence: draw from the posterior (1) (True) or from the prior, ignoring unrewarded steps (False).

    Returns:
        ``found [n_episodes, T]`` (bool): the goal region was entered in some episode ≤ k.

    Example:
        >>> goals = arc_grid(5)
        >>> found = exact_posterior_sampling(goals, 3, generator=torch.Generator().manual_seed(0))
        >>> found.shape, bool((found[1:] >= found[:-1]).all())
        (torch.Size([3, 5]), True)
    """
    check_int("n_episodes", n_episodes, 1, fix="Explore for at least one episode.")
    check_int("resample_every", resample_every, 0, fix="Steps between posterior samples; 0 = once per episode.")
    if lazy and resample_every:
        raise ValueError(f"lazy=True with resample_every={resample_every}: choose one rule (lazy redraws only when "
                         "the hypothesis is ruled out; resample_every redraws on a clock).")
    cfg = dict(PointNavigation.sparse().config, **(env or {}))
    sim = PointNavigation(**{**cfg, "num_envs": len(goals)})
    support = arc_grid(grid, float(goals.norm(dim=1).max()))
    consistent = torch.ones(len(goals), grid, dtype=torch.bool)
    support_sq = (support * support).sum(1)
    found = torch.zeros(len(goals), dtype=torch.bool)
    out = []

    def draw(rows: Tensor | None = None) -> Tensor:
        # uniform on the consistent grid goals (Eq. 1) of ``rows`` (all tasks when None); a tiny floor keeps rows
        # valid once everything is ruled out
        weights = consistent[rows] if rows is not None else consistent
        weights = weights.float() + 1e-12 if evidence else torch.ones_like(weights, dtype=torch.float)
        return torch.multinomial(weights, 1, generator=generator)[:, 0]

    for _ in range(n_episodes):
        position, _ = sim.reset(options={"task": GoalTasks(goal=goals)})
        hypothesis = draw()
        for t in range(sim.horizon):
            if t > 0 and resample_every and t % resample_every == 0:
                hypothesis = draw()
            elif lazy:
                # with evidence=False nothing is "ruled out" for the draws, but a visited hypothesis is still redrawn
                ruled_out = ~consistent.gather(1, hypothesis.unsqueeze(1))[:, 0]
                if bool(ruled_out.any()):
                    hypothesis = hypothesis.clone()
                    hypothesis[ruled_out] = draw(ruled_out)
            target = support[hypothesis]
            position, reward, _, _, info = sim.step((target - position).clamp(-sim.max_action, sim.max_action))
            found |= info["success"]
            # ‖p − g‖² = ‖p‖² + ‖g‖² − 2 p·g for every grid goal at once (one matrix product); a goal within rounding
            # of the radius stays consistent, so the true goal is never ruled out by a step the reward missed
            sq = (position * position).sum(1, keepdim=True) + support_sq - 2 * position @ support.T
            consistent &= sq > sim.goal_radius ** 2 - 1e-5
        out.append(found.clone())
    return torch.stack(out)


__all__ = ["arc_grid", "exact_posterior_sampling"]
