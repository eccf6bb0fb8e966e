"""The functions lesson 03 (derivations) calls beyond the meta-gradient itself, each checked numerically.

- :func:`reptile_direction`, :func:`reptile_taylor_terms`, :func:`reptile_taylor_check` — Reptile's
  Taylor expansion (Nichol et al. 2018, Section 5) verified numerically.
- :func:`meta_sgd_lr_gradient` — Meta-SGD's gradient with respect to its learning rates, closed form.

The meta-gradient formulas the lesson compares (the article's, first-order MAML, the O(α) expansion,
:func:`~meta_course.core.metagrad.formula_errors`, :func:`~meta_course.core.metagrad.first_order_error`)
live in :mod:`meta_course.core.metagrad`; the measured cost of a meta-step
(:func:`~meta_course.bench.metagrad.cost_table`) in :mod:`meta_course.bench.metagrad`; the meta-LSTM's
gates and cell update in :mod:`meta_course.learners.optimisation.meta_lstm`.

References:
    Nichol, Achiam & Schulman (2018), "On First-Order Meta-Learning Algorithms", arXiv:1803.02999,
    Section 5 (Eq. 25-29 in v3: the expected Reptile/MAML/FOMAML gradients to O(α²)).
    Li, Zhou, Chen & Li (2017), "Meta-SGD: Learning to Learn Quickly for Few-Shot Learning", Eq. (1)-(3).
"""

from __future__ import annotations

import itertools
from typing import Mapping, NamedTuple, Sequence

import torch
from torch import Tensor, nn
from torch.func import grad

from ..core.checks import check_int, check_positive
from ..core.functional import LossFn, Params, adapt, adapted_query_loss, sgd_step, task_loss
from ..core.metagrad import flatten, hvp

# ---------------------------------------------------------------------------------------------------
# 4 · Reptile's Taylor expansion (Nichol et al. 2018, Section 5)
# ---------------------------------------------------------------------------------------------------


def reptile_direction(model: nn.Module, params: Params, batches: Sequence[tuple[Tensor, Tensor]],
                      loss_fn: LossFn, inner_lr: float) -> Tensor:
    """g_Reptile = (θ − φ)/α after one SGD step on each minibatch in turn (flattened).

    With k minibatches, φ = θ − α Σ_i g_i where g_i = ∇L_i(φ_{i−1}) is taken *along the path*.
    """
    phi = {k: t.detach() for k, t in params.items()}
    for x, y in batches:
        g = grad(lambda p: task_loss(model, p, x, y, loss_fn))(phi)
        phi = sgd_step(phi, g, inner_lr)
    return (flatten(params).detach() - flatten(phi)) / inner_lr


def reptile_expected_direction(model, params, batches, loss_fn, inner_lr) -> Tensor:
    """The mean of :func:`reptile_direction` over every order of the minibatches (the expectation
    over minibatch order that Nichol et al. take; k! orders, so keep k ≤ 4)."""
    check_int("number of minibatches", len(batches), 2, 4, "Reptile's expansion needs 2-4 minibatches here.")
    dirs = [reptile_direction(model, params, list(order), loss_fn, inner_lr)
            for order in itertools.permutations(batches)]
    return torch.stack(dirs).mean(0)


def reptile_taylor_terms(model, params, batches, loss_fn) -> tuple[Tensor, Tensor]:
    """The two terms of E[g_Reptile] = Σ_i ḡ_i − (α/2) Σ_{i<j} ∇(ḡ_i·ḡ_j) + O(α²).

    Returns:
        ``(joint, pair)`` with joint = Σ_i ḡ_i — the gradient of joint training on all minibatches —
        and pair = Σ_{i<j} ∇_θ(ḡ_i·ḡ_j) = Σ_{i<j} (H̄_i ḡ_j + H̄_j ḡ_i), both at θ (flattened).
        The expansion is joint − (α/2)·pair: Reptile descends −ḡ_i·ḡ_j, i.e. it *increases the inner
        product between gradients of different minibatches* — within-task generalisation.

    References:
        Nichol et al. (2018), Section 5.1, Eq. (25)-(28) in arXiv v3 (with k steps, and the
        average over minibatch orders).
    """
    fixed = {k: t.detach() for k, t in params.items()}
    losses = [lambda p, x=x, y=y: task_loss(model, p, x, y, loss_fn) for x, y in batches]
    gs = [grad(f)(fixed) for f in losses]
    joint = sum(flatten(g) for g in gs)
    pair = torch.zeros_like(joint)
    for i, j in itertools.combinations(range(len(batches)), 2):
        pair += flatten(hvp(losses[i], fixed, gs[j])) + flatten(hvp(losses[j], fixed, gs[i]))
    return joint, pair


class ReptileTaylorCheck(NamedTuple):
    alphas: list[float]
    residual: list[float]          # ‖E[g_Rep] − (joint − α/2·pair)‖ / ‖E[g_Rep]‖ : O(α²)
    residual_joint_only: list[float]  # ‖E[g_Rep] − joint‖ / ‖E[g_Rep]‖ : O(α)


def reptile_taylor_check(model, params, batches, loss_fn, alphas: Sequence[float]) -> ReptileTaylorCheck:
    """Compare the exact expected Reptile direction with its second-order Taylor expansion for each α.

    The residual of the full expansion must shrink like α² (4× per halving of α); that of the
    joint-training gradient alone like α (2×).
    """
    joint, pair = reptile_taylor_terms(model, params, batches, loss_fn)
    res, res_joint = [], []
    for a in alphas:
        check_positive("alpha", a)
        exact = reptile_expected_direction(model, params, batches, loss_fn, a)
        res.append(((exact - (joint - a / 2 * pair)).norm() / exact.norm()).item())
        res_joint.append(((exact - joint).norm() / exact.norm()).item())
    return ReptileTaylorCheck(list(alphas), res, res_joint)


def minibatch_inner_products(model, params, batches, loss_fn) -> float:
    """Σ_{i<j} ∇L_i(θ)·∇L_j(θ): what Reptile's second term increases."""
    fixed = {k: t.detach() for k, t in params.items()}
    gs = [flatten(grad(lambda p, x=x, y=y: task_loss(model, p, x, y, loss_fn))(fixed)) for x, y in batches]
    return sum(gs[i].dot(gs[j]) for i, j in itertools.combinations(range(len(gs)), 2)).item()


# ---------------------------------------------------------------------------------------------------
# 5 · Meta-SGD
# ---------------------------------------------------------------------------------------------------


def meta_sgd_lr_gradient(model: nn.Module, params: Params, inner_lr: Mapping[str, Tensor], x_support, y_support,
                         x_query, y_query, loss_fn: LossFn) -> Params:
    """∂L_q(θ′)/∂α for Meta-SGD's one step θ′ = θ − α ⊙ ∇L_s(θ): the closed form −∇L_q(θ′) ⊙ ∇L_s(θ).

    Each learning rate grows where the support and query gradients agree (their product is
    positive) and shrinks where they disagree — the rates are meta-learned by the same outer step as θ.

    References:
        Li et al. (2017), Eq. (1) (the update) and Eq. (3) (θ and α both meta-learned).
    """
    fixed = {k: t.detach() for k, t in params.items()}
    g_s = grad(lambda p: task_loss(model, p, x_support, y_support, loss_fn))(fixed)
    fast = {k: fixed[k] - inner_lr[k].detach() * g_s[k] for k in fixed}
    g_q = grad(lambda p: task_loss(model, p, x_query, y_query, loss_fn))(fast)
    return {k: -g_q[k] * g_s[k] for k in fixed}


def meta_sgd_lr_gradient_autograd(model, params, inner_lr, x_support, y_support, x_query, y_query, loss_fn) -> Params:
    """The reference for :func:`meta_sgd_lr_gradient`: autograd through the package's ``adapt``."""
    lrs = {k: t.detach().requires_grad_() for k, t in inner_lr.items()}
    loss = adapted_query_loss(model, {k: t.detach() for k, t in params.items()}, x_support, y_support,
                              x_query, y_query, loss_fn, lrs, 1)
    return dict(zip(lrs, torch.autograd.grad(loss, list(lrs.values()))))
