"""One environment of a batched family as a standard ``gymnasium.Env``.

The course's families step many environments as one tensor operation (see
:mod:`meta_course.tasks.envs`); every other RL library expects Gymnasium's single-environment API.
:class:`GymEnv` bridges the two: it wraps a family instance built with ``num_envs=1`` and converts
tensors to numpy arrays, Python floats and bools.

Tasks: with ``task=`` the task is fixed forever. Otherwise a new task is drawn from the family at
the first ``reset`` and at every ``reset(seed=...)`` (so a seed determines the task and every
reward); ``reset()`` without a seed starts another episode of the same task (the next episode of an
RL² trial); ``reset(options={"task": tasks})`` sets one explicitly and
``reset(options={"new_task": True})`` draws a fresh one.
"""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import torch

from . import BatchedEnv, TaskBatch


class GymEnv(gym.Env):
    """A ``gymnasium.Env`` view of ONE environment of a batched family.

    Args:
        env: a :class:`BatchedEnv` with ``num_envs=1`` (e.g. ``BernoulliBandits(k=5, n=10)``).
        task: a fixed task (a :class:`TaskBatch` of length 1), or None to draw tasks on reset.

    Example:
        >>> from meta_course.tasks.envs.bandits import BernoulliBandits
        >>> env = GymEnv(BernoulliBandits(k=3, n=2))
        >>> obs, info = env.reset(seed=1)
        >>> obs, reward, terminated, truncated, info = env.step(0)
        >>> obs.dtype, type(reward), terminated
        (dtype('float32'), <class 'float'>, False)
    """

    metadata = {"render_modes": []}

    def __init__(self, env: BatchedEnv, task: TaskBatch | None = None):
        if not isinstance(env, BatchedEnv):
            raise ValueError(f"env={env!r} must be a BatchedEnv family instance, e.g. BernoulliBandits(k=5, n=10).")
        if env.num_envs != 1:
            raise ValueError(
                f"GymEnv wraps ONE environment but env has num_envs={env.num_envs}: build the family "
                f"with num_envs=1."
            )
        super().__init__()
        self.env = env
        self.observation_space = env.single_observation_space
        self.action_space = env.single_action_space
        self.fixed_task = task
        self._has_task = False
        if task is not None:
            env.set_task(task)
            self._has_task = True

    def reset(self, *, seed: int | None = None, options: dict | None = None):
        super().reset(seed=seed)  # seeds self.np_random (Gymnasium's contract)
        options = dict(options or {})
        task = options.pop("task", None)
        new_task = bool(options.pop("new_task", False))
        if options:
            raise ValueError(f"unknown reset options {sorted(options)}: allowed 'task' and 'new_task'.")
        if seed is not None:
            # The family draws from its own torch generator; derive its seed from Gymnasium's.
            self.env.generator.manual_seed(int(self.np_random.integers(2**62)))
        if task is not None:
            self.env.set_task(task)
        elif self.fixed_task is None and (seed is not None or new_task or not self._has_task):
            self.env.set_task(self.env.sample_tasks(1))
        self._has_task = True
        obs, info = self.env.reset()
        return self._obs(obs), self._info(info)

    def step(self, action):
        if isinstance(self.action_space, gym.spaces.Discrete):
            arr = np.asarray(action.cpu() if isinstance(action, torch.Tensor) else action)
            if arr.size != 1 or not np.issubdtype(arr.dtype, np.integer):
                raise ValueError(f"action {action!r} has shape {arr.shape} and dtype {arr.dtype}: expected one "
                                 f"integer in [0, {self.action_space.n}).")
            a = torch.tensor([int(arr.reshape(-1)[0])])
        else:  # the family checks the shape
            a = torch.as_tensor(np.asarray(action, dtype=np.float32)).unsqueeze(0)
        obs, reward, terminated, truncated, info = self.env.step(a)
        return self._obs(obs), float(reward[0]), bool(terminated[0]), bool(truncated[0]), self._info(info)

    def _obs(self, obs: torch.Tensor) -> np.ndarray:
        return obs[0].detach().cpu().numpy().astype(self.observation_space.dtype, copy=False)

    @staticmethod
    def _info(info: dict) -> dict:
        return {k: (v[0].item() if isinstance(v, torch.Tensor) and v.ndim >= 1 and v.numel() == v.shape[0] else v)
                for k, v in info.items()}


__all__ = ["GymEnv"]
