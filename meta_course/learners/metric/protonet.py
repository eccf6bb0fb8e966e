"""Prototypical networks (Snell, Swersky & Zemel 2017).

Prototype of class k (Eq. 1): the mean embedding of its support examples,
    c_k = (1/|S_k|) Σ_{(x_i, y_i) ∈ S_k} f_φ(x_i)
Class probabilities of a query x (Eq. 2): a softmax over negative distances,
    p_φ(y = k | x) = exp(−d(f_φ(x), c_k)) / Σ_k' exp(−d(f_φ(x), c_k'))
with the squared Euclidean distance d(z, z') = ‖z − z'‖². Training minimises −log p_φ(y = k | x)
over the queries of random episodes (Algorithm 1), optionally with more ways than at test time
(the paper trains 60-way for 5- and 20-way tests, Section 3.1).

Linear-classifier view (Section 2.4): −‖z − c_k‖² = −‖z‖² + 2 c_kᵀz − ‖c_k‖². The first term is
the same for every class, so the softmax equals that of a linear classifier with
    w_k = 2 c_k,   b_k = −‖c_k‖²                                   (:func:`linear_classifier`)
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from ...core.checks import check_choice, check_int, check_positive
from .base import MetricLearner

DISTANCES = ("euclidean", "cosine")


def prototypes(z_support: Tensor, y_support: Tensor, n_way: int) -> Tensor:
    """c_k = mean of the support embeddings of class k (Eq. 1): ``[S, d]`` → ``[n_way, d]``.

    Example:
        >>> prototypes(torch.tensor([[0., 0.], [2., 2.], [5., 1.]]), torch.tensor([0, 0, 1]), 2)
        tensor([[1., 1.],
                [5., 1.]])
    """
    one_hot = nn.functional.one_hot(y_support, n_way).to(z_support.dtype)   # [S, N]
    return one_hot.T @ z_support / one_hot.sum(0).clamp_min(1).unsqueeze(1)


def squared_euclidean(a: Tensor, b: Tensor) -> Tensor:
    """‖a_i − b_j‖² for every pair: ``[Q, d]``, ``[N, d]`` → ``[Q, N]``."""
    return (a.unsqueeze(-2) - b.unsqueeze(-3)).pow(2).sum(-1)


def cosine_similarity(a: Tensor, b: Tensor, eps: float = 1e-8) -> Tensor:
    """cos(a_i, b_j) for every pair: ``[Q, d]``, ``[N, d]`` → ``[Q, N]`` in [−1, 1]."""
    a = a / a.norm(dim=-1, keepdim=True).clamp_min(eps)
    b = b / b.norm(dim=-1, keepdim=True).clamp_min(eps)
    return a @ b.transpose(-1, -2)


def protonet_logits(z_query: Tensor, protos: Tensor, distance: str = "euclidean", scale: float = 1.0) -> Tensor:
    """Eq. 2's logits: −d(f(x), c_k), or ``scale``·cos(f(x), c_k) for the cosine variant."""
    if distance == "euclidean":
        return -squared_euclidean(z_query, protos)
    return scale * cosine_similarity(z_query, protos)


def linear_classifier(protos: Tensor) -> tuple[Tensor, Tensor]:
    """(W, b) with w_k = 2 c_k and b_k = −‖c_k‖² (Section 2.4): ``z @ W.T + b`` ≡ Eq. 2's logits + const."""
    return 2 * protos, -protos.pow(2).sum(-1)


class ProtoNet(MetricLearner):
    """Prototypical network.

    Args:
        model: embedding network spec, e.g. ``{"name": "conv4", "out_features": None}``.
        distance: ``"euclidean"`` (squared, the paper's choice) or ``"cosine"`` (Section 2.7 compares them).
        scale: multiplies the cosine similarity (a softmax over raw cosines in [−1, 1] is too flat).
        halve_lr_every: halve Adam's step size every this many episodes (the paper's schedule, every
            2 000 episodes, Section 3.1); 0 keeps it constant.

    References:
        Snell, Swersky & Zemel (2017), "Prototypical Networks for Few-shot Learning", NeurIPS —
        Eq. (1), (2), Algorithm 1, Section 2.4 (linear model), Section 3.1 (Omniglot, 60-way training).

    Example:
        >>> net = ProtoNet({"name": "conv4", "out_features": None})    # doctest: +SKIP
    """

    name = "protonet"

    def __init__(self, model: dict, distance: str = "euclidean", scale: float = 10.0, halve_lr_every: int = 0):
        check_choice("distance", distance, DISTANCES, "ProtoNet compares embeddings with one of these.")
        check_positive("scale", scale, "The multiplier of the (cosine) similarity before the softmax, e.g. 10.")
        check_int("halve_lr_every", halve_lr_every, 0, fix="Episodes between halvings of the step size "
                  "(the paper: 2000); 0 keeps it constant.")
        super().__init__(model)
        self.config = dict(model=model, distance=distance, scale=scale)
        if halve_lr_every:  # only when set: the checkpoints of constant-step recipes keep their config
            self.config["halve_lr_every"] = halve_lr_every
        self.distance, self.scale, self.halve_lr_every = distance, scale, halve_lr_every

    def outer_lr_factor(self, step: int, steps: int) -> float:
        """0.5 ** (step // halve_lr_every): Snell et al.'s step-size schedule (1 when switched off)."""
        return 0.5 ** (step // self.halve_lr_every) if self.halve_lr_every else 1.0

    def logits(self, z_support, y_support, z_query, n_way, distance: str | None = None):
        return protonet_logits(z_query, prototypes(z_support, y_support, n_way), distance or self.distance, self.scale)
