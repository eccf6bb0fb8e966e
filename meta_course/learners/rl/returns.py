"""Returns and advantages: the targets of every policy-gradient learner of the course.

Discounted return (reward-to-go), for a trajectory of rewards r_0 … r_{T−1}:

    R_t = r_t + γ (1 − d_t) R_{t+1},          R_T = bootstrap (V of the state after the last step, or 0)

Generalised advantage estimation (Schulman et al. 2016, Eq. 11–16), with the TD residual
δ_t = r_t + γ (1 − d_t) V_{t+1} − V_t:

    Â_t = δ_t + γ λ (1 − d_t) Â_{t+1}  =  Σ_l (γλ)^l δ_{t+l}    (within an episode)

λ = 0 gives the one-step TD advantage δ_t (low variance, biased by V); λ = 1 gives R_t − V_t
(unbiased, high variance). ``d_t = 1`` marks a step after which the return does not continue
(a terminal state). RL² passes no ``dones`` inside a trial: its return runs across the episodes of
the trial (Duan et al. 2016, §2.2), which is what makes exploring early pay off later.

Example:
    >>> discounted_returns(torch.tensor([[1., 0., 2.]]), gamma=0.5)
    tensor([[1.5000, 1.0000, 2.0000]])
"""

from __future__ import annotations

import torch
from torch import Tensor

from ...core.checks import check_range


def _check(rewards: Tensor, gamma: float, dones: Tensor | None, bootstrap: Tensor | None):
    if rewards.ndim != 2:
        raise ValueError(f"rewards has shape {tuple(rewards.shape)}: expected (batch, time).")
    check_range("gamma", gamma, 0.0, 1.0, "γ is a discount factor in [0, 1].")
    dones = torch.zeros_like(rewards) if dones is None else dones.to(rewards.dtype)
    if dones.shape != rewards.shape:
        raise ValueError(f"dones has shape {tuple(dones.shape)}: expected the rewards' {tuple(rewards.shape)}.")
    bootstrap = torch.zeros_like(rewards[:, 0]) if bootstrap is None else bootstrap.to(rewards.dtype)
    return dones, bootstrap


def discounted_returns(rewards: Tensor, gamma: float, dones: Tensor | None = None,
                       bootstrap: Tensor | None = None) -> Tensor:
    """R_t = r_t + γ(1 − d_t) R_{t+1}, ``[B, T]`` → ``[B, T]`` (R_T = ``bootstrap``, default 0)."""
    dones, running = _check(rewards, gamma, dones, bootstrap)
    out = torch.empty_like(rewards)
    for t in range(rewards.shape[1] - 1, -1, -1):
        running = rewards[:, t] + gamma * (1 - dones[:, t]) * running
        out[:, t] = running
    return out


def gae(rewards: Tensor, values: Tensor, gamma: float, lam: float, dones: Tensor | None = None,
        bootstrap: Tensor | None = None) -> Tensor:
    """Generalised advantage estimates Â_t (Schulman et al. 2016, Eq. 16), ``[B, T]``.

    Args:
        rewards: r_t, ``[B, T]``.
        values: V(s_t) from the critic, ``[B, T]`` (detached by the caller).
        gamma: discount γ.
        lam: λ ∈ [0, 1].
        dones: d_t, 1 where the episode ended at step t (no bootstrapping across it).
        bootstrap: V(s_T) after the last step (0 if the trajectory ended; default 0).

    Returns:
        Â ``[B, T]``; the critic's target is Â + V (the λ-return).

    References:
        Schulman, Moritz, Levine, Jordan & Abbeel (2016), "High-Dimensional Continuous Control Using
        Generalized Advantage Estimation", ICLR — Eq. (11)–(16).
    """
    dones, next_value = _check(rewards, gamma, dones, bootstrap)
    check_range("lam", lam, 0.0, 1.0, "λ of GAE is in [0, 1].")
    if values.shape != rewards.shape:
        raise ValueError(f"values has shape {tuple(values.shape)}: expected the rewards' {tuple(rewards.shape)}.")
    out = torch.empty_like(rewards)
    running = torch.zeros_like(next_value)
    for t in range(rewards.shape[1] - 1, -1, -1):
        keep = 1 - dones[:, t]
        delta = rewards[:, t] + gamma * keep * next_value - values[:, t]
        running = delta + gamma * lam * keep * running
        out[:, t] = running
        next_value = values[:, t]
    return out


__all__ = ["discounted_returns", "gae"]
