"""Sine-wave regression tasks (Finn et al. 2017, Section 5.1).

A task is y = A·sin(x − φ) with amplitude A ~ U[0.1, 5] and phase φ ~ U[0, π]; inputs
x ~ U[−5, 5]. The source article of the course draws x from [−π, π] instead: every range is an
argument, so both settings are one keyword away.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import torch

from ..core.checks import check_int
from .episode import Episode


@dataclass(frozen=True)
class SineTasks:
    """The distribution p(T) over sine tasks.

    Args:
        amplitude: (low, high) of the uniform amplitude distribution.
        phase: (low, high) of the uniform phase distribution, radians.
        x_range: (low, high) of the uniform input distribution.

    References:
        Finn, Abbeel & Levine (2017), Section 5.1 and Appendix C.

    Example:
        >>> g = torch.Generator().manual_seed(0)
        >>> ep = SineTasks().sample(g, n_tasks=25, k_shot=10, n_query=10)
        >>> tuple(ep.x_support.shape), tuple(ep.y_query.shape)
        ((25, 10, 1), (25, 10, 1))
    """

    amplitude: tuple[float, float] = (0.1, 5.0)
    phase: tuple[float, float] = (0.0, math.pi)
    x_range: tuple[float, float] = (-5.0, 5.0)

    def __post_init__(self):
        for name in ("amplitude", "phase", "x_range"):
            low, high = getattr(self, name)
            # finite and of moderate size: samples are float32, and a range wider than float32 samples NaN
            if not (-1e6 <= low < high <= 1e6):
                raise ValueError(f"{name}=({low}, {high}) must satisfy low < high, both finite within ±1e6, "
                                 "e.g. (0.1, 5.0).")

    def _uniform(self, g: torch.Generator, shape, bounds) -> torch.Tensor:
        low, high = bounds
        return low + (high - low) * torch.rand(shape, generator=g)

    def sample_params(self, g: torch.Generator, n_tasks: int) -> tuple[torch.Tensor, torch.Tensor]:
        """Amplitudes and phases of ``n_tasks`` tasks, each of shape ``[n_tasks]``."""
        check_int("n_tasks", n_tasks, 1, fix="Ask for at least one task.")
        return self._uniform(g, (n_tasks,), self.amplitude), self._uniform(g, (n_tasks,), self.phase)

    @staticmethod
    def function(x: torch.Tensor, amplitude, phase) -> torch.Tensor:
        """y = A·sin(x − φ)."""
        return amplitude * torch.sin(x - phase)

    def sample_x(self, g: torch.Generator, n_tasks: int, n: int) -> torch.Tensor:
        return self._uniform(g, (n_tasks, n, 1), self.x_range)

    def episodes(self, amplitude, phase, x_support, x_query) -> Episode:
        """The episode of given tasks at given inputs (``amplitude``/``phase``: ``[T]``)."""
        a, p = amplitude.view(-1, 1, 1), phase.view(-1, 1, 1)
        return Episode(x_support, self.function(x_support, a, p), x_query, self.function(x_query, a, p))

    def sample(self, g: torch.Generator, n_tasks: int, k_shot: int, n_query: int = 10) -> Episode:
        """A meta-batch of ``n_tasks`` episodes with K support and ``n_query`` query points each."""
        check_int("k_shot", k_shot, 1, 10_000, "K is the number of support points per task; try 5 or 10.")
        check_int("n_query", n_query, 1, 100_000, "Use at least one query point per task.")
        amplitude, phase = self.sample_params(g, n_tasks)
        return self.episodes(amplitude, phase, self.sample_x(g, n_tasks, k_shot), self.sample_x(g, n_tasks, n_query))


def sine_tasks(k_shot: int, n_query: int = 10, **distribution):
    """Task family ``"sine"``: ``sample(generator, n_tasks) -> Episode`` with K = ``k_shot`` support points.

    ``distribution`` holds :class:`SineTasks`' ranges (amplitude, phase, x_range).
    """
    return functools.partial(SineTasks(**distribution).sample, k_shot=k_shot, n_query=n_query)
