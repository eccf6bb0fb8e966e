"""Siamese networks for one-shot recognition (Koch, Zemel & Salakhutdinov 2015).

Twin networks with shared weights embed two images, h_1 = f(x_1) and h_2 = f(x_2). Their
similarity (Section 3.1) is a learned weighted L1 distance squashed by a sigmoid:
    p(x_1, x_2) = σ( Σ_j α_j |h_1,j − h_2,j| + b )
trained with binary cross-entropy on same / different pairs (Eq. 1), with small affine
distortions of the training images (Section 3.3). The similarity is symmetric by construction.
One-shot classification (Eq. 2): a query gets the class of the most similar support image,
    C*(x̂) = argmax_c p(x̂, x_c)
(for K > 1 shots, the mean of the K logits of each class).

Pairs here come from the same episodes the other learners train on: every (query, support)
pair of an N-way episode is a pair, "same" when the labels agree. Positives are 1 in N, so each
pair is weighted to make positives and negatives count equally, as in Koch's balanced batches.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from ...core.checks import check_int
from .base import MetricLearner


def weighted_l1_logit(z1: Tensor, z2: Tensor, alpha: Tensor, bias: Tensor) -> Tensor:
    """Σ_j α_j |z1_j − z2_j| + b for every pair: ``[A, d]``, ``[B, d]`` → ``[A, B]`` (symmetric in z1, z2)."""
    return (z1.unsqueeze(-2) - z2.unsqueeze(-3)).abs() @ alpha + bias


def class_scores(pair_logits: Tensor, y_support: Tensor, n_way: int) -> Tensor:
    """Mean pair logit over each class's support images: ``[Q, S]`` → ``[Q, n_way]`` (Eq. 2 for K = 1)."""
    one_hot = nn.functional.one_hot(y_support, n_way).to(pair_logits.dtype)
    return pair_logits @ one_hot / one_hot.sum(0).clamp_min(1)


class SiameseNet(MetricLearner):
    """Siamese network with a weighted L1 similarity.

    Args:
        model: the twin embedding network spec.
        embedding_dim: d (64 for Conv-4 on 28×28): the length of α.

    References:
        Koch, Zemel & Salakhutdinov (2015), "Siamese Neural Networks for One-shot Image
        Recognition", ICML Deep Learning Workshop — Section 3.1 (L1 + sigmoid), Eq. (1) (loss),
        Section 3.3 (affine distortions), Section 4.3 (one-shot by the most similar image).
    """

    name = "siamese"

    def __init__(self, model: dict, embedding_dim: int = 64):
        check_int("embedding_dim", embedding_dim, 1, 1_000_000, "The size of the model's embedding, e.g. 64 for Conv-4.")
        super().__init__(model)
        self.config = dict(model=model, embedding_dim=embedding_dim)
        # A larger |h_1 − h_2| must mean "less similar" at the start: negative α.
        self.alpha = nn.Parameter(torch.full((embedding_dim,), -4.0 / embedding_dim))
        self.bias = nn.Parameter(torch.tensor(2.0))

    def similarity_logits(self, z1: Tensor, z2: Tensor) -> Tensor:
        """logit p(x_1, x_2) for every pair of embeddings."""
        return weighted_l1_logit(z1, z2, self.alpha, self.bias)

    def similarity(self, x1: Tensor, x2: Tensor) -> Tensor:
        """p(x_1, x_2) ∈ (0, 1) for every pair of images (both sets embedded as one batch)."""
        z1, z2 = self.embed_episode(x1, x2)
        return torch.sigmoid(self.similarity_logits(z1, z2))

    def logits(self, z_support, y_support, z_query, n_way):
        return class_scores(self.similarity_logits(z_query, z_support), y_support, n_way)

    def episode_loss(self, x_support, y_support, x_query, y_query) -> Tensor:
        """Balanced binary cross-entropy over all (query, support) pairs of the episode (Eq. 1)."""
        zs, zq = self.embed_episode(x_support, x_query)
        same = (y_query.unsqueeze(1) == y_support.unsqueeze(0)).to(zs.dtype)        # [Q, S]
        n_pos = same.sum().clamp_min(1)
        n_neg = (1 - same).sum().clamp_min(1)
        weight = same / n_pos + (1 - same) / n_neg                                   # each half sums to 1
        bce = nn.functional.binary_cross_entropy_with_logits(self.similarity_logits(zq, zs), same, reduction="none")
        return (weight * bce).sum() / 2
