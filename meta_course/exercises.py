"""Self-checking exercises: ``check(name, answer)`` at the end of each lesson.

An unanswered exercise (``answer is None``) prints a hint and passes, so a lesson runs top to
bottom (and in CI) before the reader has tried anything; a wrong answer raises ``AssertionError``
with a hint; a right one prints ✓. The expected answers are computed by the package, not typed in.
"""

from __future__ import annotations

import functools
from typing import Callable

import torch

_CHECKS: dict[str, tuple[Callable, str]] = {}


def exercise(name: str, hint: str):
    """Register ``fn(answer) -> bool`` as the checker of exercise ``name``."""
    def deco(fn):
        _CHECKS[name] = (fn, hint)
        return fn
    return deco


def check(name: str, answer) -> bool | None:
    """Check ``answer`` for exercise ``name``: ✓, a hint if unanswered, AssertionError if wrong.

    Example:
        >>> check("sine.inner_step", None)
        ✗ not answered yet. Hint: θ' = θ − α ∇L(θ): one line per parameter.
    """
    if name not in _CHECKS:
        raise ValueError(f"unknown exercise {name!r}: allowed {sorted(_CHECKS)}.")
    fn, hint = _CHECKS[name]
    if answer is None:
        print(f"✗ not answered yet. Hint: {hint}")
        return None
    if not fn(answer):
        raise AssertionError(f"not quite. Hint: {hint}")
    print("✓ correct")
    return True


@exercise("sine.inner_step", "θ' = θ − α ∇L(θ): one line per parameter.")
def _inner_step(fn) -> bool:
    """``fn(params, grads, inner_lr) -> new params`` must equal :func:`meta_course.core.functional.sgd_step`."""
    from .core.functional import sgd_step

    g = torch.Generator().manual_seed(0)
    params = {"w": torch.randn(3, 2, generator=g), "b": torch.randn(2, generator=g)}
    grads = {k: torch.randn(v.shape, generator=g) for k, v in params.items()}
    got, want = fn(params, grads, 0.1), sgd_step(params, grads, 0.1)
    return set(got) == set(want) and all(torch.allclose(got[k], want[k]) for k in want)


@exercise("sine.hessian_term", "Differentiate θ − α∇L_s(θ) with respect to θ: the Jacobian is I − α∇²L_s(θ).")
def _hessian_term(answer) -> bool:
    """Which factor does first-order MAML drop? Accepts 'I - alpha * hessian' spellings."""
    text = str(answer).lower().replace(" ", "").replace("α", "alpha").replace("∇²", "hessian")
    return text in {"i-alpha*hessian", "i-alphahessian", "(i-alpha*hessian)", "i-alpha*h", "i-alphah"}


@exercise("sine.steps_needed", "Loop inner_steps over 1..10 with evaluate(maml, tasks, inner_steps=s) on the given tasks.")
def _steps_needed(answer) -> bool:
    """Fewest inner steps (1..10) after which MAML's mean MSE on the exercise's tasks is < 0.15."""
    return answer == _steps_needed_solution()


@functools.lru_cache(maxsize=1)
def _steps_needed_solution():
    from .algorithms import load_learner
    from .checkpoints import checkpoint_path
    from .evaluate import evaluate

    maml = load_learner(checkpoint_path("maml_sine"))
    tasks = steps_needed_tasks()
    for steps in range(1, 11):
        if evaluate(maml, tasks, inner_steps=steps).mean < 0.15:
            return steps
    return False


def steps_needed_tasks():
    """The held-out tasks of exercise ``sine.steps_needed``: 500 tasks, K=10, seed 11."""
    from .tasks.sine import SineTasks

    return SineTasks().sample(torch.Generator().manual_seed(11), 500, k_shot=10)


# --- lesson 06: metric learning -------------------------------------------------------------------
@exercise("metric.prototypes", "c_k is the mean of the support embeddings whose label is k: mask by y == k, then mean.")
def _metric_prototypes(fn) -> bool:
    """``fn(z_support, y_support, n_way) -> [n_way, d]`` must equal ProtoNet's Eq. 1."""
    from .algorithms.protonet import prototypes

    g = torch.Generator().manual_seed(0)
    z, y = torch.randn(12, 4, generator=g), torch.randperm(12, generator=g) % 3
    got = fn(z, y, 3)
    return torch.is_tensor(got) and got.shape == (3, 4) and torch.allclose(got, prototypes(z, y, 3), atol=1e-6)


@exercise("metric.linear_bias", "Expand −‖z − c_k‖² and keep the terms without z that depend on k.")
def _metric_linear_bias(fn) -> bool:
    """``fn(protos) -> b`` with b_k = −‖c_k‖², the bias of ProtoNet's linear-classifier form."""
    from .algorithms.protonet import linear_classifier

    protos = torch.randn(5, 3, generator=torch.Generator().manual_seed(1))
    got = fn(protos)
    return torch.is_tensor(got) and got.shape == (5,) and torch.allclose(got, linear_classifier(protos)[1])


@exercise("metric.attention_ratio", "a_i ∝ exp(scale · cos_i): the ratio of two weights is exp(scale · (cos_1 − cos_2)).")
def _metric_attention_ratio(answer) -> bool:
    """Matching-network attention with scale 10: weight ratio of supports with cosines 0.9 and 0.5."""
    import math

    return abs(float(answer) - math.exp(10 * (0.9 - 0.5))) < 0.01 * math.exp(4.0)
