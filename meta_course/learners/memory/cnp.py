"""Conditional neural process (Garnelo et al. 2018): a learner that reads its context, no gradient step.

Given a context (support set) O = {(x_i, y_i)}_{i=1..n} of one task, a CNP
    encodes every pair                r_i = h_θ(x_i, y_i)                     (Eq. 1, :func:`encode`)
    aggregates them by the mean       r = (1/n) Σ_i r_i                       (Eq. 2, :func:`aggregate`)
    decodes each target input         φ_t = (μ_t, σ_t) = g_θ(x_t, r)          (Eq. 3, :func:`decode`)
and predicts y_t ~ N(μ_t, σ_t²), independently for every target. Training maximises the
log-likelihood of the targets of random tasks under random context sizes (Eq. 4):
    L(θ) = −E_f E_N [ Σ_t log N(y_t; μ_t, σ_t²) ],   context = N random points of the task,
                                                      targets = all its points (context included)
(:func:`gaussian_nll`, :func:`cnp_nll`). The mean makes r independent of the order of the context
and of its size, so one network serves every K; adaptation costs one forward pass.

References:
    Garnelo, Rosenbaum, Maddison, Ramalho, Saxton, Shanahan, Teh, Rezende & Eslami (2018),
    "Conditional Neural Processes", ICML — Section 2.3, Eq. (1)-(3) (model), Section 2.4, Eq. (4)
    (training), Section 4.1 (1-D regression on GP samples).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import torch
from torch import Tensor, nn

from ...core.checks import check_int, check_range

Context = tuple[Tensor, Tensor]


class Gaussian(NamedTuple):
    """A factorised Gaussian predictive distribution: ``mean`` and ``std``, each ``[..., m, y_dim]``."""

    mean: Tensor
    std: Tensor


def check_context(x_context: Tensor, y_context: Tensor) -> None:
    """Raise a clear ``ValueError`` for an empty context or mismatched shapes."""
    if x_context.dim() < 2 or y_context.dim() < 2:
        raise ValueError(f"x_context {tuple(x_context.shape)} and y_context {tuple(y_context.shape)} must be "
                         "[..., n_points, dim]; add the feature dimension with .unsqueeze(-1).")
    if x_context.shape[-2] == 0:
        raise ValueError("K=0 context points: a CNP needs at least 1 (allowed: K >= 1). The mean of no "
                         "representations is undefined; give the task one or more (x, y) pairs.")
    if x_context.shape[:-1] != y_context.shape[:-1]:
        raise ValueError(f"x_context has shape {tuple(x_context.shape)} but y_context {tuple(y_context.shape)}: "
                         "they must hold the same number of points, one target per input.")


def encode(encoder: nn.Module, x_context: Tensor, y_context: Tensor) -> Tensor:
    """r_i = h_θ(x_i, y_i) for every context pair (Eq. 1): ``[..., n, dx]``, ``[..., n, dy]`` → ``[..., n, d_r]``."""
    check_context(x_context, y_context)
    return encoder(torch.cat([x_context, y_context], dim=-1))


def aggregate(r_i: Tensor, mask: Tensor | None = None) -> Tensor:
    """r = (1/n) Σ_i r_i, the mean over the context (Eq. 2 with ⊕ = mean): ``[..., n, d_r]`` → ``[..., d_r]``.

    Args:
        r_i: per-point representations.
        mask: optional ``[..., n]`` 0/1 weights; the mean then runs over the points with weight 1,
            so tasks of one batch can have different context sizes.

    Example:
        >>> aggregate(torch.tensor([[1.0, 0.0], [3.0, 2.0], [9.0, 9.0]]), mask=torch.tensor([1.0, 1.0, 0.0]))
        tensor([2., 1.])
    """
    if mask is None:
        return r_i.mean(dim=-2)
    counts = mask.sum(-1, keepdim=True)
    if bool((counts == 0).any()):
        raise ValueError("a mask selects 0 context points for some task: allowed >= 1 per task.")
    return (r_i * mask.unsqueeze(-1)).sum(-2) / counts


def decode(decoder: nn.Module, r: Tensor, x_target: Tensor, min_std: float = 0.01) -> Gaussian:
    """φ_t = g_θ(x_t, r) = (μ_t, σ_t) for every target input (Eq. 3).

    The decoder's second half of outputs becomes σ = σ_min + softplus(·) > 0; the floor σ_min keeps
    the likelihood bounded when a target coincides with a context point.

    Args:
        decoder: maps ``[..., m, dx + d_r]`` to ``[..., m, 2·dy]``.
        r: ``[..., d_r]`` the aggregated context representation.
        x_target: ``[..., m, dx]`` inputs to predict at.
        min_std: σ_min ≥ 0.
    """
    r = r.unsqueeze(-2).expand(*x_target.shape[:-1], r.shape[-1])
    out = decoder(torch.cat([x_target, r], dim=-1))
    mean, raw = out.chunk(2, dim=-1)
    return Gaussian(mean, min_std + nn.functional.softplus(raw))


def gaussian_nll(y: Tensor, mean: Tensor, std: Tensor) -> Tensor:
    """−log N(y; μ, σ²) = ½ log 2π + log σ + (y − μ)² / (2σ²), elementwise (in nats).

    Example:
        >>> round(gaussian_nll(torch.tensor(0.0), torch.tensor(0.0), torch.tensor(1.0)).item(), 4)  # ½ log 2π
        0.9189
    """
    return 0.5 * math.log(2 * math.pi) + torch.log(std) + 0.5 * ((y - mean) / std) ** 2


class ConditionalNeuralProcess(nn.Module):
    """Encoder h_θ (an MLP on (x, y) pairs) → mean → decoder g_θ (an MLP on (x, r)) → (μ, σ).

    Args:
        x_dim, y_dim: input and output sizes (1 and 1 for the sine and GP families).
        r_dim: size of the representation r.
        hidden: width of every hidden layer.
        encoder_layers, decoder_layers: hidden layers of h_θ and g_θ.
        min_std: σ_min, the floor of the predicted standard deviation.

    References:
        Garnelo et al. (2018), Section 2.3, Eq. (1)-(3).

    Example:
        >>> cnp = ConditionalNeuralProcess(hidden=16, r_dim=8)
        >>> mean, std = cnp(torch.zeros(3, 1), torch.zeros(3, 1), torch.linspace(-1, 1, 5).unsqueeze(1))
        >>> tuple(mean.shape), bool((std > 0).all())
        ((5, 1), True)
    """

    def __init__(self, x_dim: int = 1, y_dim: int = 1, r_dim: int = 128, hidden: int = 128,
                 encoder_layers: int = 3, decoder_layers: int = 3, min_std: float = 0.01):
        super().__init__()
        for name, value in (("x_dim", x_dim), ("y_dim", y_dim), ("r_dim", r_dim), ("hidden", hidden)):
            check_int(name, value, 1, 4096, "A layer needs at least one unit.")
        check_int("encoder_layers", encoder_layers, 1, 16, "Hidden layers of the encoder; the paper uses 3.")
        check_int("decoder_layers", decoder_layers, 1, 16, "Hidden layers of the decoder; the paper uses 3.")
        check_range("min_std", min_std, 0.0, 10.0, "The floor of σ; 0.01 suits noiseless tasks, 0.1 noisy ones.")
        self.min_std = min_std
        self.encoder = _mlp([x_dim + y_dim] + [hidden] * encoder_layers + [r_dim])
        self.decoder = _mlp([x_dim + r_dim] + [hidden] * decoder_layers + [2 * y_dim])

    def represent(self, x_context: Tensor, y_context: Tensor, mask: Tensor | None = None) -> Tensor:
        """r for a context (Eq. 1 then Eq. 2): ``[..., n, ·]`` → ``[..., r_dim]``."""
        return aggregate(encode(self.encoder, x_context, y_context), mask)

    def forward(self, x_context: Tensor, y_context: Tensor, x_target: Tensor, mask: Tensor | None = None) -> Gaussian:
        """The predictive distribution at ``x_target`` given the context (Eq. 1-3)."""
        return decode(self.decoder, self.represent(x_context, y_context, mask), x_target, self.min_std)


def _mlp(sizes: list[int]) -> nn.Sequential:
    layers: list[nn.Module] = []
    for a, b in zip(sizes[:-1], sizes[1:]):
        layers += [nn.Linear(a, b), nn.ReLU()]
    return nn.Sequential(*layers[:-1])  # no ReLU after the last layer


def context_mask(n_tasks: int, n_points: int, n_context: Tensor) -> Tensor:
    """``[T, n_points]`` 0/1 mask selecting the first ``n_context[t]`` points of task t."""
    return (torch.arange(n_points, device=n_context.device) < n_context.unsqueeze(1)).float()


def cnp_nll(cnp: ConditionalNeuralProcess, x: Tensor, y: Tensor, n_context: Tensor) -> Tensor:
    """Eq. 4 on a batch: mean NLL per target point when task t reads its first ``n_context[t]`` points.

    The points of each task are in random order, so its first N points are a random context of size N;
    every point is a target (the context included, as in the paper), so the CNP learns both to pass
    through its context and to predict away from it.

    Args:
        cnp: the model.
        x, y: ``[T, n, ·]`` all points of T tasks (context first, in random order).
        n_context: ``[T]`` integer context sizes, 1 ≤ N_t ≤ n.
    """
    if bool((n_context < 1).any()) or bool((n_context > x.shape[1]).any()):
        raise ValueError(f"n_context={n_context.tolist()} must lie in [1, {x.shape[1]}] (the points per task).")
    n_max = int(n_context.max())
    mask = context_mask(x.shape[0], n_max, n_context)
    pred = cnp(x[:, :n_max], y[:, :n_max], x, mask)
    return gaussian_nll(y, pred.mean, pred.std).mean()
