"""Bernoulli k-armed bandits: the task family of RL²'s first experiment (Duan et al. 2016, §4.1).

A task is a vector of arm probabilities ``p ∈ [0, 1]^k`` drawn uniformly; pulling arm ``a`` pays
1 with probability ``p_a`` and 0 otherwise. One episode is a whole *trial* of ``n`` pulls of the
same bandit: the environment has no state besides the pull counter, and the observation is the
fraction of the trial already spent, ``t / n`` (so a policy knows how many pulls remain, as the
finite-horizon Bayes-optimal policy does). Duan et al. call every pull an "episode" of length one;
the two framings are the same decision problem — only the name of the ``done`` signal differs.

The *pseudo-regret* of a pull is ``max_j p_j − p_a`` (``info["regret"]``): the expected reward lost
by not pulling the best arm. Its sum over a trial is the cumulative regret the lesson plots.
"""

from __future__ import annotations

import dataclasses

import gymnasium as gym
import numpy as np
import torch
from torch import Tensor

from ...core.checks import check_int
from . import BatchedEnv, TaskBatch


@dataclasses.dataclass
class BanditTasks(TaskBatch):
    """Bernoulli bandit tasks: ``p [n_tasks, k]``, the success probability of every arm."""

    p: Tensor


class BernoulliBandits(BatchedEnv):
    """``num_envs`` Bernoulli k-armed bandits with ``n`` pulls per trial, stepped as one tensor op.

    Args:
        k: number of arms (≥ 2).
        n: pulls per trial (≥ 1); the episode terminates after the n-th pull.
        num_envs: bandits stepped together.
        device: where tensors live.

    Observation: ``[t / n]`` (float32, in [0, 1]). Action: an arm index in ``[0, k)``.
    Reward: 0 or 1. ``info``: ``expected_reward`` = p_a and ``regret`` = max_j p_j − p_a per env.

    References:
        Duan, Schulman, Chen, Bartlett, Sutskever & Abbeel (2016), "RL²: Fast Reinforcement Learning
        via Slow Reinforcement Learning", §4.1 (p ~ U[0, 1] per arm) and Table 1.

    Example:
        >>> env = BernoulliBandits(k=2, n=3, num_envs=2)
        >>> obs, _ = env.reset(seed=0, options={"task": BanditTasks(p=torch.tensor([[1., 0.], [0., 1.]]))})
        >>> env.step(torch.tensor([0, 0]))[1].tolist()
        [1.0, 0.0]
    """

    def __init__(self, k: int = 5, n: int = 10, num_envs: int = 1, device="cpu"):
        self.k = check_int("k", k, 2, fix="A bandit needs at least two arms to choose between.")
        self.n = check_int("n", n, 1, fix="A trial needs at least one pull.")
        super().__init__(num_envs, device)
        self.horizon = self.n
        self.single_observation_space = gym.spaces.Box(0.0, 1.0, shape=(1,), dtype=np.float32)
        self.single_action_space = gym.spaces.Discrete(self.k)

    def _sample_tasks(self, n: int, generator: torch.Generator) -> BanditTasks:
        # p_a ~ U[0, 1] independently for every arm (Duan et al. 2016, §4.1).
        return BanditTasks(p=torch.rand(n, self.k, generator=generator, device=generator.device))

    def _set_task(self, tasks: BanditTasks) -> None:
        p = tasks.p
        if p.ndim != 2 or p.shape[1] != self.k:
            raise ValueError(f"bandit tasks have p of shape {tuple(p.shape)}: expected (num_envs, k={self.k}).")
        if bool(((p < 0) | (p > 1)).any()):
            raise ValueError("bandit arm probabilities must lie in [0, 1]; sample them with env.sample_tasks(n).")
        self.p = p.to(torch.float32)

    def _observe(self) -> Tensor:
        return (self.t.to(torch.float32) / self.n).unsqueeze(-1)

    def _reset(self, mask: Tensor) -> Tensor:
        return self._observe()

    def _step(self, action: Tensor):
        p_a = self.p.gather(1, action.unsqueeze(1)).squeeze(1)
        u = torch.rand(self.num_envs, generator=self.generator, device=self.device)
        reward = (u < p_a).to(torch.float32)
        terminated = self.t + 1 >= self.n
        obs = ((self.t + 1).to(torch.float32) / self.n).unsqueeze(-1)
        info = {"expected_reward": p_a, "regret": self.p.max(dim=1).values - p_a}
        return obs, reward, terminated, info


def bandit_tasks(k: int = 5, n: int = 10):
    """The task sampler of the task table: ``sample(generator, n_tasks) -> BanditTasks`` (p ~ U[0, 1]^k).

    Example:
        >>> bandit_tasks(k=3)(torch.Generator().manual_seed(0), 4).p.shape
        torch.Size([4, 3])
    """
    family = BernoulliBandits(k=k, n=n)
    return lambda generator, n_tasks: family.sample_tasks(n_tasks, generator)


__all__ = ["BanditTasks", "BernoulliBandits", "bandit_tasks"]
