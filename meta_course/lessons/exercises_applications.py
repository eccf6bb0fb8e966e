"""Self-checking exercises of lesson 16 (cold-start recommendation). Importing this module registers them
with :func:`meta_course.lessons.exercises.check`; the expected answers come from the package."""

from __future__ import annotations

import functools
import math

import torch

from .exercises import check, exercise

__all__ = ["check", "exercise_users", "FINE_TUNING_LRS"]

#: the step sizes exercise ``applications.best_lr`` compares
FINE_TUNING_LRS = (0.01, 0.03, 0.1)


@exercise("applications.ndcg", "Sort each row by score (descending), take the first k, sum (2^rel − 1)/log2(rank + 1) "
          "with rank = 1..k; divide by the same sum over the rows sorted by relevance.")
def _ndcg(fn) -> bool:
    """``fn(scores [U, n], relevance [U, n], k) -> [U]`` must equal :func:`meta_course.tasks.recommendation.ndcg_at_k`."""
    from ..tasks.recommendation import ndcg_at_k

    g = torch.Generator().manual_seed(3)
    for k in (1, 3, 8):
        scores, rel = torch.randn(20, 8, generator=g), torch.randint(1, 6, (20, 8), generator=g).float()
        got = fn(scores, rel, k)
        if not (torch.is_tensor(got) and got.shape == (20,) and torch.allclose(got.float(), ndcg_at_k(scores, rel, k),
                                                                                atol=1e-5)):
            return False
    return True


def exercise_users():
    """The users of exercise ``applications.best_lr``: 300 new users with K = 5 ratings (seed 31)."""
    from ..tasks.recommendation import RecommendationTasks

    return RecommendationTasks().sample(torch.Generator().manual_seed(31), 300, k_shot=5, n_query=20)


@functools.lru_cache(maxsize=1)
def _fine_tuning_maes() -> dict:
    from ..checkpoints import checkpoint_path
    from ..learners import load_learner

    learner = load_learner(checkpoint_path("pretrained_recommendation"))
    ep = exercise_users()
    out = {}
    with torch.no_grad():
        for lr in FINE_TUNING_LRS:
            pred = learner.predict(ep, inner_lr=lr, inner_steps=20)
            out[lr] = (pred - ep.y_query).abs().mean().item()
    return out


@exercise("applications.best_lr", "For each α in FINE_TUNING_LRS: learner.predict(exercise_users(), inner_lr=α, "
          "inner_steps=20), then the mean |prediction − y_query|; answer the α with the lowest.")
def _best_lr(answer) -> bool:
    """Which fine-tuning step size (of :data:`FINE_TUNING_LRS`) gives the global model the lowest MAE after
    20 steps on :func:`exercise_users`?"""
    maes = _fine_tuning_maes()
    best = min(maes, key=lambda lr: maes[lr] if math.isfinite(maes[lr]) else math.inf)
    try:
        return math.isclose(float(answer), best, rel_tol=1e-9)
    except (TypeError, ValueError):
        return False
