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


# --- lesson 03 · derivations ------------------------------------------------------------------------------

def _derivations_problem():
    from .models import MLP
    from .tasks import Episode
    from .tasks.sine import SineTasks

    torch.manual_seed(0)
    net = MLP((1, 8, 8, 1)).double()
    params = {k: v.detach() for k, v in net.named_parameters()}
    ep = SineTasks().sample(torch.Generator().manual_seed(3), 1, k_shot=5, n_query=5).task(0)
    return net, params, Episode(*(t.double() for t in ep))


@exercise("derivations.one_step", "(I − α∇²L_s(θ)) v with v = ∇L_q(θ′): compute v at θ′ = θ − α∇L_s(θ), then "
          "v − α·hvp(support_loss, θ, v) with meta_course.core.metagrad.hvp.")
def _one_step(fn) -> bool:
    """``fn(model, params, x_s, y_s, x_q, y_q, loss_fn, inner_lr) -> dict`` must equal the one-step meta-gradient."""
    from .core.metagrad import maml_meta_gradient, relative_error

    net, params, ep = _derivations_problem()
    want = maml_meta_gradient(net, params, *ep, torch.nn.functional.mse_loss, 0.05, 1)
    got = fn(net, params, *ep, torch.nn.functional.mse_loss, 0.05)
    return isinstance(got, dict) and set(got) == set(want) and relative_error(got, want) < 1e-8


@exercise("derivations.linear_adapt", "Each step is θ ← θ − α(Aθ − c) with (A, c) = quadratic_form(x, y); "
          "loop k times (or use matrix powers).")
def _linear_adapt(fn) -> bool:
    """``fn(theta, x_support, y_support, inner_lr, inner_steps) -> Tensor`` must equal closed_form_adapt."""
    from .tasks.linear import LinearTasks, closed_form_adapt

    ep = LinearTasks(dim=3).sample(torch.Generator().manual_seed(5), 1, k_shot=6, n_query=2).task(0)
    xs, ys = ep.x_support.double(), ep.y_support.double()
    theta = torch.linspace(-1, 1, 4, dtype=torch.double)
    want = closed_form_adapt(theta, xs, ys, 0.05, 4)
    got = fn(theta, xs, ys, 0.05, 4)
    return torch.is_tensor(got) and got.shape == want.shape and torch.allclose(got, want, rtol=1e-9, atol=1e-12)


@exercise("derivations.reptile_power", "Halving α divided the residual of the expansion by about 4 = 2^p: p is ...")
def _reptile_power(answer) -> bool:
    """The power of α in the residual of Reptile's second-order Taylor expansion (measured in lesson 03)."""
    from .derivations import loglog_slope, reptile_taylor_check
    from .models import MLP
    from .tasks.sine import SineTasks

    torch.manual_seed(0)
    net = MLP((1, 8, 8, 1)).double()
    params = {k: v.detach() for k, v in net.named_parameters()}
    ep = SineTasks().sample(torch.Generator().manual_seed(0), 1, 20, 5).task(0)
    batches = [(ep.x_support[i::2].double(), ep.y_support[i::2].double()) for i in range(2)]
    alphas = [0.002, 0.001, 0.0005]
    slope = loglog_slope(alphas, reptile_taylor_check(net, params, batches, torch.nn.functional.mse_loss, alphas).residual)
    return isinstance(answer, (int, float)) and answer == round(slope)


# --- lesson 04 · pitfalls ---------------------------------------------------------------------------------

@exercise("pitfalls.fix_no_create_graph", "Copy WRONG_no_create_graph_meta_gradient and pass create_graph=True to "
          "torch.autograd.grad in the inner loop.")
def _fix_no_create_graph(fn) -> bool:
    """``fn`` (a meta-gradient function) must pass the finite-difference catcher."""
    from .pitfalls import catch_wrong_meta_gradient

    try:
        catch_wrong_meta_gradient(fn)
    except AssertionError:
        return False
    return True


@exercise("pitfalls.which_bug", "Run every catcher in PITFALLS on mystery_meta_gradient; compare it with each "
          "wrong function's output on the same inputs.")
def _which_bug(answer) -> bool:
    """Name (a key of PITFALLS) of the bug inside :func:`mystery_meta_gradient`."""
    return answer == _mystery_name()


def _mystery_name() -> str:
    return sorted(("average_support", "no_create_graph", "stale_forward"))[1]


def mystery_meta_gradient(model, params, episodes, loss_fn, inner_lr, inner_steps):
    """A meta-gradient function with one of lesson 04's bugs (exercise ``pitfalls.which_bug``)."""
    from .pitfalls import PITFALLS

    return PITFALLS[_mystery_name()].wrong(model, params, episodes, loss_fn, inner_lr, inner_steps)
