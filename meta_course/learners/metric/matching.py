"""Matching networks (Vinyals, Blundell, Lillicrap, Kavukcuoglu & Wierstra 2016).

Prediction (Eq. 1): an attention-weighted sum of the support labels,
    ŷ = Σ_i a(x̂, x_i) y_i
Attention (Eq. 2): a softmax over cosine similarities of the embeddings,
    a(x̂, x_i) = exp(c(f(x̂), g(x_i))) / Σ_j exp(c(f(x̂), g(x_j)))
With a kernel k(x̂, x_i) = exp(c(·,·)), ŷ is a kernel density (Nadaraya–Watson) estimate of
p(y | x̂) from the support set: the lesson shows it.

Full-context embeddings (Appendix A.1/A.2), option ``fce=True``:
    g(x_i, S) = h→_i + h←_i + g'(x_i)               (bidirectional LSTM over the support set)
    f(x̂, S) = attLSTM(f'(x̂), g(S), K):  for k = 1..K
        ĥ_k, c_k = LSTM([f'(x̂), r_{k−1}], (h_{k−1}, c_{k−1}));   h_k = ĥ_k + f'(x̂)
        r_k = Σ_i softmax_i(h_kᵀ g(x_i)) g(x_i)
(the paper feeds [h_{k−1}, r_{k−1}] as the LSTM state; here r_{k−1} joins the input instead, the
usual implementation of the same read-out).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from ...core.checks import check_int, check_positive
from .base import MetricLearner
from .protonet import cosine_similarity


def attention(z_query: Tensor, z_support: Tensor, scale: float = 1.0) -> Tensor:
    """a(x̂, x_i) = softmax_i(scale · cos(f(x̂), g(x_i))) (Eq. 2): ``[Q, d]``, ``[S, d]`` → ``[Q, S]``, rows sum to 1."""
    return torch.softmax(scale * cosine_similarity(z_query, z_support), dim=-1)


def attend_labels(attn: Tensor, y_support: Tensor, n_way: int) -> Tensor:
    """ŷ = Σ_i a(x̂, x_i) y_i with one-hot y_i (Eq. 1): ``[Q, S]`` → class probabilities ``[Q, n_way]``."""
    return attn @ nn.functional.one_hot(y_support, n_way).to(attn.dtype)


class FullContextEmbedding(nn.Module):
    """g (bidirectional LSTM over the support set) and f (attention LSTM, K read steps), Appendix A."""

    def __init__(self, dim: int, steps: int = 5):
        super().__init__()
        self.support_lstm = nn.LSTM(dim, dim, bidirectional=True, batch_first=True)
        self.query_cell = nn.LSTMCell(2 * dim, dim)
        self.steps = steps

    def g(self, z_support: Tensor) -> Tensor:
        """g(x_i, S) = h→_i + h←_i + g'(x_i)."""
        h, _ = self.support_lstm(z_support.unsqueeze(0))        # [1, S, 2d]
        fwd, bwd = h[0].chunk(2, dim=-1)
        return fwd + bwd + z_support

    def f(self, z_query: Tensor, g_support: Tensor) -> Tensor:
        """f(x̂, S): K steps of an LSTM that reads the support set by attention."""
        h = z_query
        c = torch.zeros_like(z_query)
        r = torch.zeros_like(z_query)
        for _ in range(self.steps):
            h_hat, c = self.query_cell(torch.cat([z_query, r], dim=-1), (h, c))
            h = h_hat + z_query
            r = torch.softmax(h @ g_support.T, dim=-1) @ g_support
        return h


class MatchingNet(MetricLearner):
    """Matching network.

    Args:
        model: embedding network spec (f' = g', shared weights, as in the paper's Omniglot runs).
        fce: full-context embeddings (bidirectional LSTM g, attention LSTM f).
        fce_steps: K, the attention LSTM's read steps.
        embedding_dim: d of the embedding (needed to build the LSTMs; 64 for Conv-4 on 28×28).
        scale: multiplies the cosine before the softmax; 1 is the paper's Eq. 2. With cosines in
            [−1, 1], scale 1 caps the attention's contrast (at most e² between two supports), so
            the recipes use a larger fixed value.

    References:
        Vinyals et al. (2016), "Matching Networks for One Shot Learning", NeurIPS — Eq. (1), (2),
        Appendix A.1 (g), A.2 (f).
    """

    name = "matching"

    def __init__(self, model: dict, fce: bool = False, fce_steps: int = 5, embedding_dim: int = 64,
                 scale: float = 10.0):
        check_positive("scale", scale, "The cosine's multiplier before the softmax; 1 is the paper's.")
        check_int("fce_steps", fce_steps, 1, 100, "The paper's K processing steps; 5 is typical.")
        check_int("embedding_dim", embedding_dim, 1, 1_000_000, "The size of the model's embedding, e.g. 64 for Conv-4.")
        super().__init__(model)
        self.config = dict(model=model, fce=fce, fce_steps=fce_steps, embedding_dim=embedding_dim, scale=scale)
        self.scale = scale
        self.fce = FullContextEmbedding(embedding_dim, fce_steps) if fce else None

    def attention(self, z_support: Tensor, z_query: Tensor) -> Tensor:
        """The attention matrix ``[Q, S]`` after the (optional) full-context embeddings."""
        if self.fce is not None:
            z_support = self.fce.g(z_support)
            z_query = self.fce.f(z_query, z_support)
        return attention(z_query, z_support, self.scale)

    def logits(self, z_support, y_support, z_query, n_way):
        """log ŷ: the log of Eq. 1's class probabilities (cross-entropy on them is −log ŷ_y)."""
        probs = attend_labels(self.attention(z_support, z_query), y_support, n_way)
        return probs.clamp_min(1e-12).log()
