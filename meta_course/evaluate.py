"""One evaluation for every learner: mean and 95% confidence interval of its metric over held-out tasks."""

from __future__ import annotations

import math
from typing import NamedTuple

import torch
from torch import Tensor

from .core.checks import check_int
from .learners.base import per_task_score

__all__ = ["EvalResult", "evaluate", "mean_ci95", "per_task_score"]


class EvalResult(NamedTuple):
    """``mean ± ci95`` over ``n`` tasks; ``per_task`` holds the individual scores."""

    mean: float
    ci95: float
    n: int
    per_task: Tensor

    def __str__(self) -> str:
        return f"{self.mean:.3f} ± {self.ci95:.3f} (n={self.n})"


def mean_ci95(values: Tensor) -> tuple[float, float]:
    """Mean and the half-width of its normal-approximation 95% confidence interval, 1.96·s/√n."""
    values = values.double().flatten()
    n = values.numel()
    if n == 0:
        raise ValueError("mean_ci95 needs at least one value: evaluate on >= 1 task.")
    sd = values.std(unbiased=True).item() if n > 1 else float("nan")
    return values.mean().item(), 1.96 * sd / math.sqrt(n)


def _chunks(tasks, size: int, device):
    """The batch in chunks of ``size`` tasks when it is a tuple of tensors with a leading task dimension
    (an Episode, a NamedTuple); any other batch (with ``.to``) in one piece."""
    if not (isinstance(tasks, tuple) and tasks and all(isinstance(t, Tensor) for t in tasks)):
        yield tasks.to(device)
        return
    n = tasks[0].shape[0]
    for start in range(0, n, size):
        yield type(tasks)(*(t[start:start + size] for t in tasks)).to(device)


def evaluate(learner, tasks, metric: str | None = None, chunk: int = 250, **knobs) -> EvalResult:
    """Score ``learner`` on a batch of held-out tasks: mean ± 95% CI of ``learner.score`` over the tasks.

    Args:
        learner: any :class:`~meta_course.learners.base.Learner` (its ``score(tasks, **knobs) -> [T]``).
        tasks: held-out tasks with a leading task dimension (an Episode, or a family's batch with ``.to``).
        metric: overrides ``learner.metric`` (passed to ``score``; the default score knows "mse" and
            "accuracy").
        chunk: tasks per call of ``score`` (bounds memory).
        **knobs: passed to ``learner.score`` and from there to ``adapt`` (e.g. ``inner_steps=10``).

    Example:
        >>> from meta_course.learners import load_learner
        >>> from meta_course.checkpoints import checkpoint_path
        >>> from meta_course.tasks.sine import SineTasks
        >>> maml = load_learner(checkpoint_path("maml_sine"))
        >>> tasks = SineTasks().sample(torch.Generator().manual_seed(1), 100, k_shot=5)
        >>> evaluate(maml, tasks, inner_steps=10).mean < 1.0
        True
    """
    check_int("chunk", chunk, 1)
    p = next(iter(learner.parameters()), None)
    device = p.device if p is not None else torch.device("cpu")
    if metric is not None:
        knobs["metric"] = metric
    scores = []
    for part in _chunks(tasks, chunk, device):
        # torch.func.grad ignores an outer no_grad, so gradient-based learners still adapt here
        with torch.no_grad():
            scores.append(learner.score(part, **knobs).detach().cpu())
    per_task = torch.cat(scores)
    mean, ci = mean_ci95(per_task)
    return EvalResult(mean, ci, per_task.numel(), per_task)
