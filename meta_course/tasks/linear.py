"""Linear-regression tasks, where MAML's adaptation and meta-gradient have closed forms.

A task is y = x·w + b + noise with (w, b) ~ N(μ, σ²I); inputs x ~ U[x_low, x_high]^d. The model is
``nn.Linear(dim, 1)`` with parameters θ = (weight, bias). With the mean squared error of the package
(``nn.functional.mse_loss``, no ½), a support set with design matrix X̃ = [X 1] (n rows) has

    L_s(θ) = ‖X̃θ − y‖² / n,   ∇L_s(θ) = A_s θ − c_s,   ∇²L_s = A_s = 2 X̃ᵀX̃ / n,   c_s = 2 X̃ᵀy / n

(with the ½·mse convention of the course issue the Hessian is X̃ᵀX̃/n: the factor 2 is only the
loss's scale). The Hessian does not depend on θ, so k inner steps are an affine map,

    θ_k = (I − αA_s)^k θ + Σ_{j<k} (I − αA_s)^j α c_s,

and the MAML meta-gradient through k steps is exactly

    ∇_θ L_q(θ_k) = (I − αA_s)^k (A_q θ_k − c_q)          (A_s symmetric, so the transpose is free).

:func:`closed_form_adapt` and :func:`closed_form_meta_gradient` compute these with plain matrices;
the tests check the package's ``adapt``, autograd through it, and the HVP product of
:mod:`meta_course.core.metagrad` against them.

The one linear/quadratic world of the course: :class:`LinearTasks` (lesson 03), the 2-D bias-free
:func:`bowl_tasks` with the closed-form initialisations of pretraining, MAML and Reptile
(:func:`closed_form_init`, lesson 05's parameter-space widget), and the random quadratics
f(θ) = ‖Wθ − y‖² of the learned optimiser (:class:`QuadraticTasks`), all sharing :func:`quadratic_form`.

References:
    Finn, Abbeel & Levine (2017), Eq. (1)-(3). Linear-regression tasks as an exactly solvable
    meta-learning model: e.g. Denevi et al. (2018), "Learning to learn around a common mean", NeurIPS.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import torch
from torch import Tensor, nn

from ..core.checks import check_choice, check_int, check_positive
from .episode import Episode


@dataclass(frozen=True)
class LinearTasks:
    """The distribution p(T) over linear-regression tasks.

    Args:
        dim: input dimension d.
        mean: μ, the mean of every weight and of the bias.
        std: σ, their standard deviation across tasks.
        noise: standard deviation of the observation noise.
        x_range: (low, high) of the uniform inputs.

    Example:
        >>> ep = LinearTasks(dim=3).sample(torch.Generator().manual_seed(0), 4, k_shot=5, n_query=7)
        >>> tuple(ep.x_support.shape), tuple(ep.y_query.shape)
        ((4, 5, 3), (4, 7, 1))
    """

    dim: int = 2
    mean: float = 1.0
    std: float = 1.0
    noise: float = 0.1
    x_range: tuple[float, float] = (-2.0, 2.0)

    def __post_init__(self):
        check_int("dim", self.dim, 1, 10_000, "The input dimension of the linear tasks, e.g. 2.")
        check_positive("std", self.std, "Spread of the task weights, e.g. 1.0.")
        if self.noise < 0:
            raise ValueError(f"noise={self.noise} is out of range: allowed >= 0. Use 0 for noiseless tasks.")
        low, high = self.x_range
        if not low < high:
            raise ValueError(f"x_range=({low}, {high}) must satisfy low < high, e.g. (-2.0, 2.0).")

    def sample_weights(self, g: torch.Generator, n_tasks: int) -> tuple[Tensor, Tensor]:
        """Task weights ``[T, d]`` and biases ``[T]``."""
        check_int("n_tasks", n_tasks, 1, fix="Ask for at least one task.")
        w = self.mean + self.std * torch.randn(n_tasks, self.dim, generator=g)
        b = self.mean + self.std * torch.randn(n_tasks, generator=g)
        return w, b

    def _x(self, g, n_tasks, n):
        low, high = self.x_range
        return low + (high - low) * torch.rand(n_tasks, n, self.dim, generator=g)

    def sample(self, g: torch.Generator, n_tasks: int, k_shot: int, n_query: int = 10) -> Episode:
        """``n_tasks`` episodes with ``k_shot`` support and ``n_query`` query points each."""
        check_int("k_shot", k_shot, 1, 100_000, "Support points per task; try 5 or 10.")
        check_int("n_query", n_query, 1, 100_000, "Use at least one query point per task.")
        w, b = self.sample_weights(g, n_tasks)
        xs, xq = self._x(g, n_tasks, k_shot), self._x(g, n_tasks, n_query)

        def y(x):
            clean = x @ w.unsqueeze(-1) + b.view(-1, 1, 1)
            return clean + self.noise * torch.randn(clean.shape, generator=g)

        return Episode(xs, y(xs), xq, y(xq))


def linear_model(dim: int, dtype=torch.float32) -> nn.Linear:
    """The model of the linear tasks: ``nn.Linear(dim, 1)``; θ = {"weight": [1, d], "bias": [1]}."""
    return nn.Linear(dim, 1, dtype=dtype)


def to_vector(params) -> Tensor:
    """θ as the vector (w_1..w_d, b) that the closed forms use."""
    return torch.cat([params["weight"].reshape(-1), params["bias"].reshape(-1)])


def from_vector(theta: Tensor) -> dict[str, Tensor]:
    """Inverse of :func:`to_vector`."""
    return {"weight": theta[:-1].reshape(1, -1), "bias": theta[-1:].clone()}


def quadratic_form(x: Tensor, y: Tensor, bias: bool = True) -> tuple[Tensor, Tensor]:
    """(A, c) with ∇²L = A = 2X̃ᵀX̃/n and ∇L(θ) = Aθ − c for L = mse(X̃θ, y), X̃ = [X 1] (``bias=False``: X̃ = X).

    ``x [..., n, d]``, ``y [..., n, 1]``: leading (task) dimensions are kept — ``A [..., d+1, d+1]``,
    ``c [..., d+1]``. The one quadratic form of the course (lessons 03 and 05).
    """
    n = x.shape[-2]
    xt = torch.cat([x, torch.ones(*x.shape[:-1], 1, dtype=x.dtype)], dim=-1) if bias else x
    a = 2 * xt.transpose(-1, -2) @ xt / n
    c = 2 * (xt.transpose(-1, -2) @ y.reshape(*x.shape[:-1], 1)).squeeze(-1) / n
    return a, c


def minimisers(x: Tensor, y: Tensor, bias: bool = True) -> Tensor:
    """θ*_i = A_i⁻¹ c_i, the minimum of each task's loss (``[..., d(+1)]``)."""
    a, c = quadratic_form(x, y, bias)
    return torch.linalg.solve(a, c)


def closed_form_adapt(theta: Tensor, x_support: Tensor, y_support: Tensor, inner_lr: float, inner_steps: int) -> Tensor:
    """θ_k = (I − αA_s)^k θ + Σ_{j<k} (I − αA_s)^j α c_s, evaluated with matrix powers (no loop over steps).

    Example:
        >>> x = torch.randn(6, 2, dtype=torch.double); y = x.sum(1, keepdim=True)
        >>> th = closed_form_adapt(torch.zeros(3, dtype=torch.double), x, y, 0.1, 500)
        >>> torch.allclose(th, torch.tensor([1.0, 1.0, 0.0], dtype=torch.double), atol=1e-6)
        True
    """
    a, c = quadratic_form(x_support, y_support)
    m = torch.eye(a.shape[0], dtype=a.dtype) - inner_lr * a
    geometric = sum((torch.linalg.matrix_power(m, j) for j in range(inner_steps)), torch.zeros_like(m))
    return torch.linalg.matrix_power(m, inner_steps) @ theta + geometric @ (inner_lr * c)


def closed_form_meta_gradient(theta: Tensor, episode: Episode, inner_lr: float, inner_steps: int) -> Tensor:
    """∇_θ L_q(θ_k) = (I − αA_s)^k (A_q θ_k − c_q) for one linear task."""
    xs, ys, xq, yq = episode
    a_s, _ = quadratic_form(xs, ys)
    a_q, c_q = quadratic_form(xq, yq)
    theta_k = closed_form_adapt(theta, xs, ys, inner_lr, inner_steps)
    m = torch.eye(a_s.shape[0], dtype=a_s.dtype) - inner_lr * a_s
    return torch.linalg.matrix_power(m, inner_steps) @ (a_q @ theta_k - c_q)


#: the initialisations of :func:`closed_form_init`
INIT_METHODS = ("pretrained", "maml", "reptile")


def bowl_tasks(n_tasks: int = 4, n_points: int = 40, seed: int = 0, radius: float = 2.0,
               anisotropy: float = 6.0) -> Episode:
    """A small family of 2-D tasks without bias (y = x·w_i, noise-free) for drawing parameter space
    (lesson 05): optima w_i on a half circle of ``radius``, each task's inputs stretched ``anisotropy``×
    along a direction that rotates with i, so the bowls differ in shape, not only in position — which is
    what separates the initialisations of :func:`closed_form_init`. float64 for exact checks; support =
    query.

    Example:
        >>> ep = bowl_tasks(3)
        >>> tuple(ep.x_support.shape), tuple(ep.y_support.shape)
        ((3, 40, 2), (3, 40, 1))
    """
    check_int("n_tasks", n_tasks, 1, 12, "The widget draws one panel per task; use 1-12.")
    check_int("n_points", n_points, 2, 100_000)
    check_positive("anisotropy", anisotropy, "1 gives round bowls; 3-10 shows the effect.")
    g = torch.Generator().manual_seed(seed)
    xs, ys = [], []
    for i in range(n_tasks):
        angle = math.pi * (i + 0.5) / n_tasks
        w = radius * torch.tensor([math.cos(angle), math.sin(angle)], dtype=torch.float64)
        rot = torch.tensor([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]], dtype=torch.float64)
        scale = torch.tensor([math.sqrt(anisotropy), 1.0], dtype=torch.float64) / math.sqrt(anisotropy)
        x = torch.randn(n_points, 2, generator=g, dtype=torch.float64) * scale @ rot.T
        xs.append(x)
        ys.append((x @ w).unsqueeze(1))
    x, y = torch.stack(xs), torch.stack(ys)
    return Episode(x, y, x, y)


def closed_form_init(episodes: Episode, method: str, inner_lr: float, inner_steps: int) -> Tensor:
    """The initialisation each method converges to on bias-free linear tasks, in closed form.

    After k steps of gradient descent with step α, θ_k − w_i = (I − αA_i)^k (θ − w_i); with
    B_i = (I − αA_i)^k:

        joint pretraining  θ* = (Σ A_i)⁻¹ Σ A_i w_i                 (minimum of the mean loss)
        MAML               θ* = (Σ B_iᵀA_iB_i)⁻¹ Σ B_iᵀA_iB_i w_i    (minimum of the mean post-adaptation loss)
        Reptile            θ* = (Σ (I − B_i))⁻¹ Σ (I − B_i) w_i      (fixed point of θ += ε mean(φ_i − θ))
    """
    check_choice("method", method, INIT_METHODS)
    a, c = quadratic_form(episodes.x_support, episodes.y_support, bias=False)
    w = torch.linalg.solve(a, c)
    eye = torch.eye(a.shape[-1], dtype=a.dtype)
    b = torch.linalg.matrix_power(eye - inner_lr * a, inner_steps)
    m = {"pretrained": a, "maml": b.transpose(-1, -2) @ a @ b, "reptile": eye - b}[method]
    return torch.linalg.solve(m.sum(0), (m @ w.unsqueeze(-1)).sum(0)).squeeze(-1)


def linear_tasks(k_shot: int, n_query: int = 10, **distribution):
    """Task family ``"linear"``: ``sample(generator, n_tasks) -> Episode`` of :class:`LinearTasks`."""
    return functools.partial(LinearTasks(**distribution).sample, k_shot=k_shot, n_query=n_query)


class QuadraticTasks:
    """Random quadratics f(θ) = ‖Wθ − y‖², W ~ N(0,1)^{d×d}, y ~ N(0,1)^d (Andrychowicz et al. 2016, Section 3.1).

    As an :class:`Episode`: ``x_support = x_query = W`` ``[T, d, d]`` and ``y_support = y_query = y``
    ``[T, d, 1]``; the optimisee is ``linear`` (d → 1, no bias) with the ``sse`` loss, so
    ``task_loss`` is exactly f(θ).

    Example:
        >>> ep = QuadraticTasks(dim=10).sample(torch.Generator().manual_seed(0), 3)
        >>> tuple(ep.x_support.shape), tuple(ep.y_support.shape)
        ((3, 10, 10), (3, 10, 1))
    """

    def __init__(self, dim: int = 10):
        self.dim = check_int("dim", dim, 1, 1000, "The paper uses 10-dimensional quadratics.")

    def sample(self, generator: torch.Generator, n_tasks: int) -> Episode:
        check_int("n_tasks", n_tasks, 1, fix="Ask for at least one problem.")
        w = torch.randn(n_tasks, self.dim, self.dim, generator=generator)
        y = torch.randn(n_tasks, self.dim, 1, generator=generator)
        return Episode(w, y, w, y)


#: the optimisee of the 10-d quadratics: ``linear`` (d → 1, no bias) with ``loss="sse"``, so its loss is f(θ)
QUADRATIC_MODEL = {"name": "linear", "in_features": 10, "out_features": 1, "bias": False}


def quadratic_tasks(dim: int = 10):
    """Task family ``"quadratic"``: ``sample(generator, n_tasks) -> Episode`` of :class:`QuadraticTasks`."""
    return QuadraticTasks(dim).sample
