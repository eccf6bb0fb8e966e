"""MAML for reinforcement learning (Finn, Abbeel & Levine 2017, §3.2 and §5.3).

A task T_i is an MDP (here: a navigation goal). The inner loop adapts the policy parameters with
one (or a few) policy-gradient steps on K trajectories sampled from the task with π_θ:

    θ'_i = θ + α ∇_θ J_i(θ),   ∇_θ J_i estimated by REINFORCE with a baseline          (Eq. 1, 4)

and the outer loop improves the *return after adaptation*, averaged over tasks:

    max_θ Σ_i J_i(θ'_i(θ)),   J_i estimated on new trajectories sampled with π_{θ'_i}       (Alg. 3)

The meta-gradient flows through θ'_i — through the inner policy gradient, so it contains the
second derivative of the inner surrogate (the same Hessian term as supervised MAML; ``first_order``
drops it). The paper takes the outer step with TRPO (a KL-constrained natural-gradient step); this
file takes a plain Adam step on the outer surrogate, which the lesson compares.

Like the paper's reference code, the outer gradient ignores how θ changes the distribution of the
*pre-update* trajectories (the term later added by E-MAML / ProMP / DiCE): the inner-loop samples
are treated as fixed data.

References:
    Finn, Abbeel & Levine (2017), "Model-Agnostic Meta-Learning for Fast Adaptation of Deep
    Networks", ICML — Algorithm 3, Eq. (4), §5.3 (2-D navigation, 20 trajectories per step,
    α = 0.1, horizon 100, meta-batch 20).
"""

from __future__ import annotations

from typing import NamedTuple

import torch
from torch import Tensor, nn
from torch.func import functional_call, grad, vmap

from ...core.checks import check_int, check_positive, check_range
from ...core.functional import Params, sgd_step
from ...models.policies import GaussianMLPPolicy, gaussian_log_prob
from ...tasks.envs.navigation import GoalTasks, PointNavigation
from ..base import Learner, Predictor
from .policy_gradient import advantages, surrogate_loss


class Rollout(NamedTuple):
    """Trajectories of a batch of tasks, ``N`` per task, ``H`` steps each.

    Attributes:
        obs: ``[T, N, H, d]`` the observation each action was taken at.
        actions: ``[T, N, H, a]`` the *normalised* actions u (the environment got ``scale · u``).
        rewards: ``[T, N, H]``.
        mask: ``[T, N, H]`` 1 while the episode runs, 0 after it terminated.
        success: ``[T, N]`` bool, the episode ended within the goal radius.
    """

    obs: Tensor
    actions: Tensor
    rewards: Tensor
    mask: Tensor
    success: Tensor

    @property
    def returns(self) -> Tensor:
        """Undiscounted return of every trajectory, ``[T, N]``."""
        return (self.rewards * self.mask).sum(-1)


def policy_forward(policy: nn.Module, params: Params, obs: Tensor, per_task: bool) -> tuple[Tensor, Tensor]:
    """(mean, log_std) of π for ``obs [T, ..., d]``; ``per_task``: params have a leading task dim."""
    if per_task:
        return vmap(lambda p, o: functional_call(policy, p, (o,)))(params, obs)
    return functional_call(policy, params, (obs,))


def rollout(policy: GaussianMLPPolicy, params: Params, env: PointNavigation, tasks: GoalTasks, n_traj: int,
            per_task: bool = False, generator: torch.Generator | None = None) -> Rollout:
    """Sample ``n_traj`` episodes of every task with π_params (no gradient).

    Args:
        policy: the network; ``params`` are used instead of its own.
        params: θ (shared by all tasks) or, with ``per_task=True``, fast parameters with a leading
            ``[T]`` dimension (one θ'_i per task).
        env: an environment family instance with ``num_envs = T · n_traj``.
        tasks: ``T`` tasks; environment ``i · n_traj + j`` runs episode j of task i.
        generator: source of the action noise (default: torch's global RNG).
    """
    T = len(tasks)
    check_int("n_traj", n_traj, 1, fix="Trajectories per task; MAML uses 20.")
    if env.num_envs != T * n_traj:
        raise ValueError(f"env has num_envs={env.num_envs} but {T} tasks x {n_traj} trajectories need "
                         f"{T * n_traj}: build it with num_envs=T*n_traj.")
    obs, _ = env.reset(options={"task": tasks.repeat(n_traj)})
    alive = torch.ones(T * n_traj, dtype=torch.bool, device=obs.device)
    success = torch.zeros(T * n_traj, dtype=torch.bool, device=obs.device)
    out = {k: [] for k in ("obs", "actions", "rewards", "mask")}
    with torch.no_grad():
        for _ in range(env.horizon):
            mean, log_std = policy_forward(policy, params, obs.view(T, n_traj, -1), per_task)
            noise = torch.randn(mean.shape, generator=generator, device=mean.device, dtype=mean.dtype)
            u = (mean + log_std.exp() * noise).reshape(T * n_traj, -1)
            next_obs, reward, terminated, truncated, info = env.step(policy.action_scale * u)
            out["obs"].append(obs), out["actions"].append(u)
            out["rewards"].append(reward * alive), out["mask"].append(alive.to(reward.dtype))
            success = torch.where(alive, info["success"], success)  # frozen once the episode ended
            alive = alive & ~terminated
            done = terminated | truncated
            if bool(done.all()):
                break
            if bool(done.any()):  # restart finished robots; their later steps are masked out
                next_obs, _ = env.reset(options={"mask": done})
            obs = next_obs
    H = len(out["obs"])
    stack = {k: torch.stack(v, dim=1).view(T, n_traj, H, *v[0].shape[1:]) for k, v in out.items()}
    return Rollout(stack["obs"], stack["actions"], stack["rewards"], stack["mask"], success.view(T, n_traj))


def log_prob(policy: GaussianMLPPolicy, params: Params, obs: Tensor, actions: Tensor, per_task: bool) -> Tensor:
    """log π_params(u | s) for every step of a rollout, ``[T, N, H]`` (differentiable in params)."""
    T = obs.shape[0]
    mean, log_std = policy_forward(policy, params, obs.reshape(T, -1, obs.shape[-1]), per_task)
    return gaussian_log_prob(mean, log_std, actions.reshape(T, -1, actions.shape[-1])).view(actions.shape[:-1])


def pg_loss(policy: GaussianMLPPolicy, params: Params, data: Rollout, adv: Tensor) -> Tensor:
    """The REINFORCE surrogate of ONE task: −mean_{n,t} log π(u_t|s_t) Â_t (shapes without ``T``)."""
    mean, log_std = functional_call(policy, params, (data.obs.reshape(-1, data.obs.shape[-1]),))
    lp = gaussian_log_prob(mean, log_std, data.actions.reshape(-1, data.actions.shape[-1])).view(adv.shape)
    return surrogate_loss(lp, adv, data.mask)


def inner_update(policy: GaussianMLPPolicy, params: Params, data: Rollout, inner_lr: float,
                 first_order: bool = False, gamma: float = 0.99) -> Params:
    """θ'_i = θ − α ∇_θ L_i(θ) for every task of ``data`` (Eq. 1 with the REINFORCE loss L_i = −Ĵ_i).

    ``params`` may be shared (no task dim) or per task (leading ``[T]``, for a second step). The
    result always has a leading ``[T]`` dimension. The gradient is taken with
    :func:`torch.func.grad` inside :func:`torch.func.vmap` over tasks, so an outer backward pass
    differentiates through it (second order) unless ``first_order``.
    """
    check_positive("inner_lr", inner_lr, "MAML-RL's step size is 0.1 in the paper; try 0.05-1.")
    adv = advantages(data.rewards, data.obs, data.mask, gamma)
    shared = all(params[k].shape == p.shape for k, p in policy.named_parameters())
    grads = vmap(grad(lambda p, d, a: pg_loss(policy, p, d, a)), in_dims=(None if shared else 0, 0, 0))(params, data, adv)
    if first_order:
        grads = {k: g.detach() for k, g in grads.items()}
    if shared:
        params = {k: v.expand(len(data.obs), *v.shape) for k, v in params.items()}
    return sgd_step(params, grads, inner_lr)





# ---- the learner --------------------------------------------------------------------------------
def _detached(params: Params) -> Params:
    return {k: v.detach() for k, v in params.items()}


class RolloutPredictor(Predictor):
    """:meth:`MAMLRL.adapt`'s result: a :class:`~meta_course.learners.base.Predictor` whose ``info`` also
    holds the trajectories sampled before each inner step (``info["positions"][j]``, ``[n_traj, H, 2]``),
    their mean returns and success rates — what the navigation widget draws."""

    def __init__(self, model, params, trajectory, rollouts: dict):
        super().__init__(model, params, trajectory)
        self.rollouts = rollouts

    @property
    def info(self) -> dict:
        return {**super().info, **self.rollouts}


class MAMLRL(Learner):
    """MAML-RL on a navigation task family: meta-learns the initial policy parameters θ.

    Args:
        env: :class:`PointNavigation` arguments, e.g. ``{"reward": "dense", "goals": "square", ...}``.
        hidden: hidden widths of the Gaussian MLP policy (the paper: 100, 100).
        inner_lr: α of the policy-gradient inner step(s).
        inner_steps: inner steps during meta-training (0: no adaptation — the jointly trained
            "pretrained" policy, which is fine-tuned at test time with the same inner step).
        n_traj: trajectories per task for each inner step and for the outer objective (the paper: 20).
        gamma: discount of the reward-to-go.
        first_order: drop the second-order term of the meta-gradient.
        init_std: the policy's initial σ in normalised action units.

    The batch of :meth:`meta_loss` is a :class:`GoalTasks`; the rollouts happen inside, drawing the
    action noise from torch's global RNG (which the training loop saves for bit-identical resume).

    Example:
        >>> learner = MAMLRL(hidden=(8,), n_traj=2)
        >>> tasks = learner.make_env(1).sample_tasks(3, torch.Generator().manual_seed(0))
        >>> learner.meta_loss(tasks).shape
        torch.Size([])
    """

    name = "maml-rl"
    metric = "return"
    higher_is_better = True

    def __init__(self, env: dict | None = None, hidden=(100, 100), inner_lr: float = 0.1, inner_steps: int = 1,
                 n_traj: int = 20, gamma: float = 0.99, first_order: bool = False, init_std: float = 1.0):
        super().__init__()
        env = dict(env or PointNavigation.dense().config)
        check_positive("inner_lr", inner_lr, "MAML-RL's step size is 0.1 in the paper; try 0.05-1.")
        check_int("inner_steps", inner_steps, 0, 10, "MAML-RL meta-trains with 1 inner step; 0 trains the joint policy.")
        check_int("n_traj", n_traj, 1, fix="Trajectories per task per step; the paper uses 20.")
        check_range("gamma", gamma, 0.0, 1.0, "A discount factor lies in [0, 1]; the paper uses 0.99.")
        check_positive("init_std", init_std, "The policy's initial action standard deviation, e.g. 1.0.")
        self.config = dict(env=env, hidden=list(hidden), inner_lr=inner_lr, inner_steps=inner_steps, n_traj=n_traj,
                           gamma=gamma, first_order=first_order, init_std=init_std)
        self.env_config = env
        self.policy = GaussianMLPPolicy(2, 2, tuple(hidden), init_std, action_scale=PointNavigation(**env).max_action)
        self.last_stats: dict[str, float] = {}

    def make_env(self, num_envs: int, device=None) -> PointNavigation:
        return PointNavigation(**self.env_config, num_envs=num_envs, device=device or self.policy.log_std.device)

    def params(self) -> Params:
        return dict(self.policy.named_parameters())

    def adapt_tasks(self, tasks: GoalTasks, inner_steps: int, n_traj: int | None = None, create_graph: bool = False,
                    generator: torch.Generator | None = None) -> tuple[list[Params], list[Rollout]]:
        """Run the inner loop on a batch of tasks: ``([θ, θ'_1, ...], [D_0, D_1, ...])``.

        ``D_j`` are ``n_traj`` fresh trajectories per task sampled with the parameters after j steps;
        ``θ'_{j+1}`` is one policy-gradient step from ``θ'_j`` on ``D_j`` (per task). With
        ``create_graph`` the fast parameters stay differentiable functions of θ (meta-training);
        otherwise everything is detached (evaluation).
        """
        n_traj = n_traj or self.config["n_traj"]
        env = self.make_env(len(tasks) * n_traj)
        path, data = [self.params() if create_graph else _detached(self.params())], []
        for j in range(inner_steps + 1):
            data.append(rollout(self.policy, _detached(path[-1]), env, tasks, n_traj, per_task=j > 0, generator=generator))
            if j == inner_steps:
                break
            fast = inner_update(self.policy, path[-1], data[-1], self.config["inner_lr"],
                                self.config["first_order"], self.config["gamma"])
            path.append(fast if create_graph else _detached(fast))
        return path, data

    def meta_loss(self, tasks: GoalTasks) -> Tensor:
        """The outer surrogate: −Ĵ(θ'_i(θ)) on trajectories of the adapted policies, mean over tasks."""
        k = self.config["inner_steps"]
        path, data = self.adapt_tasks(tasks, k, create_graph=True)
        last = data[-1]
        adv = advantages(last.rewards, last.obs, last.mask, self.config["gamma"])
        if k == 0:
            loss = vmap(lambda d, a: pg_loss(self.policy, path[0], d, a))(last, adv).mean()
        else:
            loss = vmap(lambda p, d, a: pg_loss(self.policy, p, d, a))(path[-1], last, adv).mean()
        self.last_stats = {"return_before": data[0].returns.mean().item(), "return_after": last.returns.mean().item()}
        return loss

    def meta_step(self, tasks: GoalTasks, optimizers: dict) -> dict[str, float]:
        """One outer step: Adam on the outer surrogate (the paper uses a TRPO step here)."""
        loss = self.meta_loss(tasks)
        for opt in optimizers.values():
            opt.zero_grad(set_to_none=True)
        loss.backward()
        for opt in optimizers.values():
            opt.step()
        return {"loss": loss.item(), **self.last_stats}

    def optimizers(self, outer_lr: float) -> dict[str, torch.optim.Optimizer]:
        return {"outer": torch.optim.Adam(self.parameters(), lr=outer_lr)}

    @torch.no_grad()
    def adaptation_curve(self, tasks: GoalTasks, inner_steps: int = 3, n_traj: int | None = None,
                         generator: torch.Generator | None = None) -> tuple[Tensor, Tensor]:
        """Mean return and success rate per task after 0..inner_steps steps: two ``[inner_steps + 1, T]``."""
        with torch.enable_grad():  # the inner steps need gradients even in evaluation
            _, data = self.adapt_tasks(tasks, inner_steps, n_traj, generator=generator)
        returns = torch.stack([d.returns.mean(1) for d in data])
        success = torch.stack([d.success.float().mean(1) for d in data])
        return returns, success

    def adapt(self, tasks: GoalTasks, inner_steps: int = 1, n_traj: int | None = None,
              generator: torch.Generator | None = None) -> Predictor:
        """The policy adapted to ONE task (a :class:`GoalTasks` of length 1) by ``inner_steps`` steps.

        ``predictor(obs)`` returns the (mean, log_std) of the adapted policy; ``predictor.info``
        holds the trajectories sampled before each step and their mean returns (what a widget draws).
        """
        if len(tasks) != 1:
            raise ValueError(f"adapt takes one task, got {len(tasks)}: pass tasks[i] (use score() for a batch).")
        with torch.enable_grad():
            path, data = self.adapt_tasks(tasks, inner_steps, n_traj, generator=generator)
        last = {k: (v[0] if inner_steps else v) for k, v in path[-1].items()}
        return RolloutPredictor(self.policy, last, [{k: (v[0] if j else v) for k, v in p.items()} for j, p in enumerate(path)],
                                rollouts={"positions": [d.obs[0] for d in data],
                                          "returns": [float(d.returns.mean()) for d in data],
                                          "success": [float(d.success.float().mean()) for d in data]})

    def score(self, tasks: GoalTasks, inner_steps: int = 1, n_traj: int | None = None,
              generator: torch.Generator | None = None) -> Tensor:
        """Per-task mean return after ``inner_steps`` policy-gradient steps, ``[T]``."""
        return self.adaptation_curve(tasks, inner_steps, n_traj, generator)[0][-1]


class PretrainedRL(MAMLRL):
    """The baseline of the MAML paper's §5.3: one policy trained on all tasks at once (the same
    REINFORCE objective, no inner step: ``inner_steps=0``), fine-tuned on a new task with the same
    inner policy-gradient step(s) as MAML-RL."""

    name = "pretrained-rl"

    def __init__(self, **kw):
        kw.setdefault("inner_steps", 0)
        super().__init__(**kw)


@torch.no_grad()
def random_policy_returns(env_config: dict, tasks: GoalTasks, n_traj: int = 20,
                          generator: torch.Generator | None = None) -> tuple[Tensor, Tensor]:
    """Mean return and success rate per task of uniformly random actions, ``[T]`` each."""
    env = PointNavigation(**env_config, num_envs=len(tasks) * n_traj, device=tasks.goal.device)
    env.reset(options={"task": tasks.repeat(n_traj)})
    total = torch.zeros(env.num_envs, device=tasks.goal.device)
    alive = torch.ones(env.num_envs, dtype=torch.bool, device=tasks.goal.device)
    success = torch.zeros_like(alive)
    for _ in range(env.horizon):
        a = (2 * torch.rand(env.num_envs, 2, generator=generator, device=tasks.goal.device) - 1) * env.max_action
        _, r, term, trunc, info = env.step(a)
        total += r * alive
        success = torch.where(alive, info["success"], success)
        alive &= ~term
        done = term | trunc
        if bool(done.all()):
            break
        if bool(done.any()):
            env.reset(options={"mask": done})
    return total.view(len(tasks), n_traj).mean(1), success.view(len(tasks), n_traj).float().mean(1)

__all__ = ["MAMLRL", "PretrainedRL", "Rollout", "RolloutPredictor", "inner_update", "log_prob", "pg_loss", "policy_forward",
           "random_policy_returns", "rollout"]
