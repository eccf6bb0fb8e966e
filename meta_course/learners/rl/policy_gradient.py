"""The score-function (REINFORCE) policy gradient: the inner step of MAML-RL.

For trajectories τ drawn from π_θ, the gradient of the expected return J(θ) = E_τ[R(τ)] is

    ∇J(θ) = E_τ[ Σ_t ∇ log π_θ(a_t | s_t) · (Ĝ_t − b(s_t)) ]                        (1)

where Ĝ_t = Σ_{t'≥t} γ^{t'−t} r_{t'} is the reward-to-go (earlier rewards do not depend on a_t) and
b any baseline that does not depend on a_t (it changes the variance, not the mean). The dynamics
drop out of ∇ log p(τ), so the estimator needs no model of the environment. In code, (1) is the
gradient of the *surrogate loss* :func:`surrogate_loss`, ``−mean(log π(a|s) · Â)`` with the
advantages Â held constant.

References:
    Williams (1992), "Simple statistical gradient-following algorithms ...", REINFORCE (Eq. 11);
    Sutton, McAllester, Singh & Mansour (2000), policy gradient theorem;
    Duan, Chen, Houthooft, Schulman & Abbeel (2016), "Benchmarking Deep RL ...", the linear feature
    baseline (features of §B: observation, its square, time, time², time³, 1) used by MAML-RL.
"""

from __future__ import annotations

import torch
from torch import Tensor

from .returns import discounted_returns


def reward_to_go(rewards: Tensor, gamma: float = 1.0, mask: Tensor | None = None) -> Tensor:
    """Ĝ_t = Σ_{t' ≥ t} γ^{t'−t} r_{t'} along the last dimension of ``rewards [..., H]``.

    Steps where ``mask`` is 0 (after the episode ended) count 0. The recursion is
    :func:`~meta_course.learners.rl.returns.discounted_returns`, applied to every trajectory.

    Example:
        >>> reward_to_go(torch.tensor([1.0, 2.0, 3.0]), gamma=0.5).tolist()
        [2.75, 3.5, 3.0]
    """
    if mask is not None:
        rewards = rewards * mask
    flat = rewards.reshape(-1, rewards.shape[-1])
    return discounted_returns(flat, gamma).view(rewards.shape)


def baseline_features(obs: Tensor) -> Tensor:
    """Duan et al. (2016)'s linear-baseline features of ``obs [..., H, d]``: ``[..., H, 2d + 4]``.

    ``[o, o², t/100, (t/100)², (t/100)³, 1]`` with ``o`` clipped to [−10, 10] and ``t`` the step.
    """
    o = obs.clamp(-10, 10)
    t = torch.arange(obs.shape[-2], dtype=obs.dtype, device=obs.device) / 100
    t = t.view(*([1] * (obs.ndim - 2)), -1, 1).expand(*obs.shape[:-1], 1)
    return torch.cat([o, o * o, t, t * t, t ** 3, torch.ones_like(t)], dim=-1)


def linear_baseline(obs: Tensor, returns: Tensor, mask: Tensor | None = None, reg: float = 1e-5) -> Tensor:
    """Fit b(s_t) = w·φ(s_t, t) to the returns by ridge least squares, one w per leading index.

    Args:
        obs: ``[..., N, H, d]`` observations of N trajectories of one task (leading dims: tasks).
        returns: ``[..., N, H]`` the reward-to-go to regress.
        mask: ``[..., N, H]`` valid steps (default all).
        reg: ridge coefficient, increased ×10 until the normal equations are solvable.

    Returns:
        ``[..., N, H]`` the fitted baseline (no gradient: it is a constant of the surrogate).

    Example:
        >>> obs = torch.randn(4, 5, 2); ret = obs[..., 0] * 3 + 1
        >>> bool(torch.allclose(linear_baseline(obs, ret), ret, atol=1e-3))
        True
    """
    obs, returns = obs.detach(), returns.detach()
    mask = torch.ones_like(returns) if mask is None else mask.to(returns.dtype)
    phi = baseline_features(obs) * mask.unsqueeze(-1)  # masked steps do not enter the fit
    phi_flat = phi.flatten(-3, -2)  # [..., N*H, F]
    y = (returns * mask).flatten(-2, -1).unsqueeze(-1)  # [..., N*H, 1]
    gram = phi_flat.transpose(-1, -2) @ phi_flat
    rhs = phi_flat.transpose(-1, -2) @ y
    eye = torch.eye(gram.shape[-1], dtype=gram.dtype, device=gram.device)
    for _ in range(5):
        w, info = torch.linalg.solve_ex(gram + reg * eye, rhs)
        if not bool(info.any()) and bool(torch.isfinite(w).all()):
            break
        reg *= 10
    return (baseline_features(obs) @ w.unsqueeze(-3)).squeeze(-1) * mask


def advantages(rewards: Tensor, obs: Tensor, mask: Tensor | None = None, gamma: float = 1.0,
               normalize: bool = True) -> Tensor:
    """Â_t = Ĝ_t − b(s_t) with the linear baseline, optionally standardised per task.

    Standardising (zero mean, unit variance over the task's steps) rescales the gradient of each
    task by a positive constant — it keeps the inner step size meaningful across tasks whose
    returns differ in scale, as the reference implementations of MAML-RL do (rllab's ``center_adv``).

    Args:
        rewards, mask: ``[..., N, H]``; obs: ``[..., N, H, d]``.
    """
    mask = torch.ones_like(rewards) if mask is None else mask.to(rewards.dtype)
    ret = reward_to_go(rewards, gamma, mask)
    adv = (ret - linear_baseline(obs, ret, mask)) * mask
    if normalize:
        n = mask.sum(dim=(-2, -1), keepdim=True).clamp_min(1)
        mean = adv.sum(dim=(-2, -1), keepdim=True) / n
        var = (((adv - mean) * mask) ** 2).sum(dim=(-2, -1), keepdim=True) / n
        adv = (adv - mean) / (var.sqrt() + 1e-8) * mask
    return adv.detach()


def surrogate_loss(log_prob: Tensor, adv: Tensor, mask: Tensor | None = None) -> Tensor:
    """−(1/#steps) Σ_{n,t} log π(a_t|s_t) · Â_t: its gradient is the estimate (1) of −∇J (per step).

    Args:
        log_prob: ``[..., N, H]`` log-probabilities of the actions taken, differentiable in θ.
        adv: ``[..., N, H]`` advantages (treated as constants).
        mask: valid steps.

    Returns:
        A scalar per leading index (``[...]``).
    """
    mask = torch.ones_like(adv) if mask is None else mask.to(adv.dtype)
    return -(log_prob * adv.detach() * mask).sum(dim=(-2, -1)) / mask.sum(dim=(-2, -1)).clamp_min(1)


__all__ = ["advantages", "baseline_features", "linear_baseline", "reward_to_go", "surrogate_loss"]
