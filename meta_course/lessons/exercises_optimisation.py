"""Self-checking exercises of lesson 05 (the optimisation-based family).

Importing this module registers them with :func:`meta_course.lessons.exercises.check`; the expected answers
are computed by the package, never typed in.
"""

from __future__ import annotations

import functools

import torch

from .exercises import check, exercise

__all__ = ["check"]


@exercise("optim.reptile_update", "θ + ε · mean_i(φ_i − θ): average the differences over tasks, one line per parameter.")
def _reptile_update(fn) -> bool:
    """``fn(theta, phis, epsilon) -> new theta``; ``phis`` is a list of dicts (one per task)."""
    g = torch.Generator().manual_seed(5)
    theta = {"w": torch.randn(3, 2, generator=g), "b": torch.randn(2, generator=g)}
    phis = [{k: v + torch.randn(v.shape, generator=g) for k, v in theta.items()} for _ in range(4)]
    got = fn(theta, phis, 0.3)
    want = {k: theta[k] + 0.3 * torch.stack([p[k] - theta[k] for p in phis]).mean(0) for k in theta}
    return isinstance(got, dict) and set(got) == set(want) and all(torch.allclose(got[k], want[k]) for k in want)


@exercise("optim.reptile_step", "For each task: φ_i = inner_steps SGD steps from θ on the task's support and query "
          "examples together; then θ + ε · mean_i(φ_i − θ). No second derivative anywhere.")
def _reptile_step(fn):
    """``fn(model, params, episodes, loss_fn, inner_lr, inner_steps, epsilon) -> new params``: one batched
    Reptile step (Nichol et al. 2018, Algorithm 2) compared with the package's
    :func:`~meta_course.learners.optimisation.reptile.reptile_step` on a seeded problem."""
    from ..core.metagrad import relative_error
    from ..learners.optimisation.reptile import adapted_params, reptile_step
    from .pitfalls import _small_problem

    model, params, eps = _small_problem(n_tasks=3, seed=6)
    mse = torch.nn.functional.mse_loss
    got = fn(model, {k: v.clone() for k, v in params.items()}, eps, mse, 0.05, 3, 0.4)
    if not (isinstance(got, dict) and set(got) == set(params)):
        return "return a dict with one tensor per parameter of θ."
    got = {k: torch.as_tensor(v).detach().double() for k, v in got.items()}
    if relative_error(got, reptile_step(model, params, eps, mse, 0.05, 3, 0.4)) < 1e-6:
        return True
    phi = adapted_params(model, params, eps, mse, 0.05, 3, inner_data="support")
    support_only = {k: params[k] + 0.4 * (phi[k] - params[k]).mean(0) for k in params}
    if relative_error(got, support_only) < 1e-6:
        return "your inner loop used only the support set; Reptile has no split: train on support and query together."
    return False


@exercise("optim.preprocess", "Two features per coordinate: (log|g|/p, sign g) when |g| ≥ e^(−p), else (−1, e^p·g).")
def _preprocess(fn) -> bool:
    """``fn(g, p) -> [..., 2]`` must equal :func:`meta_course.core.coordinatewise.preprocess`."""
    from ..core.coordinatewise import preprocess

    g = torch.tensor([2.0, -0.3, 1e-6, -3e-7, 0.0, 50.0])
    got = fn(g, 10.0)
    return torch.is_tensor(got) and got.shape == (6, 2) and torch.allclose(got, preprocess(g, 10.0), atol=1e-6)


@exercise("optim.best_before_adaptation",
          "Use param_space_paths(...) with inner_steps=0 and compare the mean task loss of each initialisation.")
def _best_before(answer) -> bool:
    """Which initialisation has the lowest mean loss *before* adaptation on ``bowl_tasks()``?"""
    return str(answer).strip().lower() == _best_before_solution()


@functools.lru_cache(maxsize=1)
def _best_before_solution() -> str:
    from ..tasks.linear import INIT_METHODS as METHODS
    from ..tasks.linear import bowl_tasks, closed_form_init
    from ..viz.param_space import param_space_paths

    ep = bowl_tasks()
    inits = {m: closed_form_init(ep, m, 0.3, 2) for m in METHODS}
    res = param_space_paths(ep, inits, inner_steps=0)
    return min(METHODS, key=lambda m: res.losses[m][:, 0].mean().item())
