"""PEARL: probabilistic embeddings for actor-critic RL (Rakelly et al. 2019).

The task is summarised by a latent variable z. An encoder maps every transition c_n = (s, a, r, s')
of the task seen so far to a Gaussian factor Ψ(z | c_n) = N(μ_n, diag σ_n²); the posterior over z is
their normalised product (§4.1, Eq. 3-4 of the paper's appendix):

    q(z | c_{1:N}) ∝ Π_n Ψ(z | c_n)  =  N(μ, σ²),   σ² = 1 / Σ_n σ_n⁻²,   μ = σ² Σ_n μ_n / σ_n²    (1)

Permutation-invariant and cheap to update one transition at a time. The encoder is trained by the
critic's Bellman error plus an information bottleneck β·KL(q(z|c) ‖ N(0, I)) (Eq. 2); the actor and
twin critics are soft actor-critic (Haarnoja et al. 2018) with z appended to their input (the actor
sees z without gradient). Meta-training is off-policy: every training task keeps a replay buffer,
and contexts are sampled from it.

At meta-test time PEARL explores by *posterior sampling* (§4.3, Alg. 2): sample z from the current
posterior (the prior before any data), act with it for a whole episode, add the episode to the
context, update the posterior, repeat. A sampled z is a hypothesis about the task held for an
episode — temporally extended exploration, in contrast with per-step action noise.

A variant the paper does not use (``resample_every = m > 0``): within an episode, resample every m
steps from the posterior of everything seen so far, the current episode's transitions included,

    z_t ~ q(z | c_{1:N+t})  for t = 0, m, 2m, …   (Eq. 1 over the N earlier transitions and the t new ones)    (2)

so an unrewarded stretch of the episode already changes the hypothesis. The reference code samples z
per trajectory only (its sampler leaves "resample every transition" as an open question); m = 0 is
the paper's Alg. 2.

References:
    Rakelly, Zhou, Quillen, Finn & Levine (2019), "Efficient Off-Policy Meta-Reinforcement Learning
    via Probabilistic Context Variables", ICML — Eq. (1)-(2), Alg. 1-2, §6.3 (sparse point robot:
    meta-trained with the dense reward, the context only ever holds sparse rewards).
    Haarnoja, Zhou, Hartikainen, ... & Levine (2018), "Soft Actor-Critic Algorithms and
    Applications" — twin critics, target networks, automatic temperature (Eq. 5, 7, 18).
"""

from __future__ import annotations

import copy
from typing import NamedTuple

import torch
from torch import Tensor, nn
from torch.func import functional_call

from ...core.checks import check_int, check_positive, check_range
from ...models.mlp import MLP
from ...models.policies import QNetwork, TanhGaussianPolicy
from ...tasks.envs.navigation import GoalTasks, PointNavigation
from ..base import Learner


# ---- the posterior ------------------------------------------------------------------------------
def product_of_gaussians(mu: Tensor, var: Tensor, mask: Tensor | None = None) -> tuple[Tensor, Tensor]:
    """Normalised product of Gaussian factors N(μ_n, diag σ_n²) over dim −2: Eq. (1).

    Args:
        mu, var: ``[..., N, d]`` the factors' means and variances (> 0).
        mask: ``[..., N]`` 1 for the factors to multiply, 0 to ignore (at least one per row).

    Returns:
        ``(mu, var)`` of the product, ``[..., d]``.

    Example:
        >>> m, v = product_of_gaussians(torch.tensor([[0.0], [2.0]]), torch.tensor([[1.0], [1.0]]))
        >>> m.item(), v.item()   # two equal-width factors: the mean halfway, half the variance
        (1.0, 0.5)
    """
    if mu.shape != var.shape:
        raise ValueError(f"mu has shape {tuple(mu.shape)} but var {tuple(var.shape)}: they must match.")
    precision = 1.0 / var.clamp_min(1e-7)
    if mask is not None:
        precision = precision * mask.unsqueeze(-1).to(precision.dtype)
    var_post = 1.0 / precision.sum(-2)
    return var_post * (precision * mu).sum(-2), var_post


def kl_to_standard_normal(mu: Tensor, var: Tensor) -> Tensor:
    """KL(N(μ, diag σ²) ‖ N(0, I)) = ½ Σ_d (σ² + μ² − 1 − log σ²), summed over the last dim."""
    return 0.5 * (var + mu * mu - 1.0 - var.log()).sum(-1)


class ContextEncoder(nn.Module):
    """Ψ(z | c): an MLP from one transition to the mean and variance (softplus) of a Gaussian factor."""

    def __init__(self, in_dim: int, latent_dim: int, hidden=(64, 64)):
        super().__init__()
        self.net = MLP((in_dim, *hidden, 2 * latent_dim))
        self.latent_dim = latent_dim

    def forward(self, context: Tensor) -> tuple[Tensor, Tensor]:
        mu, raw = self.net(context).chunk(2, dim=-1)
        return mu, nn.functional.softplus(raw) + 1e-4


class Posterior(NamedTuple):
    """q(z | c) = N(mu, diag var), one row per task."""

    mu: Tensor
    var: Tensor

    def sample(self, generator: torch.Generator | None = None) -> Tensor:
        noise = torch.randn(self.mu.shape, generator=generator, device=self.mu.device, dtype=self.mu.dtype)
        return self.mu + self.var.sqrt() * noise

    def rsample(self) -> Tensor:
        """A reparameterised sample: gradients reach the encoder through mu and var."""
        return self.mu + self.var.sqrt() * torch.randn_like(self.mu)


# ---- replay buffers, one per training task ------------------------------------------------------
class TaskReplay(nn.Module):
    """A FIFO buffer of transitions per task: ``data [n_tasks, capacity, width]`` and fill counters.

    A module with *non-persistent* buffers: it moves with the learner (``.to(device)``) but stays out
    of ``state_dict``, so the committed checkpoint holds only the networks. ``state()`` /
    ``load_state()`` export it for a resumable training state.
    """

    def __init__(self, n_tasks: int, capacity: int, width: int):
        super().__init__()
        self.register_buffer("data", torch.zeros(n_tasks, capacity, width), persistent=False)
        self.register_buffer("size", torch.zeros(n_tasks, dtype=torch.long), persistent=False)
        self.register_buffer("head", torch.zeros(n_tasks, dtype=torch.long), persistent=False)

    @property
    def capacity(self) -> int:
        return self.data.shape[1]

    def add(self, task: Tensor, rows: Tensor) -> None:
        """Append ``rows [B, M, width]`` to the buffers of ``task [B]`` (distinct task indices)."""
        B, M, _ = rows.shape
        slots = (self.head[task].unsqueeze(1) + torch.arange(M, device=rows.device)) % self.capacity
        self.data[task.unsqueeze(1), slots] = rows
        self.head[task] = (self.head[task] + M) % self.capacity
        self.size[task] = (self.size[task] + M).clamp_max(self.capacity)

    def sample(self, task: Tensor, n: int, generator: torch.Generator | None = None, window: int = 0) -> Tensor:
        """``n`` transitions drawn uniformly (with replacement) from each task's buffer: ``[B, n, width]``.

        ``window > 0`` draws only from the task's ``window`` most recent transitions.
        """
        size = self.size[task]
        if bool((size == 0).any()):
            raise ValueError(f"tasks {task[size == 0].tolist()} have no data yet: collect before sampling.")
        if window > 0:
            size = size.clamp_max(window)
        u = torch.rand(len(task), n, generator=generator, device=self.data.device)
        back = (u * size.unsqueeze(1)).long().clamp_max(self.capacity - 1) + 1  # 1 = the newest
        idx = (self.head[task].unsqueeze(1) - back) % self.capacity
        return self.data[task.unsqueeze(1), idx]

    def state(self) -> dict:
        return {"data": self.data.clone(), "size": self.size.clone(), "head": self.head.clone()}

    def load_state(self, state: dict) -> None:
        for k in ("data", "size", "head"):
            getattr(self, k).copy_(state[k])


class Episodes(NamedTuple):
    """Episodes of a batch of tasks, one per task: tensors ``[T, H, ...]``."""

    obs: Tensor
    actions: Tensor      # in the environment's units
    rewards: Tensor      # what the agent sees (sparse on the sparse task)
    dense: Tensor        # the dense reward (meta-training only)
    next_obs: Tensor
    success: Tensor      # [T] the episode ended within the goal radius
    reached: Tensor      # [T] some step was within the goal radius

    @property
    def returns(self) -> Tensor:
        return self.rewards.sum(-1)


# ---- the learner --------------------------------------------------------------------------------
class PEARL(Learner):
    """PEARL with SAC on a navigation task family (see the module docstring for the equations).

    Args:
        env: :class:`PointNavigation` arguments (``PointNavigation(**env)``), e.g. ``{"reward": "sparse", ...}``.
        n_train_tasks: size of the fixed pool of training tasks (one replay buffer each).
        latent_dim: size of z.
        hidden: widths of every network's hidden layers.
        gamma: discount; tau: Polyak rate of the target critics.
        kl_weight: β of the information bottleneck.
        batch_size: RL transitions per task per update; context_size: context transitions per task.
        capacity: transitions kept per task.
        init_episodes: prior-z episodes collected the first time a task is seen.
        collect_every: meta-steps between data collections; collect_tasks: tasks of the batch
            collected for; prior_episodes / posterior_episodes: episodes per collected task with z
            from the prior / from the posterior of a context drawn from the task's buffer.
        use_next_obs: put s' in the context (here the position the reward was paid at).
        target_entropy: SAC's entropy target (default −dim(a)).
        init_alpha, learn_alpha: SAC's temperature α and whether it is tuned towards ``target_entropy``.
        reward_scale: rewards are multiplied by it in the Bellman target. With a fixed α = 1 this is
            PEARL's way of setting the temperature (α_eff = 1 / reward_scale), and it also sets how
            much the Bellman error outweighs β·KL in the encoder's loss.
        context_window: draw training contexts from the task's most recent transitions only (0: all);
            PEARL's reference code empties a task's encoder buffer before each collection, so its
            contexts come from the current policy's latest episodes of the task.
        dense_context_steps: a curriculum: at first the meta-training context holds the dense
            reward instead of the sparse one, for a share of tasks decreasing linearly to 0 over these
            meta-steps (0: off). The critic is always meta-trained on the dense reward, and
            meta-testing only ever sees the sparse reward.
        resample_every: the in-episode resampling variant (Eq. 2 of the module docstring) for the
            posterior episodes of meta-training data collection: z resampled every this many steps
            from the context plus the episode so far (0: once per episode, the paper's choice).
            Meta-test exploration takes its own ``resample_every`` knob.
    """

    name = "pearl"
    metric = "return"
    higher_is_better = True

    def __init__(self, env: dict | None = None, n_train_tasks: int = 80, latent_dim: int = 5, hidden=(64, 64),
                 gamma: float = 0.9, tau: float = 0.005, kl_weight: float = 1.0, batch_size: int = 128,
                 context_size: int = 64, capacity: int = 2000, init_episodes: int = 10, collect_every: int = 10,
                 collect_tasks: int = 4, prior_episodes: int = 1, posterior_episodes: int = 4,
                 use_next_obs: bool = True, target_entropy: float | None = None, init_alpha: float = 1.0,
                 learn_alpha: bool = True, reward_scale: float = 1.0, context_window: int = 0,
                 dense_context_steps: int = 0, resample_every: int = 0):
        super().__init__()
        env = dict(env or {"reward": "sparse", "goals": "half_circle", "goal_size": 1.0, "goal_radius": 0.2,
                           "horizon": 20})
        self.config = dict(env=env, n_train_tasks=n_train_tasks, latent_dim=latent_dim, hidden=list(hidden),
                           gamma=gamma, tau=tau, kl_weight=kl_weight, batch_size=batch_size,
                           context_size=context_size, capacity=capacity, init_episodes=init_episodes,
                           collect_every=collect_every, collect_tasks=collect_tasks,
                           prior_episodes=prior_episodes, posterior_episodes=posterior_episodes,
                           use_next_obs=use_next_obs, target_entropy=target_entropy, init_alpha=init_alpha,
                           learn_alpha=learn_alpha, reward_scale=reward_scale, context_window=context_window,
                           dense_context_steps=dense_context_steps, resample_every=resample_every)
        check_int("n_train_tasks", n_train_tasks, 1, fix="PEARL meta-trains on a fixed pool of tasks; the paper uses 80.")
        check_int("latent_dim", latent_dim, 1, fix="PEARL uses 5.")
        check_range("gamma", gamma, 0.0, 1.0, "A discount factor lies in [0, 1).")
        check_positive("kl_weight", kl_weight, "β of the KL bottleneck; the paper uses 0.1-1.")
        for k in ("batch_size", "context_size", "capacity", "init_episodes", "collect_every", "collect_tasks"):
            check_int(k, self.config[k], 1)
        for k in ("prior_episodes", "posterior_episodes", "context_window", "dense_context_steps", "resample_every"):
            check_int(k, self.config[k], 0)
        check_range("tau", tau, 0.0, 1.0, "The Polyak rate of the target critics; SAC uses 0.005.")
        self.env_config = env
        probe = PointNavigation(**env)
        self.obs_dim, self.act_dim = 2, 2
        self.max_action, self.horizon = probe.max_action, probe.horizon
        self.latent_dim = latent_dim
        self.context_dim = 2 * self.obs_dim + self.act_dim + 1 if use_next_obs else self.obs_dim + self.act_dim + 1
        self.encoder = ContextEncoder(self.context_dim, latent_dim, hidden)
        self.actor = TanhGaussianPolicy(self.obs_dim + latent_dim, self.act_dim, hidden)
        self.q1 = QNetwork(self.obs_dim + self.act_dim + latent_dim, hidden)
        self.q2 = QNetwork(self.obs_dim + self.act_dim + latent_dim, hidden)
        self.q1_target, self.q2_target = copy.deepcopy(self.q1), copy.deepcopy(self.q2)
        for p in (*self.q1_target.parameters(), *self.q2_target.parameters()):
            p.requires_grad_(False)
        check_positive("reward_scale", reward_scale, "PEARL scales rewards by 5-100 (100 on the point robot).")
        check_positive("init_alpha", init_alpha, "SAC's initial temperature; PEARL's reward scale 100 means 0.01.")
        self.log_alpha = nn.Parameter(torch.tensor(float(init_alpha)).log(), requires_grad=learn_alpha)
        self.target_entropy = float(target_entropy) if target_entropy is not None else -float(self.act_dim)
        # transition row: s (2), a (2), r seen (1), s' (2), dense r (1)
        self.replay = TaskReplay(n_train_tasks, capacity, 2 * self.obs_dim + self.act_dim + 2)
        self.register_buffer("steps_done", torch.zeros((), dtype=torch.long))
        self.last_collect: dict[str, float] = {}
        self.last_stats: dict[str, float] = {}

    # ---- pieces ---------------------------------------------------------------------------------
    def optimizers(self, outer_lr: float) -> dict[str, torch.optim.Optimizer]:
        """Four Adam optimisers: actor, twin critics, encoder (Bellman + KL loss) and temperature."""
        return {"actor": torch.optim.Adam(self.actor.parameters(), lr=outer_lr),
                "critic": torch.optim.Adam([*self.q1.parameters(), *self.q2.parameters()], lr=outer_lr),
                "encoder": torch.optim.Adam(self.encoder.parameters(), lr=outer_lr),
                **({"alpha": torch.optim.Adam([self.log_alpha], lr=outer_lr)} if self.config["learn_alpha"] else {})}

    def context_rows(self, obs: Tensor, actions: Tensor, rewards: Tensor, next_obs: Tensor) -> Tensor:
        """What the encoder sees of a transition: (s, a / max_action, r[, s'])."""
        parts = [obs, actions / self.max_action, rewards.unsqueeze(-1)]
        if self.config["use_next_obs"]:
            parts.append(next_obs)
        return torch.cat(parts, dim=-1)

    def dense_context_share(self) -> float:
        """Share of meta-training contexts that hold the dense reward: 1 → 0 linearly over the first
        ``dense_context_steps`` meta-steps (a curriculum; 0 afterwards and at meta-test time)."""
        n = self.config["dense_context_steps"]
        return max(0.0, 1.0 - int(self.steps_done) / n) if n > 0 else 0.0

    def sample_context(self, task_index: Tensor) -> Tensor:
        """A meta-training context for each task: ``context_size`` transitions from its buffer."""
        rows = self.replay.sample(task_index, self.config["context_size"], window=self.config["context_window"])
        r = rows[..., 4]
        share = self.dense_context_share()
        if share > 0:
            dense = torch.rand(len(task_index), 1, device=rows.device) < share  # per task
            r = torch.where(dense, rows[..., 7], r)
        return self.context_rows(rows[..., 0:2], rows[..., 2:4], r, rows[..., 5:7])

    def posterior(self, context: Tensor | None, mask: Tensor | None = None, n_tasks: int | None = None) -> Posterior:
        """q(z | context) for ``context [T, N, context_dim]``; the prior N(0, I) when it is None/empty."""
        if context is None or context.shape[1] == 0:
            zeros = torch.zeros(n_tasks if context is None else context.shape[0], self.latent_dim,
                                device=self.log_alpha.device)
            return Posterior(zeros, torch.ones_like(zeros))
        mu, var = self.encoder(context)
        return Posterior(*product_of_gaussians(mu, var, mask))

    def act(self, obs: Tensor, z: Tensor, deterministic: bool = False, generator=None) -> Tensor:
        """Actions in the environment's units for ``obs [B, 2]`` and latents ``z [B, d]``."""
        a, _ = self.actor.sample(torch.cat([obs, z], -1), deterministic, generator)
        return self.max_action * a

    @property
    def alpha(self) -> Tensor:
        return self.log_alpha.exp()

    # ---- acting in the environment --------------------------------------------------------------
    @torch.no_grad()
    def run_episode(self, env: PointNavigation, z: Tensor, deterministic: bool = False, generator=None,
                    resample_every: int = 0, context: Tensor | None = None) -> Episodes:
        """One episode of every environment of ``env`` (its tasks already set).

        z is fixed per task (``resample_every = 0``), or resampled every ``resample_every`` steps from
        q(z | ``context`` + this episode's transitions so far) (Eq. 2 of the module docstring);
        ``context [T, N, context_dim]`` is what the task has shown before this episode (None: nothing).
        """
        check_int("resample_every", resample_every, 0, fix="Steps between posterior samples within an episode; 0 = once per episode.")
        obs, _ = env.reset()
        rows = {k: [] for k in ("obs", "actions", "rewards", "dense", "next_obs")}
        reached = torch.zeros(env.num_envs, dtype=torch.bool, device=obs.device)
        if context is None:
            context = torch.zeros(env.num_envs, 0, self.context_dim, device=obs.device)
        for t in range(env.horizon):
            if resample_every and t > 0 and t % resample_every == 0:
                seen = self.context_rows(*(torch.stack(rows[k], 1) for k in ("obs", "actions", "rewards", "next_obs")))
                z = self.posterior(torch.cat([context, seen], 1)).sample(generator)
            a = self.act(obs, z, deterministic, generator)
            nxt, r, term, trunc, info = env.step(a)
            for k, v in zip(rows, (obs, a, r, info["dense_reward"], nxt)):
                rows[k].append(v)
            reached |= info["success"]
            obs = nxt
            if bool((term | trunc).all()):
                break
        out = {k: torch.stack(v, 1) for k, v in rows.items()}
        return Episodes(**out, success=info["success"], reached=reached)

    def _add(self, task_index: Tensor, ep: Episodes) -> None:
        rows = torch.cat([ep.obs, ep.actions, ep.rewards.unsqueeze(-1), ep.next_obs, ep.dense.unsqueeze(-1)], -1)
        self.replay.add(task_index, rows)

    @torch.no_grad()
    def collect(self, tasks: GoalTasks, task_index: Tensor, prior_episodes: int, posterior_episodes: int) -> None:
        """Meta-training data (Alg. 1): episodes with z from the prior, then from the posterior of a
        context drawn from the task's buffer, resampled before every episode."""
        env = PointNavigation(**self.env_config, num_envs=len(tasks), device=tasks.goal.device)
        env.set_task(tasks)
        reached = {"prior": [], "posterior": []}
        for _ in range(prior_episodes):
            ep = self.run_episode(env, self.posterior(None, n_tasks=len(tasks)).sample())
            self._add(task_index, ep)
            reached["prior"].append(ep.reached.float().mean())
        for _ in range(posterior_episodes):
            ctx = self.sample_context(task_index)
            ep = self.run_episode(env, self.posterior(ctx).sample(), resample_every=self.config["resample_every"],
                                  context=ctx)
            self._add(task_index, ep)
            reached["posterior"].append(ep.reached.float().mean())
        self.last_collect = {f"reached_{k}": float(torch.stack(v).mean()) for k, v in reached.items() if v}

    # ---- resumable training state (not part of the checkpoint) ------------------------------------
    def train_state(self) -> dict:
        """The replay buffers (kept out of ``state_dict``, so out of the committed checkpoint) and the statistics
        of the last data collection (logged until the next one), for a resumable training state."""
        return {"replay": self.replay.state(), "last_collect": dict(self.last_collect)}

    def load_train_state(self, state: dict) -> None:
        """Restore :meth:`train_state`'s buffers: the resumed run continues exactly as the uninterrupted one."""
        if set(state) != {"replay", "last_collect"}:
            raise ValueError(f"PEARL's training state holds {sorted(state)}, not ['last_collect', 'replay']: it was "
                             "written by another learner; start afresh with --restart.")
        shapes = {k: tuple(v.shape) for k, v in state["replay"].items()}
        mine = {k: tuple(v.shape) for k, v in self.replay.state().items()}
        if shapes != mine:
            raise ValueError(f"PEARL's saved replay buffers have shapes {shapes}, this learner's {mine} "
                             "(n_train_tasks, capacity): another run's state; start afresh with --restart.")
        self.replay.load_state(state["replay"])
        self.last_collect = {k: float(v) for k, v in state["last_collect"].items()}

    # ---- one meta-training step ---------------------------------------------------------------
    def losses(self, task_index: Tensor) -> dict[str, Tensor]:
        """SAC + information-bottleneck losses on a meta-batch of training tasks."""
        cfg = self.config
        T, B = len(task_index), cfg["batch_size"]
        post = self.posterior(self.sample_context(task_index))
        z = post.rsample()                                             # [T, d], carries the encoder's gradient
        kl = kl_to_standard_normal(post.mu, post.var).mean()
        rows = self.replay.sample(task_index, B)                       # [T, B, width]
        s, a, s2, r = rows[..., 0:2], rows[..., 2:4] / self.max_action, rows[..., 5:7], rows[..., 7]
        zb = z.unsqueeze(1).expand(T, B, -1)
        zd = zb.detach()
        with torch.no_grad():                                           # soft Bellman target (SAC Eq. 5)
            a2, logp2 = self.actor.sample(torch.cat([s2, zd], -1))
            q_next = torch.min(self.q1_target(s2, a2, zd), self.q2_target(s2, a2, zd))
            target = cfg["reward_scale"] * r + cfg["gamma"] * (q_next - self.alpha * logp2)  # time limits are not terminal
        critic = ((self.q1(s, a, zb) - target) ** 2).mean() + ((self.q2(s, a, zb) - target) ** 2).mean()
        a_new, logp = self.actor.sample(torch.cat([s, zd], -1))
        # the actor's loss reaches only the actor: the critics enter with detached weights (and z detached)
        q_new = torch.min(*(functional_call(q, {k: v.detach() for k, v in q.named_parameters()}, (s, a_new, zd))
                            for q in (self.q1, self.q2)))
        actor = (self.alpha.detach() * logp - q_new).mean()
        alpha = -(self.log_alpha * (logp.detach() + self.target_entropy)).mean() if self.config["learn_alpha"] \
            else torch.zeros(())
        return {"critic": critic, "kl": kl, "actor": actor, "alpha": alpha}

    def _polyak(self) -> None:
        """θ_target ← (1 − τ) θ_target + τ θ for both critics."""
        with torch.no_grad():
            for net, tgt in ((self.q1, self.q1_target), (self.q2, self.q2_target)):
                for p, pt in zip(net.parameters(), tgt.parameters()):
                    pt.lerp_(p, self.config["tau"])

    def meta_loss(self, batch: GoalTasks) -> Tensor:
        """Collect data when due, then the sum of every SAC and bottleneck loss on ``batch``'s tasks.

        ``batch`` is a :class:`IndexedGoalTasks` (its ``index`` picks the tasks' replay buffers). Each
        loss reaches only its own parameters (critics + encoder: Bellman error + β·KL; actor: its SAC
        loss; α: the temperature loss), so one backward pass of the sum and one optimiser step per
        parameter group is SAC's update. The target critics follow the critics by one Polyak step
        taken at the start of the next meta-step.
        """
        cfg = self.config
        if int(self.steps_done) > 0:
            self._polyak()
        index = batch.index
        fresh = self.replay.size[index] == 0
        if bool(fresh.any()):
            self.collect(batch[fresh], index[fresh], cfg["init_episodes"], 0)
        if int(self.steps_done) % cfg["collect_every"] == 0:
            k = min(cfg["collect_tasks"], len(batch))
            self.collect(batch[:k], index[:k], cfg["prior_episodes"], cfg["posterior_episodes"])
        losses = self.losses(index)
        self.steps_done += 1
        self.last_stats = {**{k: float(v.detach()) for k, v in losses.items()}, **self.last_collect}
        return losses["critic"] + cfg["kl_weight"] * losses["kl"] + losses["actor"] + losses["alpha"]

    def meta_step(self, batch: GoalTasks, optimizers: dict) -> dict[str, float]:
        """One meta-training step: :meth:`meta_loss`, backward, a step of every optimiser."""
        loss = self.meta_loss(batch)
        for opt in optimizers.values():
            opt.zero_grad(set_to_none=True)
        loss.backward()
        for opt in optimizers.values():
            opt.step()
        return {"loss": float(loss.detach()), **self.last_stats}

    # ---- meta-test: posterior sampling -------------------------------------------------------------
    @torch.no_grad()
    def explore(self, tasks: GoalTasks, n_episodes: int = 3, deterministic: bool = True,
                generator: torch.Generator | None = None, posterior_samples: int = 0, resample_every: int = 0):
        """Posterior sampling (Alg. 2) on new tasks: before episode k, z ~ q(z | episodes 1..k−1);
        with ``resample_every = m > 0`` also every m steps within an episode, from the episodes so far
        and the current one's transitions (Eq. 2 of the module docstring, a variant of the paper).

        Returns:
            ``(episodes, posteriors, samples)``: the list of :class:`Episodes` (one per exploration
            episode), the posterior *before* each episode (``n_episodes + 1`` of them, the last
            after all), and for each posterior ``posterior_samples`` latents ``[T, S, d]``.
        """
        check_int("n_episodes", n_episodes, 1, fix="Explore for at least one episode.")
        env = PointNavigation(**self.env_config, num_envs=len(tasks), device=tasks.goal.device)
        env.set_task(tasks)
        context = torch.zeros(len(tasks), 0, self.context_dim, device=tasks.goal.device)
        episodes, posteriors, samples = [], [], []
        for k in range(n_episodes + 1):
            post = self.posterior(context, n_tasks=len(tasks))
            posteriors.append(post)
            if posterior_samples:
                noise = torch.randn(len(tasks), posterior_samples, self.latent_dim, generator=generator)
                samples.append(post.mu.unsqueeze(1) + post.var.sqrt().unsqueeze(1) * noise)
            if k == n_episodes:
                break
            ep = self.run_episode(env, post.sample(generator), deterministic, generator, resample_every, context)
            episodes.append(ep)
            context = torch.cat([context, self.context_rows(ep.obs, ep.actions, ep.rewards, ep.next_obs)], 1)
        return episodes, posteriors, samples

    def score(self, tasks: GoalTasks, n_episodes: int = 3, generator: torch.Generator | None = None,
              resample_every: int = 0) -> Tensor:
        """Per-task sparse return of exploration episode ``n_episodes`` (after ``n_episodes − 1`` episodes of
        posterior sampling on the task, z resampled every ``resample_every`` steps if > 0), ``[T]`` — what
        ``evaluate`` averages."""
        episodes, _, _ = self.explore(tasks, n_episodes, generator=generator, resample_every=resample_every)
        return episodes[-1].returns


__all__ = ["ContextEncoder", "Episodes", "PEARL", "Posterior", "TaskReplay", "kl_to_standard_normal",
           "product_of_gaussians"]
