"""The Episode: one few-shot task (or a batch of them) as four tensors."""

from typing import NamedTuple

import torch


class Episode(NamedTuple):
    """One few-shot task (or a batch of tasks with a leading task dimension).

    Attributes:
        x_support: inputs the learner adapts on, ``[K, ...]`` (or ``[T, K, ...]``).
        y_support: their targets.
        x_query: held-out inputs of the same task the adapted learner is scored on.
        y_query: their targets.
    """

    x_support: torch.Tensor
    y_support: torch.Tensor
    x_query: torch.Tensor
    y_query: torch.Tensor

    def to(self, device) -> "Episode":
        return Episode(*(t.to(device) for t in self))

    def task(self, i: int) -> "Episode":
        """Task ``i`` of a batch of episodes."""
        return Episode(*(t[i] for t in self))

    @property
    def n_tasks(self) -> int:
        return self.x_support.shape[0]

