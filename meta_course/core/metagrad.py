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

from typing import Mapping

import torch
from torch import Tensor, nn
from torch.func import grad, jvp, vjp

from .checks import check_choice
from .functional import LossFn, Params, adapt, check_inner, task_loss


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


def flatten(d: Mapping[str, Tensor]) -> Tensor:
    """One vector from a parameter dict (in its key order)."""
    return torch.cat([t.reshape(-1) for t in d.values()])


def relative_error(a: Mapping[str, Tensor] | Tensor, b: Mapping[str, Tensor] | Tensor) -> float:
    """‖a − b‖ / ‖b‖ over all entries (``b`` is the reference)."""
    a = flatten(a) if isinstance(a, Mapping) else a.reshape(-1)
    b = flatten(b) if isinstance(b, Mapping) else b.reshape(-1)
    return ((a - b).norm() / b.norm()).item()
