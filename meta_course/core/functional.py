"""The functional core every gradient-based learner shares.

Parameters are a ``dict[str, Tensor]``; a model is called with :func:`torch.func.functional_call`;
an inner update returns a *new* dict, so autograd (or :mod:`torch.func`) sees every step. MAML,
first-order MAML, Meta-SGD, Reptile and the fine-tuned baseline all adapt with :func:`adapt`.

References:
    Finn, Abbeel & Levine (2017), "Model-Agnostic Meta-Learning for Fast Adaptation of Deep
    Networks", ICML — Eq. (1) is :func:`sgd_step`, Eq. (2)/(3) is :func:`meta_batch_loss`.
"""

from __future__ import annotations

from typing import Callable, Mapping

import torch
from torch import Tensor, nn
from torch.func import functional_call, grad, vmap

from .checks import check_int, check_positive, check_same_len

Params = dict[str, Tensor]
LossFn = Callable[[Tensor, Tensor], Tensor]


def get_params(model: nn.Module, requires_grad: bool = True) -> Params:
    """The model's parameters as a fresh dict of leaf tensors (the meta-parameters θ).

    Example:
        >>> params = get_params(nn.Linear(1, 1))
        >>> sorted(params)
        ['bias', 'weight']
    """
    return {k: v.detach().clone().requires_grad_(requires_grad) for k, v in model.named_parameters()}


def forward(model: nn.Module, params: Mapping[str, Tensor], x: Tensor) -> Tensor:
    """``model(x)`` evaluated with ``params`` instead of the module's own parameters."""
    return functional_call(model, dict(params), (x,))


def task_loss(model: nn.Module, params: Params, x: Tensor, y: Tensor, loss_fn: LossFn) -> Tensor:
    """L_T(f_params) on one set of examples."""
    return loss_fn(forward(model, params, x), y)


def flatten(params: Mapping[str, Tensor], batch_dims: int = 0) -> Tensor:
    """All coordinates of a parameter dict as one vector (the order of the dict); with
    ``batch_dims=1`` each tensor has a leading task dimension and the result is ``[T, n]``."""
    return torch.cat([v.reshape(*v.shape[:batch_dims], -1) for v in params.values()], dim=-1)


def unflatten(vector: Tensor, like: Mapping[str, Tensor]) -> dict[str, Tensor]:
    """Inverse of :func:`flatten`: cut the last dim of ``vector`` into tensors shaped like ``like``
    (leading dimensions of ``vector``, e.g. tasks, are kept)."""
    out, i = {}, 0
    lead = vector.shape[:-1]
    for k, v in like.items():
        out[k] = vector[..., i:i + v.numel()].reshape((*lead, *v.shape))  # a tuple: scalars (shape ()) too
        i += v.numel()
    if i != vector.shape[-1]:
        raise ValueError(f"vector has {vector.shape[-1]} entries but the parameters have {i}: flatten the same model.")
    return out


def sgd_step(params: Params, grads: Params, inner_lr: float | Params) -> Params:
    """θ' = θ − α ⊙ ∇L (MAML Eq. 1); ``inner_lr`` is a float or a per-parameter dict (Meta-SGD)."""
    if isinstance(inner_lr, Mapping):
        return {k: params[k] - inner_lr[k] * grads[k] for k in params}
    return {k: params[k] - inner_lr * grads[k] for k in params}


def check_inner(inner_lr, inner_steps: int) -> None:
    """Validate the inner-loop knobs (a per-parameter ``inner_lr`` dict is checked by its owner)."""
    check_int("inner_steps", inner_steps, 0, 10_000, "Use 0 for no adaptation, 1-10 is typical.")
    if not isinstance(inner_lr, Mapping):
        check_positive("inner_lr", inner_lr, "A typical inner step size is 1e-3 to 0.5.")


def adapt(
    model: nn.Module,
    params: Params,
    x_support: Tensor,
    y_support: Tensor,
    loss_fn: LossFn,
    inner_lr: float | Params,
    inner_steps: int = 1,
    first_order: bool = False,
    trajectory: bool = False,
) -> Params | list[Params]:
    """Run ``inner_steps`` steps of gradient descent on the support loss; return fast_params.

    The gradient is taken with :func:`torch.func.grad`, so the function works inside
    :func:`torch.func.vmap` and under an outer ``torch.autograd`` differentiation. With
    ``first_order=False`` the outer gradient flows *through* the inner gradients (the Hessian
    term of MAML); with ``first_order=True`` each inner gradient is detached (FOMAML) — the
    same code, one flag.

    Args:
        model: the network; its own parameters are not used.
        params: θ, a dict of tensors (usually requiring grad).
        x_support, y_support: the task's support set.
        loss_fn: ``loss_fn(prediction, target) -> scalar``.
        inner_lr: α, a float or a dict with one tensor per parameter (Meta-SGD).
        inner_steps: number of gradient steps (0 returns ``params``).
        first_order: detach inner gradients.
        trajectory: return the list ``[θ, θ_1, ..., θ_k]`` instead of the last one.

    References:
        Finn et al. (2017), Eq. (1); Nichol et al. (2018) for the first-order variant.

    Example:
        >>> net = nn.Linear(1, 1)
        >>> p = get_params(net)
        >>> x = torch.randn(5, 1)
        >>> fast = adapt(net, p, x, 2 * x, nn.functional.mse_loss, inner_lr=0.1, inner_steps=3)
        >>> bool(task_loss(net, fast, x, 2 * x, nn.functional.mse_loss) < task_loss(net, p, x, 2 * x, nn.functional.mse_loss))
        True
    """
    check_inner(inner_lr, inner_steps)
    check_same_len("x_support", x_support, "y_support", y_support)
    support_grad = grad(lambda p: task_loss(model, p, x_support, y_support, loss_fn))
    path = [params]
    for _ in range(inner_steps):
        grads = support_grad(path[-1])
        if first_order:
            grads = {k: g.detach() for k, g in grads.items()}
        path.append(sgd_step(path[-1], grads, inner_lr))
        if not trajectory:  # keep only the current θ_j: first order and Reptile then need O(1) memory in k
            path = path[-1:]
    return path if trajectory else path[-1]


def adapted_query_loss(
    model: nn.Module,
    params: Params,
    x_support: Tensor,
    y_support: Tensor,
    x_query: Tensor,
    y_query: Tensor,
    loss_fn: LossFn,
    inner_lr: float | Params,
    inner_steps: int,
    first_order: bool = False,
) -> Tensor:
    """L_query(adapt(θ)) for one task: the quantity MAML differentiates with respect to θ."""
    fast = adapt(model, params, x_support, y_support, loss_fn, inner_lr, inner_steps, first_order)
    return task_loss(model, fast, x_query, y_query, loss_fn)


def pooled_loss(model: nn.Module, params: Params, episodes, loss_fn: LossFn) -> Tensor:
    """L(f_params) on every support and query example of a batch of tasks, pooled, with no adaptation: the
    objective of joint training (the pretrained and transfer baselines)."""
    x = torch.cat([episodes.x_support, episodes.x_query], dim=1).flatten(0, 1)
    y = torch.cat([episodes.y_support, episodes.y_query], dim=1).flatten(0, 1)
    return task_loss(model, params, x, y, loss_fn)


def meta_batch_loss(model: nn.Module, params: Params, episodes, loss_fn: LossFn, inner_lr, inner_steps: int,
                    first_order: bool = False, use_vmap: bool = True) -> Tensor:
    """Mean over a meta-batch of L_query(adapt(θ)) (MAML Eq. 2), vectorised with ``vmap``.

    Args:
        episodes: an :class:`~meta_course.tasks.Episode` whose tensors have a leading task dim.
        use_vmap: ``False`` runs the same computation as a Python loop over tasks (the reference
            the vmap path is tested and benchmarked against).
    """
    def one(xs, ys, xq, yq):
        return adapted_query_loss(model, params, xs, ys, xq, yq, loss_fn, inner_lr, inner_steps, first_order)

    if use_vmap:
        return vmap(one, randomness="different")(*episodes).mean()
    return torch.stack([one(*(t[i] for t in episodes)) for i in range(episodes[0].shape[0])]).mean()
