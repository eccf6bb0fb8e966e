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

from ...core.checks import check_choice, check_int, check_range
from ..base import Learner

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


class FourierFeatures(nn.Module):
    """γ(x) = [sin 2π xB, cos 2π xB, x] on the first ``x_dim`` columns of its input; the rest passes through.

    A fixed random frequency matrix B ~ N(0, scale²) (a buffer, saved with the weights) gives an MLP
    the local, wiggly functions of x a short-lengthscale task family needs; it is part of h_θ and g_θ,
    so Eq. 1-3 are unchanged.

    References:
        Rahimi & Recht (2007), "Random Features for Large-Scale Kernel Machines"; Tancik et al. (2020),
        "Fourier Features Let Networks Learn High Frequency Functions in Low Dimensional Domains".

    Example:
        >>> ff = FourierFeatures(1, 2, scale=1.0)
        >>> ff.B = torch.tensor([[0.25, 0.5]])
        >>> ff(torch.tensor([[1.0, 7.0]])).round().abs().tolist()  # x = 1: sin π/2, sin π, cos π/2, |cos π|, x; y = 7
        [[1.0, 0.0, 0.0, 1.0, 1.0, 7.0]]
    """

    def __init__(self, x_dim: int, n_features: int, scale: float = 1.0, seed: int = 0):
        super().__init__()
        self.x_dim = x_dim
        self.register_buffer("B", scale * torch.randn(x_dim, n_features, generator=torch.Generator().manual_seed(seed)))

    def forward(self, z: Tensor) -> Tensor:
        x, rest = z[..., :self.x_dim], z[..., self.x_dim:]
        proj = 2 * math.pi * x @ self.B
        return torch.cat([torch.sin(proj), torch.cos(proj), x, rest], dim=-1)


class ConditionalNeuralProcess(nn.Module):
    """Encoder h_θ (an MLP on (x, y) pairs) → mean → decoder g_θ (an MLP on (x, r)) → (μ, σ).

    Args:
        x_dim, y_dim: input and output sizes (1 and 1 for the sine and GP families).
        r_dim: size of the representation r.
        hidden: width of every hidden layer.
        encoder_layers, decoder_layers: hidden layers of h_θ and g_θ.
        min_std: σ_min, the floor of the predicted standard deviation.
        x_features: if > 0, h_θ and g_θ first map x to ``x_features`` random Fourier features
            (:class:`FourierFeatures`, frequencies ~ N(0, ``x_feature_scale``²)); 0 feeds x raw.

    References:
        Garnelo et al. (2018), Section 2.3, Eq. (1)-(3).

    Example:
        >>> cnp = ConditionalNeuralProcess(hidden=16, r_dim=8)
        >>> mean, std = cnp(torch.zeros(3, 1), torch.zeros(3, 1), torch.linspace(-1, 1, 5).unsqueeze(1))
        >>> tuple(mean.shape), bool((std > 0).all())
        ((5, 1), True)
    """

    def __init__(self, x_dim: int = 1, y_dim: int = 1, r_dim: int = 128, hidden: int = 128,
                 encoder_layers: int = 3, decoder_layers: int = 3, min_std: float = 0.01, x_features: int = 0,
                 x_feature_scale: float = 1.0):
        super().__init__()
        for name, value in (("x_dim", x_dim), ("y_dim", y_dim), ("r_dim", r_dim), ("hidden", hidden)):
            check_int(name, value, 1, 4096, "A layer needs at least one unit.")
        check_int("encoder_layers", encoder_layers, 1, 16, "Hidden layers of the encoder; the paper uses 3.")
        check_int("decoder_layers", decoder_layers, 1, 16, "Hidden layers of the decoder; the paper uses 3.")
        check_range("min_std", min_std, 0.0, 10.0, "The floor of σ; 0.01 suits noiseless tasks, 0.1 noisy ones.")
        check_int("x_features", x_features, 0, 4096, "Random Fourier features of x; 0 switches them off.")
        check_range("x_feature_scale", x_feature_scale, 1e-6, 1e6, "The std of the random frequencies, e.g. 1.0.")
        self.min_std = min_std
        x_in = x_dim + 2 * x_features
        self.encoder = _mlp([x_in + y_dim] + [hidden] * encoder_layers + [r_dim])
        self.decoder = _mlp([x_in + r_dim] + [hidden] * decoder_layers + [2 * y_dim])
        if x_features:  # the same γ(x) in h_θ and g_θ (one frequency matrix, seeded: a checkpoint rebuilds it)
            self.encoder = nn.Sequential(FourierFeatures(x_dim, x_features, x_feature_scale), *self.encoder)
            self.decoder = nn.Sequential(FourierFeatures(x_dim, x_features, x_feature_scale), *self.decoder)

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


class CNPPredictor:
    """The CNP conditioned on one context: ``predictor(x)`` is the predictive mean, ``distribution(x)``
    the mean and σ; ``info`` holds the representation r and K (what widgets show)."""

    def __init__(self, cnp: ConditionalNeuralProcess, x_context: Tensor, y_context: Tensor):
        self.cnp = cnp
        self.r = cnp.represent(x_context, y_context)
        self.info = {"r": self.r, "k_shot": x_context.shape[-2]}

    def distribution(self, x: Tensor) -> Gaussian:
        return decode(self.cnp.decoder, self.r, x, self.cnp.min_std)

    def __call__(self, x: Tensor) -> Tensor:
        return self.distribution(x).mean


class CNP(Learner):
    """The conditional neural process as a course learner: ``adapt`` is one forward pass.

    Args:
        x_dim, y_dim, r_dim, hidden, encoder_layers, decoder_layers, min_std, x_features, x_feature_scale:
            the network, see :class:`ConditionalNeuralProcess`.
        context_range: ``[low, high]``: during training each task reads a random number of its points
            N ~ U{low..high} (clipped to its support size) and is scored on all its points (Eq. 4).
        lr_schedule: ``"constant"`` or ``"cosine"`` (the outer step size decays as ½(1 + cos πt/T) over
            the run, so the last steps average out the gradient noise of random tasks).
        init_from: name of a committed CNP checkpoint with the same network whose weights this learner starts
            from (a longer training in a second stage); ``None``: fresh weights.

    References:
        Garnelo et al. (2018), Section 2.3-2.4, Eq. (1)-(4).

    Example:
        >>> import torch
        >>> from meta_course.tasks.sine import SineTasks
        >>> cnp = CNP(hidden=16, r_dim=8, context_range=[1, 5])
        >>> episodes = SineTasks().sample(torch.Generator().manual_seed(0), 4, k_shot=5)
        >>> cnp.meta_loss(episodes).shape, cnp.adapt(episodes.x_support[0], episodes.y_support[0])(episodes.x_query[0]).shape
        (torch.Size([]), torch.Size([10, 1]))
    """

    name = "cnp"
    metric = "mse"

    def __init__(self, x_dim: int = 1, y_dim: int = 1, r_dim: int = 128, hidden: int = 128, encoder_layers: int = 3,
                 decoder_layers: int = 3, min_std: float = 0.01, x_features: int = 0, x_feature_scale: float = 1.0,
                 context_range=(1, 20), lr_schedule: str = "constant", init_from: str | None = None):
        super().__init__()
        low, high = (int(v) for v in context_range)
        check_int("context_range[0]", low, 1, fix="Tasks must read at least one context point.")
        check_int("context_range[1]", high, low, fix="context_range is [low, high] with low <= high.")
        check_choice("lr_schedule", lr_schedule, ("constant", "cosine"), "How the outer step size changes over training.")
        self.config = dict(x_dim=x_dim, y_dim=y_dim, r_dim=r_dim, hidden=hidden, encoder_layers=encoder_layers,
                           decoder_layers=decoder_layers, min_std=min_std, x_features=x_features,
                           x_feature_scale=x_feature_scale, context_range=[low, high], lr_schedule=lr_schedule)
        self.context_range, self.lr_schedule = (low, high), lr_schedule
        self.net = ConditionalNeuralProcess(x_dim, y_dim, r_dim, hidden, encoder_layers, decoder_layers, min_std,
                                            x_features, x_feature_scale)
        if init_from is not None:
            # start from a committed run's weights (a resumed run or a loaded checkpoint overwrites them after)
            from ...checkpoints import checkpoint_path
            from ..base import load_learner

            start = load_learner(checkpoint_path(init_from))
            if not isinstance(start, CNP) or {k: v for k, v in start.config.items() if k != "init_from"} != \
                    {k: v for k, v in self.config.items()}:
                raise ValueError(f"init_from={init_from!r} is not a CNP with this network and these settings "
                                 f"({start.config}); start from a checkpoint of the same recipe family.")
            self.net.load_state_dict(start.net.state_dict())
            self.config["init_from"] = init_from

    def meta_loss(self, episodes) -> Tensor:
        """Eq. 4 on a meta-batch: random context sizes per task (torch's global RNG, which the loop seeds)."""
        x = torch.cat([episodes.x_support, episodes.x_query], dim=1)
        y = torch.cat([episodes.y_support, episodes.y_query], dim=1)
        low, high = self.context_range
        high = min(high, episodes.x_support.shape[1])
        if low > high:
            raise ValueError(f"context_range={list(self.context_range)} but the tasks have {high} support points: "
                             f"sample tasks with k_shot >= {low}.")
        n_context = torch.randint(low, high + 1, (x.shape[0],), device=x.device)
        return cnp_nll(self.net, x, y, n_context)

    def outer_lr_factor(self, step: int, steps: int) -> float:
        """1, or ½(1 + cos(π·step/steps)) with the cosine schedule (a pure function of the step: resumable)."""
        return 0.5 * (1 + math.cos(math.pi * step / steps)) if self.lr_schedule == "cosine" else 1.0

    def adapt(self, x_support: Tensor, y_support: Tensor, inner_steps: int = 0, **_) -> CNPPredictor:
        """Read the support set (Eq. 1-2): no gradient step, so ``inner_steps`` must be 0."""
        if inner_steps:
            raise ValueError(f"inner_steps={inner_steps}: a CNP adapts in one forward pass; allowed 0.")
        return CNPPredictor(self.net, x_support, y_support)

    def distribution(self, episodes) -> Gaussian:
        """Predictive mean and σ at every query point of a batch of tasks ``[T, Q, y_dim]``."""
        return self.net(episodes.x_support, episodes.y_support, episodes.x_query)

    def predict(self, episodes, inner_steps: int = 0, **_) -> Tensor:
        if inner_steps:
            raise ValueError(f"inner_steps={inner_steps}: a CNP adapts in one forward pass; allowed 0.")
        return self.distribution(episodes).mean

    def score(self, episodes, metric: str | None = None, inner_steps: int = 0, **_) -> Tensor:
        """Per-task MSE of the predictive mean (the default metric) or NLL per query point in nats, ``[T]``."""
        if inner_steps:
            raise ValueError(f"inner_steps={inner_steps}: a CNP adapts in one forward pass; allowed 0.")
        metric = check_choice("metric", metric or self.metric, ("mse", "nll"),
                              "A CNP is scored by its mean (mse) or by its predictive density (nll).")
        pred = self.distribution(episodes)
        if metric == "mse":
            return ((pred.mean - episodes.y_query) ** 2).flatten(1).mean(1)
        return gaussian_nll(episodes.y_query, pred.mean, pred.std).flatten(1).mean(1)
