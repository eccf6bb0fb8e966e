"""The functions lesson 03 (derivations) calls: every formula of the optimisation-based family, checked.

- :func:`article_meta_gradient` — the source article's "∇L(θ) − α∇∇L(θ)", read in its only
  computable sense (every gradient at θ), against the true meta-gradient, first-order MAML and the
  correct expansion to first order in α (:func:`expanded_meta_gradient`, :func:`compare_meta_gradients`).
- :func:`first_order_error` — ‖g_FO − g_MAML‖ / ‖g_MAML‖ as a function of α: O(α), slope 1 in
  log-log (:func:`loglog_slope`).
- :func:`meta_step_cost` — measured time and peak memory of one meta-step: second-order MAML,
  first-order MAML and Reptile, vs the number of inner steps.
- :func:`reptile_direction`, :func:`reptile_taylor_terms`, :func:`reptile_taylor_check` — Reptile's
  Taylor expansion (Nichol et al. 2018, Section 5) verified numerically.
- :func:`meta_sgd_lr_gradient` — Meta-SGD's gradient with respect to its learning rates, closed form.
- :func:`preprocess_gradient`, :func:`meta_lstm_gates`, :func:`meta_lstm_update` — the Ravi &
  Larochelle (2017) LSTM-cell update of the learner's parameters, coordinate-wise.

References:
    Finn, Abbeel & Levine (2017), "Model-Agnostic Meta-Learning ...", ICML, Eq. (1)-(3), Section 5.2.
    Nichol, Achiam & Schulman (2018), "On First-Order Meta-Learning Algorithms", arXiv:1803.02999,
    Section 5 (Eq. 25-29 in v3: the expected Reptile/MAML/FOMAML gradients to O(α²)).
    Li, Zhou, Chen & Li (2017), "Meta-SGD: Learning to Learn Quickly for Few-Shot Learning", Eq. (1)-(3).
    Ravi & Larochelle (2017), "Optimization as a Model for Few-Shot Learning", ICLR, Eq. (1)-(3) and
    Section 3.4 (gradient preprocessing); Andrychowicz et al. (2016), "Learning to learn by gradient
    descent by gradient descent", NeurIPS, Appendix A (the preprocessing).
"""

from __future__ import annotations

import contextlib
import itertools
import math
import os
import statistics
import sys
import time
from typing import Mapping, NamedTuple, Sequence

import torch
from torch import Tensor, nn
from torch.func import functional_call, grad, vmap

from ..core.checks import check_choice, check_int, check_positive
from ..core.coordinatewise import preprocess
from ..core.functional import LossFn, Params, adapt, adapted_query_loss, meta_batch_loss, task_loss
from ..core.metagrad import autograd_meta_gradient, flatten, hvp, relative_error

# ---------------------------------------------------------------------------------------------------
# 1 · The article's formula vs the right one
# ---------------------------------------------------------------------------------------------------


def article_meta_gradient(model: nn.Module, params: Params, x_support, y_support, x_query, y_query,
                          loss_fn: LossFn, inner_lr: float) -> Params:
    """The source article's meta-gradient "∇L(θ) − α∇∇L(θ)", read as ∇L_q(θ) − α∇²L_s(θ)∇L_q(θ).

    As printed, ∇∇L(θ) is a matrix and cannot be subtracted from a vector; the only computable
    reading applies it to the query gradient — and takes every gradient at θ. The right one-step
    formula takes the query gradient at the *adapted* θ′ = θ − α∇L_s(θ):
    (I − α∇²L_s(θ)) ∇L_q(θ′). The difference matters at first order in α, the same order as the
    Hessian term the article means to add — so the article's form, like dropping the Hessian, has
    an error that grows like α (:func:`expanded_meta_gradient` shows which term each one misses).
    """
    fixed = {k: t.detach() for k, t in params.items()}
    g_q = grad(lambda p: task_loss(model, p, x_query, y_query, loss_fn))(fixed)
    hv = hvp(lambda p: task_loss(model, p, x_support, y_support, loss_fn), fixed, g_q)
    return {k: g_q[k] - inner_lr * hv[k] for k in g_q}


def expanded_meta_gradient(model: nn.Module, params: Params, x_support, y_support, x_query, y_query,
                           loss_fn: LossFn, inner_lr: float) -> Params:
    """The one-step meta-gradient expanded to first order in α, all at θ:

        (I − αH_s) ∇L_q(θ − α g_s) = g_q − α (H_q g_s + H_s g_q) + O(α²) = g_q − α ∇_θ(g_q · g_s) + O(α²)

    with g = ∇L(θ), H = ∇²L(θ). First-order MAML keeps g_q(θ′) ≈ g_q − αH_q g_s and loses H_s g_q;
    the article's form keeps g_q − αH_s g_q and loses H_q g_s: each misses one O(α) term, so both
    have errors growing like α, while this expansion's error grows like α². The term
    −α∇(g_q·g_s) rewards θ where support and query gradients align — Nichol et al. (2018, §5)
    derive the same structure for Reptile.
    """
    fixed = {k: t.detach() for k, t in params.items()}
    support = lambda p: task_loss(model, p, x_support, y_support, loss_fn)  # noqa: E731
    query = lambda p: task_loss(model, p, x_query, y_query, loss_fn)  # noqa: E731
    g_s, g_q = grad(support)(fixed), grad(query)(fixed)
    h_q_gs, h_s_gq = hvp(query, fixed, g_s), hvp(support, fixed, g_q)
    return {k: g_q[k] - inner_lr * (h_q_gs[k] + h_s_gq[k]) for k in fixed}


def tanh_mlp(sizes: Sequence[int] = (1, 40, 40, 1), dtype=torch.float64) -> nn.Sequential:
    """The sine MLP with tanh instead of ReLU: a smooth network for checking Taylor expansions.

    A ReLU network's gradient jumps where a point crosses a kink; the number of points crossing
    grows like α, so every expansion in α has an O(α) error on top of its own at ReLU nets
    (lesson 03 shows it). Smooth activations let the O(α²) claims be checked cleanly.
    """
    layers = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(a, b, dtype=dtype))
        if i < len(sizes) - 2:
            layers.append(nn.Tanh())
    return nn.Sequential(*layers)


def _mean_over_tasks(fn, episodes) -> Params:
    grads = [fn(episodes.task(i)) for i in range(episodes.n_tasks)]
    return {k: torch.stack([g[k] for g in grads]).mean(0) for k in grads[0]}


def compare_meta_gradients(model: nn.Module, params: Params, episodes, loss_fn: LossFn, inner_lr: float) -> dict:
    """Relative errors of the article's form and of first-order MAML against the true one-step
    meta-gradient, averaged over a meta-batch (``episodes`` with a leading task dim).

    Returns:
        ``{"article": float, "first_order": float, "expansion": float, "norm": ‖g‖}`` — the last
        error is that of :func:`expanded_meta_gradient` (O(α²)).
    """
    true = _mean_over_tasks(lambda ep: autograd_meta_gradient(model, params, *ep, loss_fn, inner_lr, 1), episodes)
    art = _mean_over_tasks(lambda ep: article_meta_gradient(model, params, *ep, loss_fn, inner_lr), episodes)
    fo = _mean_over_tasks(lambda ep: autograd_meta_gradient(model, params, *ep, loss_fn, inner_lr, 1, True), episodes)
    exp = _mean_over_tasks(lambda ep: expanded_meta_gradient(model, params, *ep, loss_fn, inner_lr), episodes)
    return {"article": relative_error(art, true), "first_order": relative_error(fo, true),
            "expansion": relative_error(exp, true), "norm": flatten(true).norm().item()}


def formula_errors(model: nn.Module, params: Params, episodes, loss_fn: LossFn, alphas: Sequence[float]) -> dict:
    """:func:`compare_meta_gradients` for each α: ``{"article": [...], "first_order": [...], "expansion": [...]}``."""
    rows = [compare_meta_gradients(model, params, episodes, loss_fn, a) for a in alphas]
    return {key: [r[key] for r in rows] for key in ("article", "first_order", "expansion")}


# ---------------------------------------------------------------------------------------------------
# 2 · First-order error vs α
# ---------------------------------------------------------------------------------------------------


def meta_batch_gradient(model: nn.Module, params: Params, episodes, loss_fn: LossFn, inner_lr: float,
                        inner_steps: int = 1, first_order: bool = False) -> Tensor:
    """∇_θ of the MAML meta-batch loss (vmapped), flattened — second or first order."""
    leaves = {k: t.detach().requires_grad_() for k, t in params.items()}
    loss = meta_batch_loss(model, leaves, episodes, loss_fn, inner_lr, inner_steps, first_order)
    return torch.cat([g.reshape(-1) for g in torch.autograd.grad(loss, list(leaves.values()))])


def first_order_error(model: nn.Module, params: Params, episodes, loss_fn: LossFn, alphas: Sequence[float],
                      inner_steps: int = 1) -> list[float]:
    """‖g_FO(α) − g(α)‖ / ‖g(α)‖ for each α: the meta-batch meta-gradient with and without the Hessian.

    The dropped term is α∇²L_s ∇L_q(θ′) (one step), so the error grows like α until α‖∇²L_s‖ ~ 1.
    """
    out = []
    for a in alphas:
        check_positive("alpha", a, "Inner step sizes to compare, e.g. 1e-4 ... 1e-1.")
        full = meta_batch_gradient(model, params, episodes, loss_fn, a, inner_steps)
        fo = meta_batch_gradient(model, params, episodes, loss_fn, a, inner_steps, first_order=True)
        out.append(((fo - full).norm() / full.norm()).item())
    return out


def loglog_slope(xs: Sequence[float], ys: Sequence[float]) -> float:
    """Least-squares slope of log y against log x (1 for y ∝ x, 2 for y ∝ x²).

    Example:
        >>> round(loglog_slope([1e-3, 1e-2, 1e-1], [2e-6, 2e-4, 2e-2]), 6)
        2.0
    """
    lx = torch.tensor([math.log(x) for x in xs], dtype=torch.double)
    ly = torch.tensor([math.log(y) for y in ys], dtype=torch.double)
    lx, ly = lx - lx.mean(), ly - ly.mean()
    return ((lx * ly).sum() / (lx * lx).sum()).item()


def top_hessian_eigenvalue(model: nn.Module, params: Params, x: Tensor, y: Tensor, loss_fn: LossFn,
                           iterations: int = 50, seed: int = 0) -> float:
    """λ_max of ∇²L at ``params`` by power iteration on Hessian-vector products (no Hessian formed).

    α·λ_max is the scale of the Hessian term: the first-order approximation is good when it is ≪ 1.
    """
    check_int("iterations", iterations, 1, 10_000)
    fixed = {k: t.detach() for k, t in params.items()}
    g = torch.Generator().manual_seed(seed)
    v = {k: torch.randn(t.shape, generator=g, dtype=t.dtype) for k, t in fixed.items()}
    f = lambda p: task_loss(model, p, x, y, loss_fn)  # noqa: E731
    lam = 0.0
    for _ in range(iterations):
        norm = flatten(v).norm()
        v = {k: t / norm for k, t in v.items()}
        hv = hvp(f, fixed, v)
        lam = sum((hv[k] * v[k]).sum() for k in v).item()
        v = hv
    return lam


# ---------------------------------------------------------------------------------------------------
# 3 · Cost: second order vs first order vs Reptile, measured
# ---------------------------------------------------------------------------------------------------


class StepCost(NamedTuple):
    """Median wall time (ms) of one meta-step and its peak extra memory (bytes)."""

    method: str
    inner_steps: int
    ms: float
    peak_bytes: int


def reptile_meta_gradient(model: nn.Module, params: Params, episodes, loss_fn: LossFn, inner_lr: float,
                          inner_steps: int) -> Params:
    """Reptile's update direction θ − mean_i φ_i for a batch of tasks (Nichol et al. 2018, Algorithm 2).

    φ_i is θ after ``inner_steps`` SGD steps on task i's support set; no graph is kept (Reptile
    never differentiates through the inner loop). The outer step is θ ← θ − ε(θ − mean φ_i).
    """
    fixed = {k: t.detach() for k, t in params.items()}

    def one(xs, ys):
        return adapt(model, fixed, xs, ys, loss_fn, inner_lr, inner_steps, first_order=True)

    with torch.no_grad():
        phi = vmap(one, randomness="different")(episodes.x_support, episodes.y_support)
    return {k: fixed[k] - phi[k].mean(0) for k in fixed}


@contextlib.contextmanager
def _silence_native_stderr():
    """The profiler's native library prints "profiler_start/stop" lines straight to file descriptor 2
    (no setting turns them off in torch 2.13); point fd 2 at /dev/null while it runs."""
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def _peak_bytes(fn) -> int:
    """Peak of the running sum of CPU allocations minus frees while ``fn`` runs, from
    ``torch.profiler(profile_memory=True)``. (``tracemalloc`` cannot be used: it sees Python's own
    allocator, not tensor storage.)"""
    from torch.profiler import ProfilerActivity, profile

    with _silence_native_stderr(), profile(activities=[ProfilerActivity.CPU], profile_memory=True) as prof:
        fn()
    events = sorted((e.start_ns(), e.nbytes()) for e in prof.profiler.kineto_results.events() if e.name() == "[memory]")
    current = peak = 0
    for _, nbytes in events:
        current += nbytes
        peak = max(peak, current)
    return peak


#: what :func:`meta_step_cost` can measure: the sine MLP of lesson 01 and the Omniglot Conv-4 of lesson 07
COST_SETTINGS = ("sine", "omniglot")


def cost_setting(setting: str = "sine"):
    """``(model, episodes, loss_fn, inner_lr, description)`` of a cost measurement.

    ``"sine"``: the MAML paper's meta-batch of 25 sine tasks (K=10, 10 queries), MLP 1-40-40-1, α=0.01.
    ``"omniglot"``: the ``maml_omniglot`` recipe's meta-batch — 8 tasks, 5-way 1-shot, 2 queries per
    class, 28×28 — on its Conv-4 (32 channels, batch-statistics norm), α=0.4; needs the Omniglot data
    (``META_COURSE_DATA``).
    """
    check_choice("setting", setting, COST_SETTINGS, "Pick the network and tasks to time.")
    from ..models import MLP

    torch.manual_seed(0)
    if setting == "sine":
        from ..tasks.sine import SineTasks

        episodes = SineTasks().sample(torch.Generator().manual_seed(0), 25, k_shot=10, n_query=10)
        return (MLP((1, 40, 40, 1)), episodes, nn.functional.mse_loss, 0.01,
                "25 sine tasks (K=10), MLP 1-40-40-1, α=0.01")
    from .. import recipes

    recipe = recipes.get_recipe("maml_omniglot")  # the setting *is* the recipe: its network, tasks and α
    learner, sample = recipes.build("maml_omniglot", seed=0)
    episodes = sample(torch.Generator().manual_seed(0), recipe.meta_batch_size)
    a = recipe.task_args
    return (learner.net, episodes, learner.loss_fn, learner.inner_lr,
            f"{recipe.meta_batch_size} Omniglot tasks ({a['n_way']}-way {a['k_shot']}-shot, {a['q_query']} "
            f"queries/class), Conv-4 {recipe.config['model']['hidden']} channels, α={learner.inner_lr:g}")


def meta_step_cost(method: str, inner_steps: int, setting: str = "sine", repeats: int = 10,
                   memory: bool = True) -> StepCost:
    """Measure one meta-step (meta-gradient of a meta-batch) of ``method`` in a :func:`cost_setting`.

    Args:
        method: ``"maml"`` (second order), ``"fomaml"`` or ``"reptile"``.
        inner_steps: inner gradient steps per task.
        setting: ``"sine"`` (the MLP) or ``"omniglot"`` (Conv-4), see :func:`cost_setting`.
        repeats: timed repetitions after one warm-up; the median is reported.
        memory: also measure the peak memory (one extra profiled run).

    Returns:
        :class:`StepCost` — milliseconds and peak bytes allocated above the starting point.
    """
    check_choice("method", method, ("maml", "fomaml", "reptile"))
    check_int("inner_steps", inner_steps, 1, 1000)
    check_int("repeats", repeats, 1, 10_000)
    model, episodes, loss_fn, inner_lr, _ = cost_setting(setting)
    params = {k: t.detach().requires_grad_() for k, t in model.named_parameters()}

    def step():
        if method == "reptile":
            return reptile_meta_gradient(model, params, episodes, loss_fn, inner_lr, inner_steps)
        loss = meta_batch_loss(model, params, episodes, loss_fn, inner_lr, inner_steps,
                               first_order=method == "fomaml")
        return torch.autograd.grad(loss, list(params.values()))

    step()  # warm-up
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        step()
        times.append(1e3 * (time.perf_counter() - t0))
    peak = _peak_bytes(step) if memory else -1
    return StepCost(method, inner_steps, statistics.median(times), peak)


def cost_table(steps: Sequence[int] = (1, 2, 4, 8), methods=("maml", "fomaml", "reptile"), repeats: int = 10,
               progress: bool = False, setting: str = "sine") -> list[StepCost]:
    """:func:`meta_step_cost` for every method and number of inner steps (what ``bench metagrad`` prints)."""
    from tqdm.auto import tqdm

    jobs = [(m, k) for k in steps for m in methods]
    return [meta_step_cost(m, k, setting=setting, repeats=repeats)
            for m, k in tqdm(jobs, disable=not progress, desc=f"meta-step cost ({setting})")]


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
        phi = {k: phi[k] - inner_lr * g[k] for k in phi}
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


# ---------------------------------------------------------------------------------------------------
# 6 · The LSTM meta-learner's cell update (Ravi & Larochelle 2017)
# ---------------------------------------------------------------------------------------------------


def preprocess_gradient(x: Tensor, p: float = 10.0) -> Tensor:
    """Andrychowicz et al. (2016), Appendix A: x ↦ (log|x|/p, sign x) if |x| ≥ e^{−p}, else (−1, e^p·x).

    Gradients and losses span many orders of magnitude; this maps them to two O(1) features.
    Returns a tensor with a trailing dimension of 2.

    Example:
        >>> preprocess_gradient(torch.tensor([-1.0, 0.0]))
        tensor([[ 0., -1.],
                [-1.,  0.]])
    """
    return preprocess(x, p)  # the learners' own function (meta_course.core.coordinatewise)


def meta_lstm_gates(theta: Tensor, grad_: Tensor, loss: Tensor, gate_prev: Tensor, weight: Tensor, bias: Tensor) -> Tensor:
    """One gate of the meta-learner, coordinate-wise with weights shared across coordinates:

        gate_t = σ(W · [∇̃_t, L̃_t, θ_{t−1}, gate_{t−1}] + b)

    where ∇̃ and L̃ are the preprocessed gradient and loss (2 features each), so ``weight`` has 6
    entries. Ravi & Larochelle (2017), Eq. (2) (forget gate f_t) and Eq. (3) (input gate i_t).
    """
    if weight.shape != (6,):
        raise ValueError(f"weight has shape {tuple(weight.shape)}: it must be (6,) — 2 gradient features, "
                         "2 loss features, θ, previous gate.")
    features = torch.cat([preprocess_gradient(grad_), preprocess_gradient(loss).expand(*grad_.shape, 2),
                          theta.unsqueeze(-1), gate_prev.unsqueeze(-1)], dim=-1)
    return torch.sigmoid(features @ weight + bias)


def meta_lstm_update(theta: Tensor, grad_: Tensor, forget: Tensor, input_: Tensor) -> Tensor:
    """The cell update that *is* the learner's parameter update (Ravi & Larochelle 2017, Eq. 1-2):

        c_t = f_t ⊙ c_{t−1} + i_t ⊙ c̃_t,   c_t = θ_t,   c̃_t = −∇_{θ_{t−1}} L_t.

    With f_t = 1 and i_t = α it is exactly the SGD step θ_t = θ_{t−1} − α∇L_t; learning f_t lets
    the meta-learner shrink the parameters (like weight decay) and learning i_t gives a
    coordinate- and step-dependent learning rate.

    Example:
        >>> theta, g = torch.tensor([1.0, 2.0]), torch.tensor([0.5, -1.0])
        >>> meta_lstm_update(theta, g, forget=torch.ones(2), input_=torch.full((2,), 0.1))  # = θ − 0.1·∇
        tensor([0.9500, 2.1000])
    """
    return forget * theta + input_ * (-grad_)
