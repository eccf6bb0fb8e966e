"""One evaluation for every learner: mean and 95% confidence interval over held-out tasks."""

from __future__ import annotations

import contextlib
import math
from typing import NamedTuple

import torch
from torch import Tensor

from .core.checks import check_choice, check_int
from .tasks import Episode


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


def per_task_score(pred: Tensor, target: Tensor, metric: str) -> Tensor:
    """Per-task MSE (``[T, Q, d]`` → ``[T]``) or accuracy (logits ``[T, Q, C]``, labels ``[T, Q]``)."""
    if metric == "mse":
        return ((pred - target) ** 2).flatten(1).mean(1)
    return (pred.argmax(-1) == target).double().mean(1)


def evaluate(learner, episodes: Episode, metric: str | None = None, chunk: int = 250, **knobs) -> EvalResult:
    """Score ``learner`` on a batch of held-out tasks after adapting to each support set.

    Args:
        learner: anything with ``predict(episodes, **knobs)`` (every :class:`Learner`).
        episodes: tasks with a leading task dimension.
        metric: ``"mse"`` or ``"accuracy"``; defaults to ``learner.metric``.
        chunk: tasks per vectorised call (bounds memory).
        **knobs: passed to ``learner.adapt`` (e.g. ``inner_steps=10``).

    Example:
        >>> from meta_course.learners import load_learner
        >>> from meta_course.checkpoints import checkpoint_path
        >>> from meta_course.tasks.sine import SineTasks
        >>> maml = load_learner(checkpoint_path("maml_sine"))
        >>> tasks = SineTasks().sample(torch.Generator().manual_seed(1), 100, k_shot=5)
        >>> evaluate(maml, tasks, inner_steps=10).mean < 1.0
        True
    """
    metric = check_choice("metric", metric or learner.metric, ("mse", "accuracy"))
    check_int("chunk", chunk, 1)
    device = next(learner.parameters()).device
    scores = []
    for start in range(0, episodes.x_support.shape[0], chunk):
        part = Episode(*(t[start:start + chunk].to(device) for t in episodes))
        # torch.func.grad ignores an outer no_grad, so gradient-based learners still adapt here;
        # a learner that needs torch.autograd inside adapt sets ``adapt_needs_autograd = True``.
        grad_mode = contextlib.nullcontext() if getattr(learner, "adapt_needs_autograd", False) else torch.no_grad()
        with grad_mode:
            pred = learner.predict(part, **knobs)
        scores.append(per_task_score(pred.detach(), part.y_query, metric).cpu())
    per_task = torch.cat(scores)
    mean, ci = mean_ci95(per_task)
    return EvalResult(mean, ci, per_task.numel(), per_task)
