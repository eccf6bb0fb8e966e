"""Classifier heads for N-way tasks whose N differs from the head a learner was trained with.

A 5-way MAML network ends in a 5-row linear layer, but the Omniglot benchmark also asks for
20-way tasks (and Lake's one-shot runs are 20-way). Because episode labels are a random
permutation of the classes, no row of a meta-learned head belongs to a particular class; the
rows only matter through their common part. :func:`fit_head` therefore builds an N-row head by
repeating the *mean* row N times: every class starts with the same logit, and the inner loop
differentiates them — the same idea as the "zero/unicorn" head of Ye & Chao (2022) and the
fresh zero head of the transfer baseline. With N equal to the trained N the head is left as is.

References:
    Ye & Chao (2022), "How to train your MAML to excel in few-shot classification", ICLR
    (a single head vector duplicated for every class).
"""

from __future__ import annotations

from typing import Mapping

from torch import Tensor, nn

from .checks import check_int


def head_names(model: nn.Module) -> tuple[str, str]:
    """Names of the weight and bias of the model's last :class:`torch.nn.Linear` (its classifier).

    Raises:
        ValueError: when the model has no linear layer with a bias.
    """
    last = None
    for name, module in model.named_modules():
        if isinstance(module, nn.Linear) and module.bias is not None:
            last = name
    if last is None:
        raise ValueError(f"{type(model).__name__} has no nn.Linear head with a bias: N-way heads need one "
                         "(build the model with out_features set).")
    prefix = f"{last}." if last else ""
    return f"{prefix}weight", f"{prefix}bias"


def fit_head(params: Mapping[str, Tensor], names: tuple[str, str], n_way: int) -> dict[str, Tensor]:
    """``params`` with an ``n_way``-row head; rows are the mean learned row when ``n_way`` differs.

    Works on per-parameter learning-rate dicts too (Meta-SGD's α has the shape of θ).

    Example:
        >>> import torch
        >>> p = {"w": torch.tensor([[1.0, 0.0], [3.0, 2.0]]), "b": torch.tensor([1.0, 3.0])}
        >>> fit_head(p, ("w", "b"), 3)["w"].tolist(), fit_head(p, ("w", "b"), 3)["b"].tolist()
        ([[2.0, 1.0], [2.0, 1.0], [2.0, 1.0]], [2.0, 2.0, 2.0])
    """
    check_int("n_way", n_way, 2, 10_000, "An N-way task needs at least two classes.")
    weight, bias = names
    if params[weight].shape[0] == n_way:
        return dict(params)
    out = dict(params)
    out[weight] = params[weight].mean(0, keepdim=True).expand(n_way, -1)
    out[bias] = params[bias].mean(0, keepdim=True).expand(n_way)
    return out


def zero_head(params: Mapping[str, Tensor], names: tuple[str, str], n_way: int) -> dict[str, Tensor]:
    """``params`` with a fresh all-zero ``n_way``-row head (the transfer baseline's new classifier)."""
    check_int("n_way", n_way, 2, 10_000, "An N-way task needs at least two classes.")
    weight, bias = names
    out = dict(params)
    out[weight] = params[weight].new_zeros(n_way, params[weight].shape[1])
    out[bias] = params[bias].new_zeros(n_way)
    return out


def infer_n_way(y_support: Tensor) -> int:
    """N of a task from its support labels ``0..N-1`` (not usable inside ``vmap``: pass ``n_way`` there)."""
    return int(y_support.max()) + 1
