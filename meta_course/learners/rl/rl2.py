"""RL²: a recurrent policy trained over many tasks becomes a learning algorithm (Duan et al. 2016).

A *trial* is ``episodes`` consecutive episodes of ONE task drawn from p(M). The agent is a GRU
(:class:`~meta_course.models.policies.RecurrentPolicy`) whose hidden state is reset at the start of
a trial and nowhere else, and which sees x_t = [o_t, a_{t−1}, r_{t−1}, d_{t−1}]. The outer ("slow")
reinforcement learner maximises the expected total discounted reward of a whole trial,

    J(θ) = E_{M ~ p(M)} E_{τ ~ π_θ, M} [ Σ_{t=0}^{T−1} γ^t r_t ],      T = episodes × horizon    (§2.2)

so the return of an early, exploratory action includes everything it lets the agent earn later in
the trial: exploring pays, and the weights θ come to encode an exploration strategy — the "fast"
learner lives in the hidden state.

We optimise J with advantage actor-critic (A2C: synchronous, on-policy; Mnih et al. 2016) and GAE:

    L(θ) = −(1/BT) Σ_{b,t} Â_{b,t} log π_θ(a_{b,t} | h_{b,t})                    (policy gradient)
           + c_V (1/BT) Σ_{b,t} (V_θ(h_{b,t}) − R̂_{b,t})²                        (critic, R̂ = Â + V)
           − c_H (1/BT) Σ_{b,t} H[π_θ(· | h_{b,t})]                              (entropy bonus)

with Â from :func:`~meta_course.learners.rl.returns.gae` over the whole trial (no cut between its
episodes), computed on rewards divided by the trial length T (the critic's unit) and normalised over
the batch. Three training aids, each optional and measured in ``recipes/rl.py``: the learning signal
can be the expected reward of the action taken instead of the sampled one (``reward_signal``), the
critic can see the task (``critic="task"``, training only), and a curriculum can start with shorter
trials (``curriculum``). None changes what the agent sees or how it acts.

Why A2C rather than PPO (Duan et al. used TRPO): the environments here are batched
tensors, so fresh on-policy trials cost about as much as the extra epochs PPO would spend re-using
old ones; one rollout + one gradient step is exactly one ``meta_step`` of the course's loop, with
no importance ratios, clipping or epochs to tune. A2C is also what Wang et al. (2016) used for the
same bandit experiments.

References:
    Duan, Schulman, Chen, Bartlett, Sutskever & Abbeel (2016), "RL²: Fast Reinforcement Learning via
    Slow Reinforcement Learning", arXiv:1611.02779 — §2.2 (formulation, Fig. 1), §4.1 (bandits, Table 1).
    Wang et al. (2016), "Learning to reinforcement learn", arXiv:1611.05763 (A2C, bandits).
    Mnih et al. (2016), "Asynchronous methods for deep RL" (advantage actor-critic).
    Schulman et al. (2016), "Generalized Advantage Estimation" (Eq. 16).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor, nn

from ...core.checks import check_choice, check_int, check_range
from ...models.policies import RecurrentPolicy, space_spec
from ...tasks.envs import BatchedEnv, TaskBatch, obs_dim
from ...tasks.envs.bandits import BernoulliBandits
from ..base import Learner
from .returns import gae

#: Environment families RL² can be trained on (name → class taking ``num_envs`` and its args).
ENVS: dict[str, type[BatchedEnv]] = {"bandits": BernoulliBandits}


@dataclass
class Trial:
    """A batch of RL² trials, every tensor ``[B, T]`` (``inputs`` is ``[B, T, input_size]``).

    ``dones[b, t]`` is 1 where an episode ended at step t (seen by the policy at t + 1, never cutting
    the return); ``hidden`` holds h_1 … h_T ``[B, T, H]`` when recorded (widgets show them).
    """

    inputs: Tensor
    actions: Tensor
    rewards: Tensor
    dones: Tensor
    values: Tensor
    log_probs: Tensor
    info: dict
    hidden: Tensor | None = None

    @property
    def total_reward(self) -> Tensor:
        return self.rewards.sum(dim=1)


@torch.no_grad()
def rollout(policy: RecurrentPolicy, env: BatchedEnv, episodes: int = 1, greedy: bool = False,
            record_hidden: bool = False) -> Trial:
    """Play one trial of ``episodes`` episodes in every environment of ``env`` (tasks already set).

    The hidden state starts at h_0 = 0 and is carried across the episode boundaries. Actions are
    sampled from π (torch's global RNG) or, with ``greedy=True``, the most likely one. Episodes must
    have a fixed length (``env.horizon``) so that all trials of the batch have the same length.

    Example:
        >>> env = BernoulliBandits(k=3, n=4, num_envs=2)
        >>> _ = env.reset(seed=0)
        >>> pi = RecurrentPolicy(1, {"type": "discrete", "n": 3}, hidden_size=8)
        >>> rollout(pi, env).rewards.shape
        torch.Size([2, 4])
    """
    check_int("episodes", episodes, 1, fix="A trial has at least one episode.")
    if env.horizon is None:
        raise ValueError("rollout needs episodes of a fixed length: the environment must set `horizon`.")
    obs, _ = env.reset()
    h = policy.initial_state(env.num_envs)
    x = policy.first_input(obs)
    inputs, actions, rewards, dones, values, log_probs, hidden, infos = [], [], [], [], [], [], [], []
    for episode in range(episodes):
        if episode > 0:
            obs, _ = env.reset()
            x = policy.rl2_input(obs, actions[-1], rewards[-1], dones[-1])
        for _ in range(env.horizon):
            dist, value, h = policy.step(x, h)
            a = _mode(dist) if greedy else dist.sample()
            obs, r, terminated, truncated, info = env.step(a)
            done = (terminated | truncated).to(r.dtype)
            inputs.append(x), actions.append(a), rewards.append(r), dones.append(done)
            values.append(value), log_probs.append(dist.log_prob(a)), infos.append(info)
            if record_hidden:
                hidden.append(h)
            if bool(done.all()):
                break
            if bool(done.any()):
                raise ValueError("episodes of one batch ended at different steps: rollout needs fixed-length episodes.")
            x = policy.rl2_input(obs, a, r, done)
    stack = lambda xs: torch.stack(xs, dim=1)  # noqa: E731
    info = {key: stack([i[key] for i in infos]) for key in infos[0]}
    return Trial(stack(inputs), stack(actions), stack(rewards), stack(dones), stack(values), stack(log_probs),
                 info, stack(hidden) if record_hidden else None)


def _mode(dist: torch.distributions.Distribution) -> Tensor:
    if isinstance(dist, torch.distributions.Categorical):
        return dist.probs.argmax(-1)
    return dist.mean


def a2c_loss(policy: RecurrentPolicy, trial: Trial, gamma: float = 1.0, lam: float = 0.3,
             value_coef: float = 0.5, entropy_coef: float = 0.01, normalize_advantages: bool = True,
             reward_signal: str = "sampled", value_fn=None) -> tuple[Tensor, dict[str, float]]:
    """The A2C loss L(θ) of the module docstring on one batch of trials (re-run with gradients).

    The recorded inputs are replayed through the GRU in one call; the policy that acted is the
    policy being differentiated (on-policy), so the replayed log-probabilities equal the recorded
    ones (checked by the tests).

    ``reward_signal="expected"`` scores each step with the environment's expected reward
    E[r_t | a_t, task] (``info["expected_reward"]``, p_{a_t} for a bandit) instead of the sampled
    r_t. The agent still *sees* the sampled rewards; only the learning signal changes. Because
    E[Σ_t r_t] = E[Σ_t E[r_t | a_t, task]] for every θ, this is an unbiased estimate of the same
    gradient with the reward noise removed (a Rao–Blackwellisation the simulator allows during
    meta-training; it is not available when acting in the real task).

    ``value_fn(hidden) -> [B, T]`` replaces the policy's own value head (see ``RL2(critic="task")``).
    """
    hidden = policy.hidden_states(trial.inputs)
    dist = policy.distribution(hidden)
    values = policy.v(hidden).squeeze(-1) if value_fn is None else value_fn(hidden)
    log_probs = dist.log_prob(trial.actions)
    # The critic predicts returns in units of the trial length T (targets stay in [0, 1] for
    # bandits whatever n): unscaled, the squared error of a 100-step return would dwarf the
    # policy term in the GRU both heads share. Advantages are normalised, so the policy
    # gradient's direction does not change.
    check_choice("reward_signal", reward_signal, ("sampled", "expected"))
    if reward_signal == "expected" and "expected_reward" not in trial.info:
        raise ValueError("reward_signal='expected' needs info['expected_reward'] from the environment; use 'sampled'.")
    rewards = trial.rewards if reward_signal == "sampled" else trial.info["expected_reward"]
    rewards = rewards / rewards.shape[1]
    with torch.no_grad():
        adv = gae(rewards, values.detach(), gamma, lam)   # one trial = one return: no cuts
        target = adv + values.detach()
        if normalize_advantages and adv.numel() > 1:
            adv = (adv - adv.mean()) / (adv.std() + 1e-8)
    policy_loss = -(adv * log_probs).mean()
    value_loss = (values - target).pow(2).mean()
    entropy = dist.entropy().mean()
    loss = policy_loss + value_coef * value_loss - entropy_coef * entropy
    stats = {"policy_loss": policy_loss.item(), "value_loss": value_loss.item(), "entropy": entropy.item()}
    return loss, stats


class RL2(Learner):
    """RL² on a family of environments, trained with A2C.

    Args:
        env: environment family name (:data:`ENVS`), e.g. ``"bandits"``.
        env_args: its arguments, e.g. ``{"k": 5, "n": 10}``.
        episodes: episodes per trial (bandits: 1 — the n pulls are one episode).
        hidden_size: GRU units.
        gamma, lam: discount and GAE λ (γ = 1: the bandit objective is the undiscounted total).
        value_coef: c_V of the loss.
        entropy_coef: c_H at the first step; it moves linearly to ``entropy_final`` over
            ``entropy_anneal_steps`` outer steps (0: constant). A high c_H early keeps the policy from
            committing before it has learned to explore; a low one late lets it exploit sharply.
        reward_signal: ``"sampled"`` (Duan et al.) or ``"expected"`` (see :func:`a2c_loss`).
        critic: ``"shared"`` — V is a head on the policy's GRU, seeing only what the agent sees — or
            ``"task"`` — a separate small network V_φ(h_t, o_t, task) that also sees the task
            (an asymmetric critic, Pinto et al. 2018): the task's own quality (how good its best arm
            is) no longer counts as noise in the advantage. Used only to train; acting never uses it.
        curriculum: ``{"steps": S, "env_args": {...}}`` — the first S training steps use these
            environment arguments (e.g. shorter trials, n = 10, before n = 100), then ``env_args``.
        lr_schedule: ``"constant"`` or ``"linear"`` decay of the outer step size to 0.
        init_from: name of a committed checkpoint whose weights the first training step starts from
            (e.g. the n = 10 agent before training on n = 100); None: the random initialisation.

    Example:
        >>> agent = RL2("bandits", {"k": 2, "n": 3}, hidden_size=8)
        >>> tasks = agent.make_env(4).sample_tasks(4, torch.Generator().manual_seed(0))
        >>> agent.score(tasks).shape
        torch.Size([4])
    """

    name = "rl2"
    metric = "return"

    def __init__(self, env: str = "bandits", env_args: dict | None = None, episodes: int = 1,
                 hidden_size: int = 64, gamma: float = 1.0, lam: float = 0.3, value_coef: float = 0.5,
                 entropy_coef: float = 0.01, entropy_final: float | None = None, entropy_anneal_steps: int = 0,
                 reward_signal: str = "sampled", critic: str = "shared", curriculum: dict | None = None,
                 lr_schedule: str = "constant", init_from: str | None = None):
        super().__init__()
        check_choice("env", env, list(ENVS))
        env_args = dict(env_args or {})
        self.config = {"env": env, "env_args": env_args, "episodes": check_int("episodes", episodes, 1),
                       "hidden_size": hidden_size, "gamma": check_range("gamma", gamma, 0.0, 1.0),
                       "lam": check_range("lam", lam, 0.0, 1.0),
                       "value_coef": check_range("value_coef", value_coef, 0.0, 1e3, "c_V of the A2C loss, e.g. 0.5."),
                       "entropy_coef": check_range("entropy_coef", entropy_coef, 0.0, 1e3, "c_H, e.g. 0.01."),
                       "entropy_final": check_range("entropy_final", entropy_coef if entropy_final is None
                                                    else entropy_final, 0.0, 1e3, "c_H at the end, e.g. 0."),
                       "entropy_anneal_steps": check_int("entropy_anneal_steps", entropy_anneal_steps, 0),
                       "reward_signal": check_choice("reward_signal", reward_signal, ("sampled", "expected")),
                       "critic": check_choice("critic", critic, ("shared", "task")),
                       "curriculum": dict(curriculum or {}),
                       "lr_schedule": check_choice("lr_schedule", lr_schedule, ("constant", "linear")),
                       "init_from": init_from}
        cur = self.config["curriculum"]
        if cur:
            if set(cur) != {"steps", "env_args"}:
                raise ValueError(f"curriculum={cur} must be {{'steps': S, 'env_args': {{...}}}}, e.g. "
                                 "{'steps': 3000, 'env_args': {'k': 5, 'n': 10}}.")
            check_int("curriculum steps", cur["steps"], 0)
        probe = self.make_env(1)
        self.policy = RecurrentPolicy(obs_dim(probe.single_observation_space),
                                      space_spec(probe.single_action_space), hidden_size)
        if critic == "task":
            # V_φ(h_t, o_t, task): used only to train (a baseline may depend on anything the action
            # does not change, the task included); h_t is detached so the GRU learns from π alone.
            features = sum(v[0].numel() for v in probe.sample_tasks(1)._tensors().values())
            self.critic = nn.Sequential(nn.Linear(hidden_size + self.policy.obs_dim + features, 64), nn.Tanh(),
                                        nn.Linear(64, 1))
        # outer steps taken so far (a buffer: saved and restored with the weights, so a resumed run
        # follows the same entropy schedule)
        self.register_buffer("steps_done", torch.zeros((), dtype=torch.long))

    def outer_lr_factor(self, step: int, steps: int) -> float:
        """``"linear"``: the step size decays linearly to 0 over the run (steadier end of training)."""
        return 1.0 - step / max(steps, 1) if self.config["lr_schedule"] == "linear" else 1.0

    def entropy_coef(self) -> float:
        """c_H at the current outer step (linear from ``entropy_coef`` to ``entropy_final``)."""
        c = self.config
        if c["entropy_anneal_steps"] == 0:
            return c["entropy_coef"]
        frac = min(1.0, self.steps_done.item() / c["entropy_anneal_steps"])
        return c["entropy_coef"] + frac * (c["entropy_final"] - c["entropy_coef"])

    def make_env(self, num_envs: int, device=None, training: bool = False) -> BatchedEnv:
        """A batch of ``num_envs`` environments of the configured family (during the first
        ``curriculum["steps"]`` training steps, with the curriculum's ``env_args``)."""
        device = device if device is not None else next(self.parameters(), torch.empty(0)).device
        env_args = self.config["env_args"]
        cur = self.config.get("curriculum") or {}
        if training and cur and self.steps_done.item() < cur["steps"]:
            env_args = cur["env_args"]
        return ENVS[self.config["env"]](num_envs=num_envs, device=device, **env_args)

    def play(self, tasks: TaskBatch, seed: int | None = None, greedy: bool = False,
             record_hidden: bool = False, training: bool = False) -> Trial:
        """One trial on every task of ``tasks`` (environment randomness from ``seed``, else drawn from
        torch's global RNG; action sampling from the global RNG)."""
        env = self.make_env(len(tasks), training=training)
        if seed is None:
            seed = int(torch.randint(2**62, (1,)).item())
        env.reset(seed=seed, options={"task": tasks})
        return rollout(self.policy, env, self.config["episodes"], greedy=greedy, record_hidden=record_hidden)

    def meta_loss(self, batch: TaskBatch) -> Tensor:
        """Play one trial on every task of ``batch`` with the current policy (actions and the
        environment's seed drawn from torch's global RNG, which the training loop saves and restores)
        and return the A2C loss on those trials. Statistics of the trials go to ``self.last_stats``."""
        if self.steps_done.item() == 0 and self.config.get("init_from"):
            self._load_init(self.config["init_from"])
        trial = self.play(batch.to(self.policy.pi.weight.device), training=True)
        c = self.config
        value_fn = None
        if c["critic"] == "task":
            task = torch.cat([v.flatten(1) for v in batch._tensors().values()], 1).to(trial.inputs)
            obs = trial.inputs[..., :self.policy.obs_dim]

            def value_fn(hidden):
                t = task.unsqueeze(1).expand(-1, hidden.shape[1], -1)
                return self.critic(torch.cat([hidden.detach(), obs, t], -1)).squeeze(-1)

        loss, stats = a2c_loss(self.policy, trial, c["gamma"], c["lam"], c["value_coef"], self.entropy_coef(),
                               reward_signal=c["reward_signal"], value_fn=value_fn)
        self.last_trial_length = trial.rewards.shape[1]
        self.last_stats = {"return": trial.total_reward.mean().item(), "trial_length": float(self.last_trial_length),
                           **stats}
        self.steps_done += 1
        return loss

    @torch.no_grad()
    def _load_init(self, name: str) -> None:
        """Copy the weights of the committed checkpoint ``name`` (same architecture) into this agent,
        in place (the optimiser keeps its references). Done once, at the first training step, so
        loading a trained agent never needs that file."""
        from ...checkpoints import checkpoint_path

        ckpt = torch.load(checkpoint_path(name), map_location="cpu", weights_only=True)
        source = ckpt.get("learner", ckpt)["state_dict"]
        own = self.state_dict()
        mismatch = sorted(k for k in own if k != "steps_done" and (k not in source or source[k].shape != own[k].shape))
        if mismatch:
            raise ValueError(f"init_from={name!r} does not fit this agent (parameters {mismatch[:4]} differ): "
                             "start from a checkpoint with the same hidden_size, arms and critic.")
        for k, v in own.items():
            if k != "steps_done":
                v.copy_(source[k])

    def meta_step(self, batch: TaskBatch, optimizers: dict) -> dict[str, float]:
        """One outer step (the default: back-propagate :meth:`meta_loss`, clip, step), reporting the
        trials' mean total reward, the policy entropy and the loss terms besides the loss."""
        values = super().meta_step(batch, optimizers)
        return {**values, **self.last_stats}

    @torch.no_grad()
    def adapt(self, actions: Tensor, rewards: Tensor, obs: Tensor | None = None) -> "RL2Predictor":
        """Feed one trial's history so far (``actions``, ``rewards`` ``[t]``; observations default to the
        bandit's t/n) through the GRU: the returned predictor holds h_t, π(·|h_t) and V(h_t).

        This is all RL²'s "adaptation" is — no weight changes, only the hidden state moves.

        Example:
            >>> agent = RL2("bandits", {"k": 3, "n": 5}, hidden_size=8)
            >>> pred = agent.adapt(torch.tensor([0, 2]), torch.tensor([1.0, 0.0]))
            >>> pred.info["probs"].shape, pred.info["hidden"].shape
            (torch.Size([3]), torch.Size([3, 8]))
        """
        t = int(actions.shape[0])
        device = self.policy.pi.weight.device
        if obs is None:
            n = self.config["env_args"].get("n", max(t, 1))
            obs = (torch.arange(t + 1, dtype=torch.float32, device=device) / n).unsqueeze(-1)
        x = [self.policy.first_input(obs[:1])]
        for i in range(t):
            done = torch.zeros(1, device=device)
            x.append(self.policy.rl2_input(obs[i + 1:i + 2], actions[i:i + 1].to(device),
                                           rewards[i:i + 1].to(device), done))
        hidden, _ = self.policy.gru(torch.cat(x).unsqueeze(0))            # h_1 … h_{t+1}: [1, t + 1, H]
        h = hidden[0, -1]
        dist = self.policy.distribution(h)
        return RL2Predictor(self, h, {"probs": dist.probs if self.policy.discrete else None,
                                      "value": self.policy.v(h).item(), "hidden": hidden[0]})

    @torch.no_grad()
    def score(self, tasks: TaskBatch, seed: int = 0, greedy: bool = False, metric: str | None = None) -> Tensor:
        """Total reward of one trial on every task ``[T]`` (seeded; the global RNG is left untouched)."""
        with torch.random.fork_rng(devices=[]):
            torch.manual_seed(seed)
            return self.play(tasks.to(next(self.parameters()).device), seed=seed, greedy=greedy).total_reward

    def checkpoint(self) -> dict:
        return {"name": self.name, "config": self.config, "state_dict": self.state_dict()}


class RL2Predictor:
    """What :meth:`RL2.adapt` returns: ``predictor()`` → π(·|h_t); ``info`` = probs, value, hidden states."""

    def __init__(self, agent: RL2, h: Tensor, info: dict):
        self.agent, self.h, self.info = agent, h, info

    def __call__(self, *_):
        return self.agent.policy.distribution(self.h)


__all__ = ["ENVS", "RL2", "RL2Predictor", "Trial", "a2c_loss", "rollout"]
