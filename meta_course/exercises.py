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


# ---------------------------------------------------------------- lesson 07: MAML family on Omniglot
@exercise("maml_omniglot.zero_head_accuracy",
          "With a zero head every class gets the same logit; argmax returns the first class, 0. How many queries "
          "belong to class 0?")
def _zero_head_accuracy(fn) -> bool:
    """``fn(n_way)`` = accuracy of the transfer baseline's fresh zero head before any step (Q per class)."""
    from .algorithms.transfer import Transfer

    t = Transfer({"name": "mlp", "sizes": [4, 8]}, n_classes=6, in_shape=(4,))
    for n_way in (2, 5, 20):
        y = torch.arange(n_way).repeat(3)
        x = torch.randn(len(y), 4, generator=torch.Generator().manual_seed(n_way))
        got = (t.adapt(x, y, inner_steps=0)(x).argmax(1) == y).double().mean().item()
        if abs(float(fn(n_way)) - got) > 1e-9:
            return False
    return True


@exercise("maml_omniglot.first_step_head",
          "At W = 0 the softmax is uniform, so ∂L/∂W_c = (1/M) Σ_s (1/N − [y_s = c]) f_s; one step subtracts α times it.")
def _first_step_head(fn) -> bool:
    """``fn(features [M, d], labels [M], n_way, inner_lr) -> W [n_way, d]`` after one step from W = 0, b = 0."""
    g = torch.Generator().manual_seed(7)
    feats, labels = torch.randn(10, 6, generator=g, dtype=torch.float64), torch.arange(5).repeat(2)
    w = torch.zeros(5, 6, dtype=torch.float64, requires_grad=True)
    (grad_w,) = torch.autograd.grad(torch.nn.functional.cross_entropy(feats @ w.T, labels), w)
    got = fn(feats, labels, 5, 0.3)
    return torch.is_tensor(got) and got.shape == (5, 6) and torch.allclose(got.double(), -0.3 * grad_w)


@exercise("maml_omniglot.metasgd_numbers",
          "Meta-SGD learns θ and one α per coordinate of θ: count the entries of its checkpoint's state_dict.")
def _metasgd_numbers(answer) -> bool:
    """How many numbers the committed Meta-SGD Conv-4 meta-learns (θ and α together)."""
    from .algorithms import load_learner
    from .checkpoints import checkpoint_path

    learner = load_learner(checkpoint_path("metasgd_omniglot"))
    return answer == sum(p.numel() for p in learner.parameters())
