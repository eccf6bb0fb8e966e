"""Batched reinforcement-learning environments: task families stepped as one tensor operation.

The convention every environment family of the course follows (bandits, navigation, ...):

**One object, many environments.** A family subclasses :class:`BatchedEnv`. An instance holds
``num_envs`` environments on one ``device``; every state is a tensor with a leading ``[num_envs]``
dimension and one ``step`` advances all of them at once (no Python loop over environments), so a
whole meta-batch of tasks is rolled out on CPU or GPU in a handful of tensor operations.

**Tasks.** ``env.sample_tasks(n, generator=None)`` returns a :class:`TaskBatch` (a dataclass of
tensors with a leading ``[n]`` dimension and ``.to(device)``, ``len``, indexing); e.g. bandit arm
probabilities ``p [n, k]`` or navigation goals ``goal [n, 2]``. ``env.set_task(tasks)`` gives
environment ``i`` the task ``tasks[i]`` (``len(tasks)`` must be ``num_envs``, or 1 to give every
environment the same task). A task stays set across ``reset`` calls: a *trial* (RL²) is several
consecutive episodes of the same task, and only ``set_task`` (or ``reset(options={"task": ...})``)
changes it. If no task was ever set, the first ``reset`` samples one per environment.

**Gymnasium semantics, batched.** Spaces describe ONE environment (``single_observation_space``,
``single_action_space``, as in ``gymnasium.vector``); tensors carry the batch dimension:

- ``obs, info = env.reset(seed=None, options=None)`` → ``obs [num_envs, *obs_shape]`` float32.
  ``seed`` re-seeds the environment's own ``torch.Generator`` (``env.generator``), the only source
  of randomness of the family (stochastic rewards, start states, sampled tasks), so the same seed,
  tasks and actions give bit-identical rollouts. ``options={"mask": m}`` (bool ``[num_envs]``)
  resets only the environments where ``m`` is True (the others keep their state and their
  current observation is returned); ``options={"task": tasks}`` calls ``set_task`` first.
- ``obs, reward, terminated, truncated, info = env.step(action)``: ``action`` is ``[num_envs]``
  int64 for a ``Discrete`` action space, ``[num_envs, *shape]`` float for a ``Box``; ``reward``
  ``[num_envs]`` float32; ``terminated`` / ``truncated`` ``[num_envs]`` bool (terminated: a terminal
  state of the task's MDP, do not bootstrap; truncated: the time limit ``env.horizon`` cut the episode
  short, see :meth:`BatchedEnv.step`). ``info`` is a dict of ``[num_envs]`` tensors (e.g. bandits'
  expected regret of the pull). A wrong action shape or an out-of-range discrete action raises
  ``ValueError`` naming the shape expected.
- No auto-reset: stepping an environment whose episode has ended raises ``ValueError``; call
  ``env.reset(options={"mask": terminated | truncated})`` (or ``reset()``) first. Episodes of
  different environments may therefore end at different times.

**A family implements four hooks**: ``_sample_tasks(n, generator) -> TaskBatch``,
``_set_task(tasks)`` (tasks already broadcast to ``num_envs`` rows and on ``device``),
``_reset(mask) -> obs`` (reset the state of the masked environments, return the observation of all)
and ``_step(action) -> (obs, reward, terminated, info)`` (``action`` already checked); it sets
``single_observation_space``, ``single_action_space`` and ``horizon`` (steps per episode, or None).
The base class keeps the step counter ``env.t [num_envs]``, the time limit, the done mask and the
checks.

**One environment as a** ``gymnasium.Env``: :class:`meta_course.tasks.envs.gym.GymEnv` wraps a
family instance with ``num_envs=1`` (numpy observations, Python floats and bools), and passes
``gymnasium.utils.env_checker.check_env``.

Example:
    >>> from meta_course.tasks.envs.bandits import BernoulliBandits
    >>> env = BernoulliBandits(k=5, n=10, num_envs=3)
    >>> tasks = env.sample_tasks(3, torch.Generator().manual_seed(0))
    >>> obs, info = env.reset(seed=0, options={"task": tasks})
    >>> obs, reward, terminated, truncated, info = env.step(torch.tensor([0, 1, 4]))
    >>> tuple(obs.shape), reward.dtype, terminated.tolist()
    ((3, 1), torch.float32, [False, False, False])
"""

from __future__ import annotations

import dataclasses
from typing import Any

import gymnasium
import numpy as np
import torch
from torch import Tensor

from ...core.checks import check_int


@dataclasses.dataclass
class TaskBatch:
    """Base of a family's tasks: a dataclass whose fields are tensors with a leading ``[n]`` dim.

    Subclasses only declare their fields (e.g. ``p: Tensor``); ``to``, ``len`` and indexing come
    from here. ``tasks[i]`` keeps the leading dimension (a batch of one task).
    """

    def _tensors(self) -> dict[str, Tensor]:
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}

    def to(self, device) -> "TaskBatch":
        return type(self)(**{k: v.to(device) for k, v in self._tensors().items()})

    def __len__(self) -> int:
        return next(iter(self._tensors().values())).shape[0]

    def __getitem__(self, index) -> "TaskBatch":
        if isinstance(index, int):
            index = slice(index, index + 1 if index != -1 else None)
        return type(self)(**{k: v[index] for k, v in self._tensors().items()})

    def repeat(self, times: int) -> "TaskBatch":
        """Every task repeated ``times`` times in a row (task-major): ``[t0, t0, .., t1, t1, ..]``."""
        return type(self)(**{k: v.repeat_interleave(times, dim=0) for k, v in self._tensors().items()})


class BatchedEnv:
    """Base class of the batched environment families (see the module docstring for the contract).

    Args:
        num_envs: how many environments are stepped together (≥ 1).
        device: where every state, observation and reward tensor lives.

    Attributes:
        generator: the ``torch.Generator`` all randomness is drawn from; ``reset(seed=s)`` seeds it.
        t: ``[num_envs]`` int64, steps taken in the current episode.
        task: the :class:`TaskBatch` currently set (``num_envs`` rows), or None.
    """

    single_observation_space: gymnasium.spaces.Space
    single_action_space: gymnasium.spaces.Space
    horizon: int | None = None

    def __init__(self, num_envs: int = 1, device: str | torch.device = "cpu"):
        self.num_envs = check_int("num_envs", num_envs, 1, fix="Step at least one environment.")
        self.device = torch.device(device)
        self.generator = torch.Generator(device=self.device)
        self.generator.manual_seed(0)
        self.task: TaskBatch | None = None
        self.t = torch.zeros(self.num_envs, dtype=torch.long, device=self.device)
        self._done = torch.ones(self.num_envs, dtype=torch.bool, device=self.device)
        self._obs: Tensor | None = None

    # ---- task family -------------------------------------------------------------------------
    def sample_tasks(self, n: int, generator: torch.Generator | None = None) -> TaskBatch:
        """``n`` tasks of the family (from ``generator``, default the environment's own), on ``device``."""
        check_int("n", n, 1, fix="Ask for at least one task.")
        return self._sample_tasks(n, generator if generator is not None else self.generator).to(self.device)

    def set_task(self, tasks: TaskBatch) -> None:
        """Give environment ``i`` the task ``tasks[i]`` (one task is broadcast to every environment)."""
        if not isinstance(tasks, TaskBatch):
            raise ValueError(f"tasks={tasks!r} must be a TaskBatch from env.sample_tasks(n).")
        if len(tasks) == 1 and self.num_envs > 1:
            tasks = tasks.repeat(self.num_envs)
        if len(tasks) != self.num_envs:
            raise ValueError(
                f"got {len(tasks)} tasks for num_envs={self.num_envs} environments: pass exactly "
                f"{self.num_envs} tasks (or 1, shared by all), e.g. env.sample_tasks({self.num_envs})."
            )
        self.task = tasks.to(self.device)
        self._set_task(self.task)
        self._done = torch.ones_like(self._done)  # a new task starts with a reset

    # ---- gymnasium semantics, batched -----------------------------------------------------------
    def reset(self, *, seed: int | None = None, options: dict | None = None) -> tuple[Tensor, dict]:
        """Start new episodes (all, or ``options["mask"]``); see the module docstring."""
        options = dict(options or {})
        if seed is not None:
            self.generator.manual_seed(int(seed))
        if "task" in options:
            self.set_task(options.pop("task"))
        if self.task is None:
            self.set_task(self.sample_tasks(self.num_envs))
        mask = options.pop("mask", None)
        if options:
            raise ValueError(f"unknown reset options {sorted(options)}: allowed 'mask' and 'task'.")
        if mask is None:
            mask = torch.ones(self.num_envs, dtype=torch.bool, device=self.device)
        else:
            mask = torch.as_tensor(mask, device=self.device)
            if mask.dtype != torch.bool or tuple(mask.shape) != (self.num_envs,):
                raise ValueError(
                    f"reset mask has shape {tuple(mask.shape)} and dtype {mask.dtype}: it must be a "
                    f"bool tensor of shape ({self.num_envs},), e.g. terminated | truncated."
                )
        self.t = torch.where(mask, torch.zeros_like(self.t), self.t)
        self._done = self._done & ~mask
        self._obs = self._reset(mask)
        return self._obs, {}

    def step(self, action) -> tuple[Tensor, Tensor, Tensor, Tensor, dict]:
        """Advance every environment by one step.

        ``truncated`` is True where the episode reached ``horizon`` steps without terminating.
        """
        if self._obs is None:
            raise ValueError("step() before reset(): call env.reset(seed=...) first.")
        if bool(self._done.any()):
            ended = self._done.nonzero().flatten().tolist()
            raise ValueError(
                f"environments {ended[:10]} have ended their episode: call "
                f"env.reset(options={{'mask': terminated | truncated}}) before stepping them again."
            )
        action = self.check_action(action)
        obs, reward, terminated, info = self._step(action)
        self.t = self.t + 1
        if self.horizon is not None:
            truncated = (self.t >= self.horizon) & ~terminated
        else:
            truncated = torch.zeros_like(terminated)
        self._done = terminated | truncated
        self._obs = obs
        return obs, reward, terminated, truncated, info

    def check_action(self, action) -> Tensor:
        """``action`` as a tensor on ``device``; ``ValueError`` naming the expected shape if it is wrong."""
        space = self.single_action_space
        action = torch.as_tensor(action, device=self.device)
        if isinstance(space, gymnasium.spaces.Discrete):
            if tuple(action.shape) != (self.num_envs,) or action.is_floating_point() or action.dtype == torch.bool:
                raise ValueError(
                    f"action has shape {tuple(action.shape)} and dtype {action.dtype}: expected integer "
                    f"arm/action indices of shape ({self.num_envs},), one per environment."
                )
            low, high = int(space.start), int(space.start) + int(space.n) - 1
            if bool(((action < low) | (action > high)).any()):
                bad = action[(action < low) | (action > high)][0].item()
                raise ValueError(f"action {bad} is out of range: allowed [{low}, {high}] (one of {space.n} actions).")
            return action.long()
        if isinstance(space, gymnasium.spaces.Box):
            expected = (self.num_envs, *space.shape)
            if tuple(action.shape) != expected:
                raise ValueError(
                    f"action has shape {tuple(action.shape)}: expected {expected} "
                    f"(num_envs={self.num_envs} actions of shape {space.shape})."
                )
            return action.to(torch.float32)
        raise NotImplementedError(f"action space {space} has no check; override check_action.")

    # ---- hooks a family implements ----------------------------------------------------------------
    def _sample_tasks(self, n: int, generator: torch.Generator) -> TaskBatch:
        raise NotImplementedError

    def _set_task(self, tasks: TaskBatch) -> None:
        raise NotImplementedError

    def _reset(self, mask: Tensor) -> Tensor:
        raise NotImplementedError

    def _step(self, action: Tensor) -> tuple[Tensor, Tensor, Tensor, dict[str, Any]]:
        raise NotImplementedError


def obs_dim(space: gymnasium.spaces.Space) -> int:
    """Length of a flattened observation of ``space`` (what a policy network takes as input)."""
    return int(np.prod(space.shape)) if space.shape else 1


__all__ = ["BatchedEnv", "TaskBatch", "obs_dim"]
