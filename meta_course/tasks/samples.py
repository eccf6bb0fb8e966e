"""The batch a generative learner trains on: unlabelled examples, grouped by task."""

from __future__ import annotations

from typing import NamedTuple

from torch import Tensor


class Samples(NamedTuple):
    """``x [T, n, ...]``: T tasks of n unlabelled examples each.

    On the 2-D ring T is 1 (one distribution, n points); for few-shot generation each task is one
    Omniglot character and its n drawings (:mod:`meta_course.tasks.drawings`).
    """

    x: Tensor

    def to(self, device) -> "Samples":
        return Samples(self.x.to(device))

    @property
    def n_tasks(self) -> int:
        return self.x.shape[0]

    def task(self, i: int) -> Tensor:
        """The examples of task ``i``: ``[n, ...]``."""
        return self.x[i]


__all__ = ["Samples"]
