"""Policies and value networks of the reinforcement-learning family.

- :class:`RecurrentPolicy`: RL²'s agent (below).
- :class:`GaussianMLPPolicy`: a ReLU MLP giving the mean of a diagonal Gaussian over actions, with a
  state-independent learned log-std — MAML-RL's policy (Finn et al. 2017, §5.3: two hidden layers
  of 100 ReLU units). Actions are sampled in normalised units ``u`` and scaled by ``action_scale``
  (the environment's action bound), as rllab's ``normalize`` wrapper does.
- :class:`TanhGaussianPolicy` and :class:`QNetwork`: soft actor-critic's actor (a Gaussian squashed
  by ``tanh``) and critic, the networks PEARL conditions on its latent task variable ``z``.

:class:`RecurrentPolicy` is RL²'s agent (Duan et al. 2016, §2.2 and Fig. 1): a GRU whose input at
step t is the current observation together with the previous action, the previous reward and the
previous termination flag,

    x_t = [ o_t,  onehot(a_{t−1}),  r_{t−1},  d_{t−1} ],     h_t = GRU(x_t, h_{t−1}),
    π(· | h_t) = softmax(W_π h_t + b_π),                       V(h_t) = w_V·h_t + b_V,

so that the hidden state h_t can summarise everything the agent has seen of the current task. The
hidden state is reset only between *trials*, never between the episodes of one trial: what a trial
teaches stays in h. Discrete action spaces give a categorical policy (bandits); Box action spaces a
diagonal Gaussian with a learned, state-independent log standard deviation.

The same weights run one step at a time while acting (:meth:`RecurrentPolicy.step`) and over whole
sequences when learning (:meth:`RecurrentPolicy.forward`, one fused ``nn.GRU`` call); both give the
same outputs for the same inputs (tested).
"""

from __future__ import annotations

import math

import gymnasium
import torch
from torch import Tensor, nn

from ..core.checks import check_int
from .mlp import MLP

LOG_2PI = math.log(2 * math.pi)


def _action_size(space: dict) -> tuple[int, bool]:
    if space["type"] == "discrete":
        return check_int("n_actions", space["n"], 2, fix="A discrete policy needs >= 2 actions."), True
    return check_int("action_dim", space["dim"], 1), False


def space_spec(space: gymnasium.spaces.Space) -> dict:
    """A JSON-able description of an action space (what a checkpoint stores)."""
    if isinstance(space, gymnasium.spaces.Discrete):
        return {"type": "discrete", "n": int(space.n)}
    if isinstance(space, gymnasium.spaces.Box) and len(space.shape) == 1:
        return {"type": "box", "dim": int(space.shape[0])}
    raise ValueError(f"action space {space} is not supported: use Discrete(n) or a 1-D Box.")


class RecurrentPolicy(nn.Module):
    """GRU actor-critic that sees (observation, previous action, previous reward, previous done).

    Args:
        obs_dim: length of the (flattened) observation.
        action_space: ``{"type": "discrete", "n": k}`` or ``{"type": "box", "dim": d}`` (see
            :func:`space_spec`).
        hidden_size: GRU units.
        init_log_std: initial log standard deviation of a Gaussian policy (Box actions only).

    References:
        Duan et al. (2016), "RL²: Fast Reinforcement Learning via Slow Reinforcement Learning", §2.2,
        Fig. 1 (inputs and persistent hidden state), §3 (GRU policy).
        Cho et al. (2014) for the GRU.

    Example:
        >>> pi = RecurrentPolicy(obs_dim=1, action_space={"type": "discrete", "n": 3}, hidden_size=8)
        >>> x = pi.rl2_input(torch.zeros(2, 1), torch.tensor([0, 2]), torch.ones(2), torch.zeros(2))
        >>> dist, value, h = pi.step(x, pi.initial_state(2))
        >>> dist.probs.shape, value.shape, h.shape
        (torch.Size([2, 3]), torch.Size([2]), torch.Size([2, 8]))
    """

    def __init__(self, obs_dim: int, action_space: dict, hidden_size: int = 64, init_log_std: float = -0.5):
        super().__init__()
        self.obs_dim = check_int("obs_dim", obs_dim, 1)
        self.hidden_size = check_int("hidden_size", hidden_size, 1)
        self.action_space = dict(action_space)
        self.action_size, self.discrete = _action_size(self.action_space)
        self.input_size = self.obs_dim + self.action_size + 2
        self.gru = nn.GRU(self.input_size, self.hidden_size, batch_first=True)
        self.pi = nn.Linear(self.hidden_size, self.action_size)
        self.v = nn.Linear(self.hidden_size, 1)
        nn.init.orthogonal_(self.pi.weight, gain=0.01)   # near-uniform initial policy
        nn.init.zeros_(self.pi.bias)
        if not self.discrete:
            self.log_std = nn.Parameter(torch.full((self.action_size,), float(init_log_std)))

    def initial_state(self, batch: int) -> Tensor:
        """h_0 = 0, ``[batch, hidden_size]`` — the start of every trial."""
        return torch.zeros(batch, self.hidden_size, device=self.pi.weight.device)

    def rl2_input(self, obs: Tensor, prev_action: Tensor, prev_reward: Tensor, prev_done: Tensor) -> Tensor:
        """x_t = [o_t, a_{t−1} (one-hot if discrete), r_{t−1}, d_{t−1}] → ``[..., input_size]``.

        At the first step of a trial there is no previous step: use :meth:`first_input`.
        """
        if obs.shape[-1] != self.obs_dim:
            raise ValueError(f"observation has last dimension {obs.shape[-1]}: expected obs_dim={self.obs_dim}.")
        if self.discrete:
            a = nn.functional.one_hot(prev_action.long(), self.action_size).to(obs.dtype)
        else:
            a = prev_action.to(obs.dtype)
        return torch.cat([obs, a, prev_reward.unsqueeze(-1).to(obs.dtype), prev_done.unsqueeze(-1).to(obs.dtype)], -1)

    def first_input(self, obs: Tensor) -> Tensor:
        """x_0 = [o_0, 0, 0, 0]: no previous action, reward or termination at the start of a trial."""
        zeros = torch.zeros(*obs.shape[:-1], self.action_size + 2, dtype=obs.dtype, device=obs.device)
        return torch.cat([obs, zeros], -1)

    def distribution(self, features: Tensor) -> torch.distributions.Distribution:
        """π(· | h) from hidden states ``[..., hidden_size]``."""
        out = self.pi(features)
        if self.discrete:
            return torch.distributions.Categorical(logits=out, validate_args=False)
        return torch.distributions.Independent(torch.distributions.Normal(out, self.log_std.exp()), 1)

    def step(self, x: Tensor, h: Tensor):
        """One step while acting: ``x [B, input_size]``, ``h [B, H]`` → (π(·|h'), V(h') ``[B]``, h')."""
        # The GRU's own weights through the single-step kernel (nn.GRU's per-call checks cost more
        # than the arithmetic at these sizes); the sequence forward below uses the same equations.
        g = self.gru
        h_next = torch.gru_cell(x, h, g.weight_ih_l0, g.weight_hh_l0, g.bias_ih_l0, g.bias_hh_l0)
        return self.distribution(h_next), self.v(h_next).squeeze(-1), h_next

    def forward(self, x: Tensor, h0: Tensor | None = None):
        """A whole sequence: ``x [B, T, input_size]`` → (π(·|h_{1..T}) batch ``[B, T]``, V ``[B, T]``, h_T)."""
        if x.ndim != 3 or x.shape[-1] != self.input_size:
            raise ValueError(f"x has shape {tuple(x.shape)}: expected (batch, time, {self.input_size}).")
        out = self.hidden_states(x, h0)
        return self.distribution(out), self.v(out).squeeze(-1), out[:, -1]

    def hidden_states(self, x: Tensor, h0: Tensor | None = None) -> Tensor:
        """h_1 … h_T for a whole sequence: ``x [B, T, input_size]`` → ``[B, T, hidden_size]``."""
        if x.ndim != 3 or x.shape[-1] != self.input_size:
            raise ValueError(f"x has shape {tuple(x.shape)}: expected (batch, time, {self.input_size}).")
        h0 = self.initial_state(x.shape[0]) if h0 is None else h0
        return self.gru(x, h0.unsqueeze(0))[0]


__all__ = ["RecurrentPolicy", "space_spec"]


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
