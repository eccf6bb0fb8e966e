"""2-D point navigation: the task families of MAML-RL (dense reward) and PEARL (sparse reward).

A point robot starts at the origin of the plane; its observation is its position ``p ∈ R²`` and its
action a displacement, clipped to ``[-max_action, max_action]`` per coordinate. A task is a goal
``g``; the agent is never shown it and must infer it from rewards.

- **dense** (Finn et al. 2017, §5.3): goals uniform in the square ``[-0.5, 0.5]²``, reward
  ``−‖p − g‖`` after every step, horizon 100; the episode terminates when both coordinates are within
  0.01 of the goal. (The paper's text says "negative squared distance"; its reference code uses the
  distance, as here.)
- **sparse** (Rakelly et al. 2019, §6.3): goals on the half circle of radius 1
  (``g = (cos φ, sin φ)``, ``φ ~ U[0, π]``), reward ``1 − ‖p − g‖`` when ``‖p − g‖ ≤ goal_radius``
  (0.2) and 0 elsewhere, horizon 20. The dense reward ``−‖p − g‖`` is also returned in
  ``info["dense_reward"]``: PEARL's critic is meta-trained on it while the agent only ever *sees*
  the sparse reward (its context), as in the paper's reference code.

``info["distance"]`` is ``‖p − g‖`` after the step and ``info["success"]`` whether it is within
``goal_radius`` (the share of tasks whose episode *ends* there is the benchmark's success rate).

Example:
    >>> env = PointNavigation.sparse(num_envs=2)
    >>> obs, _ = env.reset(seed=0, options={"task": GoalTasks(goal=torch.tensor([[0., 1.], [1., 0.]]))})
    >>> obs, reward, terminated, truncated, info = env.step(torch.tensor([[0.0, 0.5], [0.1, 0.0]]))
    >>> obs.tolist()  # the first action is clipped to 0.1
    [[0.0, 0.10000000149011612], [0.10000000149011612, 0.0]]
    >>> reward.tolist(), info["dense_reward"].tolist()
    ([0.0, 0.0], [-0.8999999761581421, -0.8999999761581421])
"""

from __future__ import annotations

import dataclasses
import math

import gymnasium as gym
import numpy as np
import torch
from torch import Tensor

from ...core.checks import check_choice, check_int, check_positive
from . import BatchedEnv, TaskBatch

GOAL_LAYOUTS = ("square", "half_circle")
REWARDS = ("dense", "sparse")


@dataclasses.dataclass
class GoalTasks(TaskBatch):
    """Navigation tasks: ``goal [n_tasks, 2]``, the point each task rewards reaching."""

    goal: Tensor


@dataclasses.dataclass
class IndexedGoalTasks(GoalTasks):
    """Goals drawn from a fixed pool, with their ``index [n_tasks]`` in it (off-policy learners such
    as PEARL keep one replay buffer per pool task)."""

    index: Tensor


class GoalPool:
    """A fixed, seeded pool of ``n`` goals; ``sample(generator, n_tasks)`` draws tasks from it.

    PEARL meta-trains on such a pool (80 goals in the paper); held-out goals come from a different
    seed, so they are new tasks.

    Example:
        >>> pool = GoalPool("half_circle", 80, seed=0, size=1.0)
        >>> batch = pool.sample(torch.Generator().manual_seed(1), 4)
        >>> bool(torch.equal(batch.goal, pool.goals[batch.index]))
        True
    """

    def __init__(self, layout: str, n: int, seed: int = 0, size: float = 0.5):
        check_int("n", n, 1, fix="The pool needs at least one goal.")
        self.goals = sample_goals(layout, n, torch.Generator().manual_seed(seed), size=size, radius=size)

    def __len__(self) -> int:
        return len(self.goals)

    def sample(self, generator: torch.Generator, n_tasks: int) -> IndexedGoalTasks:
        check_int("n_tasks", n_tasks, 1, len(self), "Draw at most the pool's size (tasks are distinct).")
        index = torch.randperm(len(self), generator=generator)[:n_tasks]
        return IndexedGoalTasks(goal=self.goals[index], index=index)


def sample_goals(layout: str, n: int, generator: torch.Generator, size: float = 0.5, radius: float = 1.0) -> Tensor:
    """``n`` goals ``[n, 2]`` of a layout: uniform in ``[-size, size]²`` or on the upper half circle.

    Example:
        >>> g = sample_goals("half_circle", 4, torch.Generator().manual_seed(0))
        >>> bool(torch.allclose(g.norm(dim=1), torch.ones(4))), bool((g[:, 1] >= 0).all())
        (True, True)
    """
    check_choice("layout", layout, GOAL_LAYOUTS, "Use 'square' (MAML) or 'half_circle' (PEARL).")
    if layout == "square":
        return (2 * torch.rand(n, 2, generator=generator, device=generator.device) - 1) * size
    angle = math.pi * torch.rand(n, generator=generator, device=generator.device)
    return radius * torch.stack([torch.cos(angle), torch.sin(angle)], dim=1)


class PointNavigation(BatchedEnv):
    """``num_envs`` point robots on the plane, each with its own goal, stepped as one tensor op.

    Args:
        reward: ``"dense"`` (−distance every step) or ``"sparse"`` (1 − distance within
            ``goal_radius``, else 0).
        goals: ``"square"`` (uniform in ``[-goal_size, goal_size]²``) or ``"half_circle"``
            (radius ``goal_size``, upper half).
        goal_size: half-width of the square, or radius of the half circle (> 0).
        goal_radius: the sparse reward's radius and the success radius (> 0).
        max_action: per-coordinate clip of the action (> 0).
        horizon: steps per episode (≥ 1).
        terminate_within: end the episode when both coordinates are within this of the goal
            (MAML's 0.01; 0 never terminates early).
        num_envs, device: see :class:`~meta_course.tasks.envs.BatchedEnv`.

    Use :meth:`dense` and :meth:`sparse` for the two papers' settings.

    References:
        Finn, Abbeel & Levine (2017), "Model-Agnostic Meta-Learning ...", §5.3 (2-D navigation);
        Rakelly, Zhou, Quillen, Finn & Levine (2019), "Efficient Off-Policy Meta-Reinforcement
        Learning via Probabilistic Context Variables", §6.3 (sparse point robot).

    Example:
        >>> env = PointNavigation.dense(num_envs=3)
        >>> obs, _ = env.reset(seed=0)
        >>> obs.shape, env.horizon
        (torch.Size([3, 2]), 100)
    """

    def __init__(self, reward: str = "dense", goals: str = "square", goal_size: float = 0.5,
                 goal_radius: float = 0.2, max_action: float = 0.1, horizon: int = 100,
                 terminate_within: float = 0.0, num_envs: int = 1, device="cpu"):
        self.reward_type = check_choice("reward", reward, REWARDS, "Use 'dense' (MAML) or 'sparse' (PEARL).")
        self.goal_layout = check_choice("goals", goals, GOAL_LAYOUTS, "Use 'square' (MAML) or 'half_circle' (PEARL).")
        self.goal_size = check_positive("goal_size", goal_size, "The square's half-width or the circle's radius, e.g. 0.5 or 1.")
        self.goal_radius = check_positive("goal_radius", goal_radius, "The sparse reward's radius around the goal; PEARL uses 0.2.")
        self.max_action = check_positive("max_action", max_action, "The per-coordinate action clip; both papers use 0.1.")
        if not (0.0 <= float(terminate_within) < math.inf):
            raise ValueError(f"terminate_within={terminate_within} is out of range: allowed >= 0 (0: never terminate early).")
        self.terminate_within = float(terminate_within)
        super().__init__(num_envs, device)
        self.horizon = check_int("horizon", horizon, 1, fix="Steps per episode: MAML uses 100, PEARL 20.")
        bound = np.float32((self.horizon + 1) * self.max_action)  # beyond the farthest a robot can get (float32 sums)
        self.single_observation_space = gym.spaces.Box(-bound, bound, shape=(2,), dtype=np.float32)
        self.single_action_space = gym.spaces.Box(-np.float32(self.max_action), np.float32(self.max_action),
                                                  shape=(2,), dtype=np.float32)
        self.position = torch.zeros(self.num_envs, 2, device=self.device)
        self.goal = torch.zeros(self.num_envs, 2, device=self.device)

    @classmethod
    def dense(cls, num_envs: int = 1, device="cpu", **overrides) -> "PointNavigation":
        """MAML's 2-D navigation: goals in ``[-0.5, 0.5]²``, reward −distance, horizon 100.

        The paper defines no success radius; ``goal_radius=0.1`` (PEARL's 0.2 scaled to the
        half-size square) is used only for ``info["success"]``.
        """
        kw = dict(reward="dense", goals="square", goal_size=0.5, goal_radius=0.1, horizon=100, terminate_within=0.01)
        return cls(**{**kw, **overrides}, num_envs=num_envs, device=device)

    @classmethod
    def sparse(cls, num_envs: int = 1, device="cpu", **overrides) -> "PointNavigation":
        """PEARL's sparse point robot: goals on the unit half circle, reward within 0.2, horizon 20."""
        kw = dict(reward="sparse", goals="half_circle", goal_size=1.0, goal_radius=0.2, horizon=20)
        return cls(**{**kw, **overrides}, num_envs=num_envs, device=device)

    @property
    def config(self) -> dict:
        """The constructor's arguments (without ``num_envs``/``device``): ``PointNavigation(**config)``."""
        return dict(reward=self.reward_type, goals=self.goal_layout, goal_size=self.goal_size,
                    goal_radius=self.goal_radius, max_action=self.max_action, horizon=self.horizon,
                    terminate_within=self.terminate_within)

    # ---- hooks ---------------------------------------------------------------------------------
    def _sample_tasks(self, n: int, generator: torch.Generator) -> GoalTasks:
        return GoalTasks(goal=sample_goals(self.goal_layout, n, generator, size=self.goal_size, radius=self.goal_size))

    def _set_task(self, tasks: GoalTasks) -> None:
        goal = tasks.goal
        if goal.ndim != 2 or goal.shape[1] != 2 or not bool(torch.isfinite(goal).all()):
            raise ValueError(f"navigation tasks have goal of shape {tuple(goal.shape)}: expected finite (num_envs, 2).")
        self.goal = goal.to(torch.float32)

    def _reset(self, mask: Tensor) -> Tensor:
        self.position = torch.where(mask.unsqueeze(1), torch.zeros_like(self.position), self.position)
        return self.position.clone()

    def check_action(self, action) -> Tensor:
        action = super().check_action(action)
        if not bool(torch.isfinite(action).all()):
            raise ValueError("action contains NaN or inf: a policy's output went non-finite; check its parameters.")
        return action

    def rewards(self, position: Tensor, goal: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """(reward, dense reward, distance) at ``position`` for ``goal`` (any matching shapes ``[..., 2]``).

        A pure function of its arguments, so a learner or a widget can score positions without
        stepping the environment.
        """
        distance = (position - goal).norm(dim=-1)
        dense = -distance
        if self.reward_type == "dense":
            return dense, dense, distance
        inside = distance <= self.goal_radius
        return torch.where(inside, 1.0 - distance, torch.zeros_like(distance)), dense, distance

    def _step(self, action: Tensor):
        self.position = self.position + action.clamp(-self.max_action, self.max_action)
        reward, dense, distance = self.rewards(self.position, self.goal)
        if self.terminate_within > 0:
            terminated = ((self.position - self.goal).abs() < self.terminate_within).all(dim=1)
        else:
            terminated = torch.zeros(self.num_envs, dtype=torch.bool, device=self.device)
        info = {"dense_reward": dense, "distance": distance, "success": distance <= self.goal_radius}
        return self.position.clone(), reward, terminated, info


def navigation_tasks(goals: str = "square", goal_size: float = 0.5, pool: int = 0, pool_seed: int = 0):
    """Task family ``navigation``: ``sample(generator, n_tasks) -> GoalTasks``.

    Args:
        goals, goal_size: the goal layout (``"square"`` of half-width ``goal_size`` for MAML's dense
            task, ``"half_circle"`` of radius ``goal_size`` for PEARL's sparse task).
        pool: 0 draws fresh goals every time (a continuum of tasks); ``n > 0`` draws from a fixed
            pool of n goals (seeded by ``pool_seed``) and returns :class:`IndexedGoalTasks`.

    Example:
        >>> navigation_tasks()(torch.Generator().manual_seed(0), 3).goal.shape
        torch.Size([3, 2])
    """
    if pool:
        return GoalPool(goals, pool, seed=pool_seed, size=goal_size).sample
    check_choice("goals", goals, GOAL_LAYOUTS, "Use 'square' (MAML) or 'half_circle' (PEARL).")
    check_positive("goal_size", goal_size)

    def sample(generator: torch.Generator, n_tasks: int) -> GoalTasks:
        check_int("n_tasks", n_tasks, 1)
        return GoalTasks(goal=sample_goals(goals, n_tasks, generator, size=goal_size, radius=goal_size))

    return sample


__all__ = ["GoalPool", "GoalTasks", "IndexedGoalTasks", "PointNavigation", "navigation_tasks",
           "sample_goals"]
