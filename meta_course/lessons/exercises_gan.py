"""Self-checking exercises of lessons 13 (GANs) and 14 (meta-learning and GANs).

Importing this module registers them with :func:`meta_course.lessons.exercises.check`; the expected answers
are computed by the package, never typed in.
"""

from __future__ import annotations

import math

import torch

from .exercises import check, exercise

__all__ = ["check", "penalty_problem"]


@exercise("gan.optimal_discriminator",
          "Maximise a·log y + b·log(1 − y) over y for each x: y = a / (a + b) with a = p_data(x), b = p_g(x).")
def _optimal_discriminator(fn) -> bool:
    """``fn(p_data, p_g) -> D*`` must match the package where p_data + p_g > 0."""
    from ..learners.generative.gan import optimal_discriminator

    g = torch.Generator().manual_seed(13)
    p_data, p_g = torch.rand(50, generator=g), torch.rand(50, generator=g)
    p_g[:5] = 0.0                                     # where only the data has mass, D* = 1
    got = fn(p_data, p_g)
    return torch.is_tensor(got) and got.shape == p_data.shape and torch.allclose(got, optimal_discriminator(p_data, p_g))


def penalty_problem():
    """A seeded small critic and a batch of real/fake points with their ε (exercise ``gan.gradient_penalty``)."""
    from ..models.gan import MLPCritic

    torch.manual_seed(14)
    critic = MLPCritic(hidden=16)
    g = torch.Generator().manual_seed(14)
    return critic, torch.randn(8, 2, generator=g), torch.randn(8, 2, generator=g), torch.rand(8, generator=g)


@exercise("gan.gradient_penalty",
          "x̂ = ε·real + (1 − ε)·fake per example; ∇ of critic(x̂).sum() w.r.t. x̂ (create_graph=True); "
          "mean of (‖∇‖₂ − 1)² with the norm over each example's coordinates.")
def _gradient_penalty(fn) -> bool:
    """``fn(critic, real, fake, eps) -> scalar`` must equal Eq. 3's penalty term (without λ) and be differentiable."""
    from ..learners.generative.wgan_gp import gradient_penalty, interpolates

    critic, real, fake, eps = penalty_problem()
    got = fn(critic, real, fake, eps)
    want = gradient_penalty(critic, interpolates(real, fake, eps))
    if not (torch.is_tensor(got) and got.dim() == 0 and torch.allclose(got, want, atol=1e-6)):
        return False
    grads = torch.autograd.grad(got, list(critic.parameters()), allow_unused=True)
    return any(gr is not None and gr.abs().sum() > 0 for gr in grads)


@exercise("gan.js_disjoint", "JSD(p‖q) with m = (p + q)/2: where p > 0, q = 0 and m = p/2, so KL(p‖m) = log 2.")
def _js_disjoint(answer) -> bool:
    """JSD (nats) of two distributions with disjoint supports."""
    return abs(float(answer) - math.log(2)) < 1e-3


@exercise("meta_gan.reptile_direction", "θ − φ̄ where φ̄ averages the adapted parameters of the tasks, key by key.")
def _reptile_direction(fn) -> bool:
    """``fn(theta: dict, adapted: list[dict]) -> dict`` must equal FIGR's outer "gradient" θ − φ̄."""
    from ..learners.generative.figr import reptile_direction

    g = torch.Generator().manual_seed(15)
    theta = {"w": torch.randn(3, 2, generator=g), "b": torch.randn(2, generator=g)}
    adapted = [{k: v + torch.randn(v.shape, generator=g) for k, v in theta.items()} for _ in range(3)]
    got, want = fn(theta, adapted), reptile_direction(theta, adapted)
    return isinstance(got, dict) and set(got) == set(want) and all(torch.allclose(got[k], want[k]) for k in want)


@exercise("meta_gan.fake_probability",
          "p(fake | x) = e^b / (e^b + Σ_k e^{ℓ_k}) with ℓ_k = −‖f(x) − c_k‖² (N real logits, one fake logit b).")
def _fake_probability(answer) -> bool:
    """ProtoNet logits −1, −4, −4 (three classes) and b = −1: the probability MetaGAN's discriminator calls x fake."""
    from ..learners.generative.metagan import n_plus_one_probabilities

    want = n_plus_one_probabilities(torch.tensor([[-1.0, -4.0, -4.0]]), torch.tensor(-1.0))[0, -1].item()
    return abs(float(answer) - want) < 1e-3
