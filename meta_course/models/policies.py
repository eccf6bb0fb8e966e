"""Policies and value networks of the reinforcement-learning family.

- :class:`GaussianMLPPolicy`: a ReLU MLP giving the mean of a diagonal Gaussian over actions, with a
  state-independent learned log-std — MAML-RL's policy (Finn et al. 2017, §5.3: two hidden layers
  of 100 ReLU units). Actions are sampled in normalised units ``u`` and scaled by ``action_scale``
  (the environment's action bound), as rllab's ``normalize`` wrapper does.
- :class:`TanhGaussianPolicy` and :class:`QNetwork`: soft actor-critic's actor (a Gaussian squashed
  by ``tanh``) and critic, the networks PEARL conditions on its latent task variable ``z``.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from .mlp import MLP

LOG_2PI = math.log(2 * math.pi)


def gaussian_log_prob(mean: Tensor, log_std: Tensor, value: Tensor) -> Tensor:
    """log N(value; mean, diag(exp(log_std)²)) summed over the last dimension.

    Example:
        >>> round(gaussian_log_prob(torch.zeros(1), torch.zeros(1), torch.zeros(1)).item(), 4)  # −½ log 2π
        -0.9189
    """
    z = (value - mean) * torch.exp(-log_std)
    return (-0.5 * z * z - log_std - 0.5 * LOG_2PI).sum(-1)


class GaussianMLPPolicy(nn.Module):
    """π_θ(u | s) = N(u; μ_θ(s), diag(σ²)) with a learned, state-independent σ = exp(log_std).

    Args:
        obs_dim, act_dim: sizes of an observation and an action.
        hidden: widths of the hidden ReLU layers.
        init_std: σ at initialisation (in normalised action units).
        action_scale: the environment receives ``action_scale · u``.

    ``forward(obs)`` returns ``(mean, log_std)`` (``log_std`` broadcast to the batch), so the policy
    can be evaluated with any parameter dict through :func:`torch.func.functional_call` — the way
    MAML-RL evaluates its adapted parameters.

    Example:
        >>> pi = GaussianMLPPolicy(2, 2, hidden=(8,))
        >>> mean, log_std = pi(torch.zeros(5, 2))
        >>> mean.shape, log_std.shape
        (torch.Size([5, 2]), torch.Size([5, 2]))
    """

    def __init__(self, obs_dim: int, act_dim: int, hidden=(100, 100), init_std: float = 1.0,
                 action_scale: float = 1.0):
        super().__init__()
        if init_std <= 0 or action_scale <= 0:
            raise ValueError(f"init_std={init_std} and action_scale={action_scale} must be > 0.")
        self.mean_net = MLP((obs_dim, *hidden, act_dim))
        self.log_std = nn.Parameter(torch.full((act_dim,), math.log(init_std)))
        self.action_scale = float(action_scale)

    def forward(self, obs: Tensor) -> tuple[Tensor, Tensor]:
        mean = self.mean_net(obs)
        return mean, self.log_std.expand_as(mean)


class TanhGaussianPolicy(nn.Module):
    """SAC's actor: ``a = tanh(u)``, ``u ~ N(μ(x), σ(x)²)``, both from one MLP on ``x = [s, z]``.

    Args:
        in_dim: observation size plus latent size.
        act_dim: action size (actions lie in (−1, 1); the learner scales them to the environment).
        hidden: widths of the hidden layers.

    References:
        Haarnoja, Zhou, Abbeel & Levine (2018), "Soft Actor-Critic", Appendix C (the tanh
        change of variables: log π(a|s) = log N(u) − Σ log(1 − tanh(u)²)).

    Example:
        >>> actor = TanhGaussianPolicy(3, 2, hidden=(8,))
        >>> a, logp = actor.sample(torch.zeros(4, 3))
        >>> a.shape, logp.shape, bool((a.abs() < 1).all())
        (torch.Size([4, 2]), torch.Size([4]), True)
    """

    LOG_STD_MIN, LOG_STD_MAX = -20.0, 2.0

    def __init__(self, in_dim: int, act_dim: int, hidden=(64, 64)):
        super().__init__()
        self.net = MLP((in_dim, *hidden, 2 * act_dim))
        self.act_dim = act_dim

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        mean, log_std = self.net(x).chunk(2, dim=-1)
        return mean, log_std.clamp(self.LOG_STD_MIN, self.LOG_STD_MAX)

    def sample(self, x: Tensor, deterministic: bool = False,
               generator: torch.Generator | None = None) -> tuple[Tensor, Tensor]:
        """A reparameterised action ``a`` (differentiable in the weights) and its log-probability."""
        mean, log_std = self(x)
        if deterministic:
            u = mean
        else:
            noise = torch.randn(mean.shape, generator=generator, device=mean.device, dtype=mean.dtype)
            u = mean + noise * log_std.exp()
        # log(1 − tanh(u)²) = 2 (log 2 − u − softplus(−2u)), the numerically stable form
        correction = 2 * (math.log(2) - u - nn.functional.softplus(-2 * u))
        logp = gaussian_log_prob(mean, log_std, u) - correction.sum(-1)
        return torch.tanh(u), logp


class QNetwork(nn.Module):
    """Q(s, a, z): an MLP on the concatenation of its inputs, one scalar per row.

    Example:
        >>> QNetwork(5, hidden=(8,))(torch.zeros(3, 2), torch.zeros(3, 2), torch.zeros(3, 1)).shape
        torch.Size([3])
    """

    def __init__(self, in_dim: int, hidden=(64, 64)):
        super().__init__()
        self.net = MLP((in_dim, *hidden, 1))

    def forward(self, *parts: Tensor) -> Tensor:
        return self.net(torch.cat(parts, dim=-1)).squeeze(-1)


__all__ = ["GaussianMLPPolicy", "QNetwork", "TanhGaussianPolicy", "gaussian_log_prob"]
