"""MAML's meta-gradient written out: a product of (I − α∇²L_s) factors applied by Hessian-vector products.

For ``k`` inner steps θ_{j+1} = θ_j − α ⊙ ∇L_s(θ_j), j = 0..k−1, the chain rule gives

    ∇_θ L_q(θ_k) = J_0ᵀ J_1ᵀ ⋯ J_{k−1}ᵀ ∇L_q(θ_k),      J_j = ∂θ_{j+1}/∂θ_j = I − diag(α) ∇²L_s(θ_j).

Since the Hessian is symmetric, J_jᵀ v = v − ∇²L_s(θ_j)(α ⊙ v). With a scalar α this is the
familiar (I − α∇²L_s)v; with a per-parameter α (Meta-SGD) the order matters: α multiplies v
*before* the Hessian. :func:`maml_meta_gradient` walks the trajectory backwards applying one such
factor per step, each with one Hessian-vector product (:func:`hvp`) — the n×n Hessian is never
formed, so the cost is a small multiple of a gradient evaluation, and memory is that of one step.

This is what ``torch.autograd`` does when it differentiates through
:func:`meta_course.core.functional.adapt`; here every factor is visible, so lesson 03 can print
and check each one.

References:
    Finn, Abbeel & Levine (2017), ICML, Section 2.2 (the meta-gradient "involves a gradient through
    a gradient", computed with Hessian-vector products) and Section 5.2 (first order).
    Pearlmutter (1994), "Fast exact multiplication by the Hessian", Neural Computation 6(1).
    Li et al. (2017), "Meta-SGD", Eq. (1)-(3) for the per-parameter α.
"""

from __future__ import annotations

import math
from typing import Mapping, Sequence

import torch
from torch import Tensor, nn
from torch.func import grad, jvp, vjp

from .checks import check_choice, check_int, check_positive
from .functional import LossFn, Params, adapt, check_inner, flatten, meta_batch_loss, task_loss


def hvp(fn, params: Params, v: Params, mode: str = "reverse-over-reverse") -> Params:
    """∇²fn(params) · v without forming the Hessian (Pearlmutter 1994).

    Args:
        fn: scalar function of a parameter dict.
        params: where the Hessian is taken.
        v: the vector, a dict shaped like ``params``.
        mode: ``"reverse-over-reverse"`` (``vjp`` of ``grad``; what
            ``autograd.grad(..., create_graph=True)`` does) or ``"forward-over-reverse"`` (``jvp``
            of ``grad``: one forward-mode pass over the gradient). Both are exact. In torch 2.13
            forward-over-reverse raises "ZeroTensors are immutable" through
            ``nn.functional.mse_loss`` (write the loss as ``((pred - y) ** 2).mean()`` to use it),
            hence the reverse-mode default.

    Example:
        >>> f = lambda p: (p["w"] ** 3).sum()          # Hessian diag(6w)
        >>> hvp(f, {"w": torch.tensor([1.0, 2.0])}, {"w": torch.tensor([1.0, 1.0])})["w"]
        tensor([ 6., 12.])
    """
    check_choice("mode", mode, ("forward-over-reverse", "reverse-over-reverse"))
    primals = {k: t.detach() for k, t in params.items()}
    tangents = {k: v[k].detach() for k in params}
    if mode == "forward-over-reverse":
        return jvp(grad(fn), (primals,), (tangents,))[1]
    _, pullback = vjp(grad(fn), primals)
    return pullback(tangents)[0]


def _scaled(inner_lr: float | Mapping[str, Tensor], v: Params) -> Params:
    if isinstance(inner_lr, Mapping):
        return {k: inner_lr[k].detach() * t for k, t in v.items()}
    return {k: inner_lr * t for k, t in v.items()}


def maml_meta_gradient(
    model: nn.Module,
    params: Params,
    x_support: Tensor,
    y_support: Tensor,
    x_query: Tensor,
    y_query: Tensor,
    loss_fn: LossFn,
    inner_lr: float | Mapping[str, Tensor],
    inner_steps: int = 1,
    first_order: bool = False,
    mode: str = "reverse-over-reverse",
    return_factors: bool = False,
):
    """∇_θ L_q(adapt(θ)) as the explicit product J_0ᵀ⋯J_{k−1}ᵀ ∇L_q(θ_k), one HVP per step.

    Args:
        model, params, x_support, y_support, x_query, y_query, loss_fn: as in
            :func:`meta_course.core.functional.adapted_query_loss`.
        inner_lr: α, a float or a per-parameter dict of tensors (Meta-SGD).
        inner_steps: k.
        first_order: drop every Hessian factor (FOMAML): the result is ∇L_q(θ_k).
        mode: the HVP flavour, see :func:`hvp`.
        return_factors: also return the list of vectors after each backward factor
            ``[∇L_q(θ_k), J_{k−1}ᵀ∇L_q(θ_k), ..., meta-gradient]`` (for the lesson's printouts).

    Returns:
        The meta-gradient as a dict shaped like ``params`` (detached), and the list when asked.

    References:
        Finn et al. (2017), Section 2.2; Pearlmutter (1994).

    Example:
        >>> from meta_course.models import MLP
        >>> net = MLP((1, 8, 1)); p = {k: v.detach() for k, v in net.named_parameters()}
        >>> x = torch.randn(5, 1)
        >>> g = maml_meta_gradient(net, p, x, x.sin(), x, x.sin(), nn.functional.mse_loss, 0.1, 2)
        >>> sorted(g) == sorted(p)
        True
    """
    check_inner(inner_lr, inner_steps)
    with torch.no_grad():  # the trajectory θ_0..θ_k itself needs no graph: we differentiate by hand
        detached = {k: t.detach() for k, t in params.items()}
        lr = {k: t.detach() for k, t in inner_lr.items()} if isinstance(inner_lr, Mapping) else inner_lr
        path = adapt(model, detached, x_support, y_support, loss_fn, lr, inner_steps, first_order=True,
                     trajectory=True)
    support = lambda p: task_loss(model, p, x_support, y_support, loss_fn)  # noqa: E731
    v = grad(lambda p: task_loss(model, p, x_query, y_query, loss_fn))(path[-1])
    factors = [v]
    if not first_order:
        for theta_j in reversed(path[:-1]):
            hv = hvp(support, theta_j, _scaled(lr, v), mode)
            v = {k: v[k] - hv[k] for k in v}  # J_jᵀ v = v − ∇²L_s(θ_j)(α ⊙ v)
            factors.append(v)
    v = {k: t.detach() for k, t in v.items()}
    return (v, factors) if return_factors else v


def autograd_meta_gradient(model, params, x_support, y_support, x_query, y_query, loss_fn, inner_lr,
                           inner_steps=1, first_order=False) -> Params:
    """The reference: ``torch.autograd.grad`` of L_q(adapt(θ)) through the unrolled inner loop."""
    from .functional import adapted_query_loss

    leaves = {k: t.detach().requires_grad_() for k, t in params.items()}
    loss = adapted_query_loss(model, leaves, x_support, y_support, x_query, y_query, loss_fn, inner_lr,
                              inner_steps, first_order)
    return dict(zip(leaves, torch.autograd.grad(loss, list(leaves.values()))))


def finite_difference_gradient(fn, params: Params, eps: float = 1e-6, directions: int | None = None,
                               generator: torch.Generator | None = None):
    """Central differences (fn(θ+εe) − fn(θ−εe)) / 2ε of a scalar ``fn`` of a parameter dict.

    With ``directions=None`` every coordinate is probed and the full gradient dict is returned;
    otherwise ``directions`` random unit directions ``u`` are probed and the pair
    ``(U [n_dir, n], D [n_dir])`` of directions and directional derivatives is returned (compare
    with ``U @ flat(g)``). Use float64 parameters: in float32 the round-off of ``fn`` divided by ε
    swamps the result.
    """
    flat = torch.cat([t.detach().reshape(-1) for t in params.values()])
    shapes = [(k, t.shape, t.numel()) for k, t in params.items()]

    def unflat(vec):
        out, i = {}, 0
        for k, shape, n in shapes:
            out[k] = vec[i:i + n].view(shape)
            i += n
        return out

    with torch.no_grad():
        if directions is None:
            fd = torch.empty_like(flat)
            for i in range(flat.numel()):
                e = torch.zeros_like(flat)
                e[i] = eps
                fd[i] = (fn(unflat(flat + e)) - fn(unflat(flat - e))) / (2 * eps)
            return unflat(fd)
        u = torch.randn(directions, flat.numel(), generator=generator, dtype=flat.dtype)
        u = u / u.norm(dim=1, keepdim=True)
        d = torch.stack([(fn(unflat(flat + eps * ui)) - fn(unflat(flat - eps * ui))) / (2 * eps) for ui in u])
        return u, d


def relative_error(a: Mapping[str, Tensor] | Tensor, b: Mapping[str, Tensor] | Tensor) -> float:
    """‖a − b‖ / ‖b‖ over all entries (``b`` is the reference)."""
    a = flatten(a) if isinstance(a, Mapping) else a.reshape(-1)
    b = flatten(b) if isinstance(b, Mapping) else b.reshape(-1)
    return ((a - b).norm() / b.norm()).item()


# ---------------------------------------------------------------------------------------------------
# The article's formula vs the right one (lesson 03)
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
# First-order error vs α (lesson 03)
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
