"""Attentive conditional neural process (Kim et al. 2019, deterministic path): each target reads its own r.

A CNP (:mod:`.cnp`) gives every target the same representation, the mean r = (1/n) Σ_i r_i. The
attentive version replaces that mean by cross-attention: target x_t asks a *query*, every context point
offers a *key* (from x_i) and a *value* r_i = h_θ(x_i, y_i), and x_t receives its own weighted mean
    r_t = Σ_i a_ti · r_i,      a_t· = softmax_i(q_t · k_i / √d)                  (Kim et al. Eq. 3, Sec. 3)
with q_t = W_q e(x_t), k_i = W_k e(x_i), e an MLP on x shared by queries and keys; several heads, each
with its own W_q, W_k, W_v, are concatenated and mixed by W_o (multi-head attention, Vaswani et al. 2017).
A target next to a context point weighs that point most — the local read a GP posterior does — while the
CNP's mean weighs a far point as much as a near one. Decoding (μ_t, σ_t) = g_θ(x_t, r_t) and training
(Eq. 4 of the CNP: random context sizes, every point a target) are the CNP's. Only the deterministic path
is built (no latent z), so it is a conditional model like the CNP, scored by the same likelihood.

With ``self_attention=True`` the context representations first attend to each other (one multi-head
self-attention layer, Kim et al. Fig. 2), so a value can carry what its neighbours say.

References:
    Kim, Mnih, Schwarz, Garnelo, Eslami, Rosenbaum, Vinyals & Teh (2019), "Attentive Neural Processes",
    ICLR — Section 3 (cross-attention in the deterministic path, Eq. 3 and Fig. 2), Appendix A (multihead).
    Vaswani et al. (2017), "Attention Is All You Need", Eq. (1) and Section 3.2.2.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from ...core.checks import check_choice, check_int, check_range
from ..base import Learner
from .cnp import CNP, FourierFeatures, Gaussian, _mlp, check_context


def multihead_attention(q: Tensor, k: Tensor, v: Tensor, heads: int, mask: Tensor | None = None,
                        ) -> tuple[Tensor, Tensor]:
    """softmax(q kᵀ / √d) v per head (d = size of one head's query), heads concatenated.

    Args:
        q: ``[..., m, d_model]`` queries (already projected by W_q).
        k: ``[..., n, d_model]`` keys (projected by W_k).
        v: ``[..., n, d_v]`` values (projected by W_v).
        heads: number of heads; ``d_model`` and ``d_v`` must divide by it.
        mask: optional ``[..., n]`` 0/1: keys with 0 get weight 0 (tasks with fewer context points).

    Returns:
        ``(out [..., m, d_v], weights [..., heads, m, n])``; each row of weights sums to 1.

    Example:
        >>> q = torch.tensor([[10.0, 0.0]]); k = torch.tensor([[10.0, 0.0], [0.0, 10.0]])
        >>> out, w = multihead_attention(q, k, torch.tensor([[1.0], [5.0]]), heads=1)
        >>> round(out.item(), 3), w.shape  # the key aligned with the query takes (almost) all the weight
        (1.0, torch.Size([1, 1, 2]))
    """
    def split(t: Tensor) -> Tensor:  # [..., n, h·d] -> [..., h, n, d]
        return t.unflatten(-1, (heads, t.shape[-1] // heads)).transpose(-2, -3)

    qh, kh, vh = split(q), split(k), split(v)
    logits = qh @ kh.transpose(-1, -2) / math.sqrt(qh.shape[-1])              # [..., h, m, n]
    if mask is not None:
        logits = logits.masked_fill(mask[..., None, None, :] == 0, float("-inf"))
    weights = logits.softmax(-1)
    out = (weights @ vh).transpose(-2, -3).flatten(-2)                         # [..., m, h·d_v]
    return out, weights


class MultiheadAttention(nn.Module):
    """W_o · concat_h softmax(W_q^h q (W_k^h k)ᵀ / √d) W_v^h v (Vaswani et al. Section 3.2.2)."""

    def __init__(self, query_dim: int, key_dim: int, value_dim: int, model_dim: int, heads: int):
        super().__init__()
        if model_dim % heads:
            raise ValueError(f"model_dim={model_dim} is not divisible by heads={heads}: pick heads that divide it, "
                             "e.g. 8 heads for 128.")
        self.heads = heads
        self.w_q, self.w_k = nn.Linear(query_dim, model_dim, bias=False), nn.Linear(key_dim, model_dim, bias=False)
        self.w_v, self.w_o = nn.Linear(value_dim, model_dim, bias=False), nn.Linear(model_dim, model_dim)

    def forward(self, q: Tensor, k: Tensor, v: Tensor, mask: Tensor | None = None) -> tuple[Tensor, Tensor]:
        out, weights = multihead_attention(self.w_q(q), self.w_k(k), self.w_v(v), self.heads, mask)
        return self.w_o(out), weights


class AttentiveNeuralProcess(nn.Module):
    """Deterministic-path ANP: values h_θ(x_i, y_i), keys/queries e(x), cross-attention, decoder g_θ(x_t, r_t).

    Args:
        x_dim, y_dim: input and output sizes.
        r_dim: size of each r_t (the attention's model size).
        hidden: width of every hidden layer.
        encoder_layers, decoder_layers: hidden layers of h_θ and g_θ; e has 2.
        heads: attention heads (they must divide ``r_dim``).
        self_attention: one self-attention layer over the context values before the cross-attention.
        min_std: σ_min, the floor of the predicted standard deviation.
        x_features, x_feature_scale: random Fourier features of x, as in
            :class:`~meta_course.learners.memory.cnp.ConditionalNeuralProcess`.

    Example:
        >>> anp = AttentiveNeuralProcess(hidden=16, r_dim=8, heads=2)
        >>> mean, std = anp(torch.zeros(3, 1), torch.zeros(3, 1), torch.linspace(-1, 1, 5).unsqueeze(1))
        >>> tuple(mean.shape), bool((std > 0).all())
        ((5, 1), True)
    """

    def __init__(self, x_dim: int = 1, y_dim: int = 1, r_dim: int = 128, hidden: int = 128, encoder_layers: int = 3,
                 decoder_layers: int = 3, heads: int = 8, self_attention: bool = False, min_std: float = 0.01,
                 x_features: int = 0, x_feature_scale: float = 1.0):
        super().__init__()
        for name, value in (("x_dim", x_dim), ("y_dim", y_dim), ("r_dim", r_dim), ("hidden", hidden)):
            check_int(name, value, 1, 4096, "A layer needs at least one unit.")
        check_int("encoder_layers", encoder_layers, 1, 16, "Hidden layers of the encoder, e.g. 3.")
        check_int("decoder_layers", decoder_layers, 1, 16, "Hidden layers of the decoder, e.g. 3.")
        check_int("heads", heads, 1, r_dim, "Attention heads; r_dim must divide by it (8 for r_dim = 128).")
        if r_dim % heads:
            raise ValueError(f"r_dim={r_dim} is not divisible by heads={heads}: pick heads that divide it.")
        check_range("min_std", min_std, 0.0, 10.0, "The floor of σ; 0.01 suits noiseless tasks, 0.1 noisy ones.")
        check_int("x_features", x_features, 0, 4096, "Random Fourier features of x; 0 switches them off.")
        check_range("x_feature_scale", x_feature_scale, 1e-6, 1e6, "The std of the random frequencies, e.g. 1.0.")
        self.min_std, self.x_dim = min_std, x_dim
        x_in = x_dim + 2 * x_features
        self.features = FourierFeatures(x_dim, x_features, x_feature_scale) if x_features else nn.Identity()
        self.encoder = _mlp([x_in + y_dim] + [hidden] * encoder_layers + [r_dim])      # values h_θ(x_i, y_i)
        self.x_embed = _mlp([x_in, hidden, r_dim])                                   # e(x): keys and queries
        self.self_attention = MultiheadAttention(r_dim, r_dim, r_dim, r_dim, heads) if self_attention else None
        self.cross_attention = MultiheadAttention(r_dim, r_dim, r_dim, r_dim, heads)
        self.decoder = _mlp([x_in + r_dim] + [hidden] * decoder_layers + [2 * y_dim])

    def attend(self, x_context: Tensor, y_context: Tensor, x_target: Tensor, mask: Tensor | None = None,
               ) -> tuple[Tensor, Tensor]:
        """r_t for every target (``[..., m, r_dim]``) and the cross-attention weights ``[..., heads, m, n]``."""
        check_context(x_context, y_context)
        fc, ft = self.features(x_context), self.features(x_target)
        values = self.encoder(torch.cat([fc, y_context], dim=-1))
        if self.self_attention is not None:
            values = values + self.self_attention(values, values, values, mask)[0]
        return self.cross_attention(self.x_embed(ft), self.x_embed(fc), values, mask)

    def forward(self, x_context: Tensor, y_context: Tensor, x_target: Tensor, mask: Tensor | None = None) -> Gaussian:
        """The predictive distribution at ``x_target`` given the context."""
        r_t, _ = self.attend(x_context, y_context, x_target, mask)
        out = self.decoder(torch.cat([self.features(x_target), r_t], dim=-1))
        mean, raw = out.chunk(2, dim=-1)
        return Gaussian(mean, self.min_std + nn.functional.softplus(raw))


class ANPPredictor:
    """The ANP conditioned on one context: ``predictor(x)`` is the predictive mean, ``distribution(x)`` the
    mean and σ, ``attention(x)`` the cross-attention weights ``[heads, m, n]`` (what a widget shows)."""

    def __init__(self, net: AttentiveNeuralProcess, x_context: Tensor, y_context: Tensor):
        check_context(x_context, y_context)
        self.net, self.x_context, self.y_context = net, x_context, y_context
        self.info = {"k_shot": x_context.shape[-2]}

    def distribution(self, x: Tensor) -> Gaussian:
        return self.net(self.x_context, self.y_context, x)

    def attention(self, x: Tensor) -> Tensor:
        return self.net.attend(self.x_context, self.y_context, x)[1]

    def __call__(self, x: Tensor) -> Tensor:
        return self.distribution(x).mean


class AttentiveCNP(CNP):
    """The attentive CNP as a course learner; training, scoring and schedule are the CNP's (:class:`CNP`).

    Args:
        x_dim, y_dim, r_dim, hidden, encoder_layers, decoder_layers, heads, self_attention, min_std, x_features,
            x_feature_scale: the network, see :class:`AttentiveNeuralProcess`.
        context_range, lr_schedule: as for :class:`CNP`.

    References:
        Kim et al. (2019), Section 3; Garnelo et al. (2018), Eq. (4) (training objective).

    Example:
        >>> from meta_course.tasks.gp import GPTasks
        >>> anp = AttentiveCNP(hidden=16, r_dim=8, heads=2, context_range=[1, 5])
        >>> episodes = GPTasks().sample(torch.Generator().manual_seed(0), 4, k_shot=5)
        >>> anp.meta_loss(episodes).shape, anp.adapt(episodes.x_support[0], episodes.y_support[0])(episodes.x_query[0]).shape
        (torch.Size([]), torch.Size([50, 1]))
    """

    name = "anp"
    metric = "mse"

    def __init__(self, x_dim: int = 1, y_dim: int = 1, r_dim: int = 128, hidden: int = 128, encoder_layers: int = 3,
                 decoder_layers: int = 3, heads: int = 8, self_attention: bool = False, min_std: float = 0.01,
                 x_features: int = 0, x_feature_scale: float = 1.0, context_range=(1, 20), lr_schedule: str = "constant"):
        Learner.__init__(self)  # the CNP's network is not built: this learner has its own
        low, high = (int(v) for v in context_range)
        check_int("context_range[0]", low, 1, fix="Tasks must read at least one context point.")
        check_int("context_range[1]", high, low, fix="context_range is [low, high] with low <= high.")
        check_choice("lr_schedule", lr_schedule, ("constant", "cosine"), "How the outer step size changes over training.")
        self.config = dict(x_dim=x_dim, y_dim=y_dim, r_dim=r_dim, hidden=hidden, encoder_layers=encoder_layers,
                           decoder_layers=decoder_layers, heads=heads, self_attention=bool(self_attention),
                           min_std=min_std, x_features=x_features, x_feature_scale=x_feature_scale,
                           context_range=[low, high], lr_schedule=lr_schedule)
        self.context_range, self.lr_schedule = (low, high), lr_schedule
        self.net = AttentiveNeuralProcess(x_dim, y_dim, r_dim, hidden, encoder_layers, decoder_layers, heads,
                                          bool(self_attention), min_std, x_features, x_feature_scale)

    def adapt(self, x_support: Tensor, y_support: Tensor, inner_steps: int = 0, **_) -> ANPPredictor:
        """Keep the support set as the context the targets attend to: no gradient step (``inner_steps`` 0)."""
        if inner_steps:
            raise ValueError(f"inner_steps={inner_steps}: an attentive CNP adapts in one forward pass; allowed 0.")
        return ANPPredictor(self.net, x_support, y_support)
