"""WGAN-GP: a Wasserstein GAN whose critic is kept 1-Lipschitz by a gradient penalty (Gulrajani et al. 2017).

The critic f (no sigmoid) estimates the Wasserstein-1 distance through the Kantorovich–Rubinstein
duality, W(p_data, p_g) = sup_{‖f‖_L ≤ 1} E_{p_data} f − E_{p_g} f. Instead of clipping weights, the
critic's loss softly enforces ‖∇f‖ = 1 on points between real and generated samples (Eq. 3):

    L_critic = E_{x̃~p_g} f(x̃) − E_{x~p_data} f(x) + λ E_{x̂} (‖∇_x̂ f(x̂)‖₂ − 1)²,
    x̂ = ε x + (1 − ε) x̃,  ε ~ U[0, 1]                                    (Algorithm 1, lines 4–7)
    L_generator = −E_z f(G(z))                                            (Algorithm 1, line 11)

with λ = 10, n_critic = 5 critic steps per generator step and Adam(1e-4, β₁ = 0, β₂ = 0.9) in the paper.
The gradient norm is taken over *all* the dimensions of one example (every pixel of an image), one
number per example — not per channel or per row.

Unlike the minimax GAN's Jensen–Shannon divergence, which is constant (log 2) for distributions with
disjoint supports and so gives no gradient, W shrinks smoothly as p_g moves towards p_data: the critic
keeps telling the generator where the missing modes are.

:func:`wgan_gp_steps` is the same game written functionally (parameters as dicts, a functional Adam
with fresh moments) — the inner loop that FIGR meta-learns through and that every few-shot method of
lesson 14 uses to adapt on K drawings.

References:
    Gulrajani, Ahmed, Arjovsky, Dumoulin & Courville (2017), "Improved Training of Wasserstein GANs",
    NeurIPS — Eq. (3), Algorithm 1 (λ = 10, n_critic = 5, α = 1e-4, β₁ = 0, β₂ = 0.9), Section 4
    (no batch normalisation in the critic). Arjovsky, Chintala & Bottou (2017), "Wasserstein GAN", ICML,
    Eq. (2)–(3). Kingma & Ba (2015), "Adam", Algorithm 1.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import torch
from torch import Tensor
from torch.func import functional_call

from ...core.checks import check_int, check_positive
from .gan import GANLearner

Params = dict[str, Tensor]


# --------------------------------------------------------------------------- the equations
def check_penalty_weight(penalty_weight) -> float:
    """λ must be a finite number ≥ 0 (0 switches the penalty off: an unconstrained critic)."""
    if isinstance(penalty_weight, (str, bytes, bool)):  # "10" would be stored as text and fail only when used
        raise ValueError(f"penalty_weight={penalty_weight!r} must be a number >= 0, not {type(penalty_weight).__name__}; "
                         "Gulrajani et al. use 10.")
    try:
        lam = float(penalty_weight)
    except (TypeError, ValueError):
        raise ValueError(f"penalty_weight={penalty_weight!r} must be a number >= 0; Gulrajani et al. use 10.") from None
    if not (lam >= 0 and lam != float("inf")):
        raise ValueError(f"penalty_weight={penalty_weight} is out of range: allowed >= 0 (finite). A negative λ would "
                         "reward the critic for steep gradients; use 10 (the paper) or 0 to switch the penalty off.")
    return lam


def interpolates(real: Tensor, fake: Tensor, eps: Tensor) -> Tensor:
    """x̂ = ε x + (1 − ε) x̃ with one ε per example (Algorithm 1, line 6).

    Example:
        >>> interpolates(torch.ones(2, 3), torch.zeros(2, 3), torch.tensor([0.25, 1.0]))
        tensor([[0.2500, 0.2500, 0.2500],
                [1.0000, 1.0000, 1.0000]])
    """
    if real.shape != fake.shape:
        raise ValueError(f"real {tuple(real.shape)} and fake {tuple(fake.shape)} must have the same shape: "
                         "pair every real example with one generated example.")
    if eps.shape != real.shape[:1]:
        raise ValueError(f"eps must hold one number per example, shape ({real.shape[0]},), got {tuple(eps.shape)}.")
    e = eps.view(-1, *([1] * (real.dim() - 1)))
    return e * real + (1 - e) * fake


def gradient_norms(critic_fn: Callable[[Tensor], Tensor], x_hat: Tensor, create_graph: bool = True) -> Tensor:
    """‖∇_x̂ f(x̂)‖₂ for each example ``[B]``, the norm over all of an example's dimensions."""
    x_hat = x_hat if x_hat.requires_grad else x_hat.detach().requires_grad_(True)
    scores = critic_fn(x_hat)
    grads = torch.autograd.grad(scores.sum(), x_hat, create_graph=create_graph)[0]
    return grads.flatten(1).norm(dim=1)


def gradient_penalty(critic_fn: Callable[[Tensor], Tensor], x_hat: Tensor, create_graph: bool = True) -> Tensor:
    """E (‖∇_x̂ f(x̂)‖₂ − 1)² over the examples of ``x_hat`` (Eq. 3, without λ).

    ``create_graph=True`` keeps the graph so the penalty can be differentiated with respect to the
    critic's parameters (a second-order term: the critic's update needs it).

    Example:
        >>> w = torch.tensor([3.0, 4.0])  # a linear critic f(x) = w·x has ‖∇f‖ = 5 everywhere
        >>> float(gradient_penalty(lambda x: x @ w, torch.randn(4, 2)))
        16.0
    """
    return (gradient_norms(critic_fn, x_hat, create_graph) - 1).pow(2).mean()


def critic_loss(critic_real: Tensor, critic_fake: Tensor) -> Tensor:
    """E f(x̃) − E f(x): the negative of the critic's Wasserstein estimate (Eq. 3's first two terms)."""
    return critic_fake.mean() - critic_real.mean()


def wasserstein_1d(x: Tensor, y: Tensor) -> Tensor:
    """W₁ between two equal-size 1-D samples: the mean distance between their sorted values (the optimal
    transport plan on a line matches quantiles).

    Example:
        >>> float(wasserstein_1d(torch.tensor([0.0, 1.0]), torch.tensor([3.0, 2.0])))   # move each point by 2
        2.0
    """
    if x.dim() != 1 or x.shape != y.shape:
        raise ValueError(f"wasserstein_1d needs two 1-D samples of equal size, got {tuple(x.shape)} and {tuple(y.shape)}.")
    return (x.sort().values - y.sort().values).abs().mean()


def wasserstein_generator_loss(critic_fake: Tensor) -> Tensor:
    """−E f(G(z)) (Algorithm 1, line 11)."""
    return -critic_fake.mean()


def critic_objective(critic_fn, real: Tensor, fake: Tensor, eps: Tensor, penalty_weight: float) -> tuple[Tensor, Tensor, Tensor]:
    """``(L_critic, W estimate, penalty)``: Eq. 3 on one batch, with the interpolation weights ``eps``."""
    lam = check_penalty_weight(penalty_weight)
    w = -critic_loss(critic_fn(real), critic_fn(fake))
    gp = gradient_penalty(critic_fn, interpolates(real, fake.detach(), eps)) if lam > 0 else real.new_zeros(())
    return -w + lam * gp, w.detach(), gp.detach()


# --------------------------------------------------------------------------- the functional game (inner loop)
def adam_update(params: Params, grads: Params, state: dict, lr: float, betas=(0.0, 0.9), eps: float = 1e-8) -> Params:
    """One step of Adam (Kingma & Ba 2015, Algorithm 1) on a parameter dict; ``state`` (moments, step) is
    updated in place and new parameters are returned. Same arithmetic as :class:`torch.optim.Adam`."""
    b1, b2 = betas
    t = state["t"] = state.get("t", 0) + 1
    m, v = state.setdefault("m", {}), state.setdefault("v", {})
    new = {}
    for k, p in params.items():
        g = grads[k]
        m[k] = b1 * m[k] + (1 - b1) * g if k in m else (1 - b1) * g
        v[k] = b2 * v[k] + (1 - b2) * g * g if k in v else (1 - b2) * g * g
        denom = (v[k].sqrt() / (1 - b2 ** t) ** 0.5) + eps
        new[k] = p - (lr / (1 - b1 ** t)) * m[k] / denom
    return new


@dataclass
class GameTrace:
    """What :func:`wgan_gp_steps` returns: the players' final parameters and per-step figures."""

    generator: Params
    critic: Params
    wasserstein: list[float] = field(default_factory=list)   # critic's estimate E f(x) − E f(G(z)), last critic step
    penalty: list[float] = field(default_factory=list)
    generator_loss: list[float] = field(default_factory=list)
    snapshots: dict[int, Params] = field(default_factory=dict)  # round → generator parameters after it


def _detached(params: Params) -> Params:
    return {k: v.detach().requires_grad_(True) for k, v in params.items()}


def wgan_gp_steps(generator, critic, g_params: Params, c_params: Params, x_real: Tensor, steps: int, lr: float,
                  penalty_weight: float = 10.0, n_critic: int = 1, betas=(0.0, 0.9), n_fake: int | None = None,
                  rng: torch.Generator | None = None, cond: Tensor | None = None,
                  snapshots: tuple[int, ...] = ()) -> GameTrace:
    """``steps`` rounds of WGAN-GP on the examples ``x_real``, functionally, from fresh Adam moments.

    Each round: ``n_critic`` critic updates (fresh z and ε each, Eq. 3), then one generator update, every
    update a step of Adam with step size ``lr``. The networks' own parameters are not touched: the
    players' parameters are the dicts ``g_params`` / ``c_params`` (the result holds new ones), so the
    function serves as FIGR's inner loop U^k(θ) and as the adaptation of every few-shot baseline.

    Args:
        generator, critic: the modules (only their structure is used).
        x_real: ``[K, ...]`` the task's examples (all used at every critic update).
        steps: rounds of the game (0 returns the parameters unchanged).
        lr: Adam's step size.
        penalty_weight: λ ≥ 0.
        n_fake: generated examples per update (default K).
        rng: a :class:`torch.Generator` for z and ε (default: torch's global generator).
        snapshots: rounds after which to keep the generator's parameters (``trace.snapshots``; 0 = the start),
            so one run gives the result of several adaptation budgets.

    Raises:
        ValueError: no real examples, λ < 0, bad step counts.
    """
    check_int("steps", steps, 0, 100_000, "Rounds of the game (a few to a few hundred).")
    check_int("n_critic", n_critic, 1, 100, "Critic updates per generator update; Gulrajani et al. use 5.")
    check_positive("lr", lr, "Adam's step size, e.g. 1e-3.")
    lam = check_penalty_weight(penalty_weight)
    if x_real.dim() < 2 or x_real.shape[0] == 0:
        raise ValueError(f"x_real has shape {tuple(x_real.shape)}: pass K >= 1 examples [K, ...] "
                         "(K = 0 leaves nothing to learn from).")
    k = x_real.shape[0]
    n_fake = k if n_fake is None else check_int("n_fake", n_fake, 1, 100_000)
    device = x_real.device
    z_dim = generator.z_dim
    trace = GameTrace({k_: v.detach() for k_, v in g_params.items()}, {k_: v.detach() for k_, v in c_params.items()})
    g_state, c_state = {}, {}
    keep = {check_int("snapshot", s_, 0, steps, "Snapshot rounds must lie within [0, steps].") for s_ in snapshots}
    if 0 in keep:
        trace.snapshots[0] = trace.generator

    def gen(p, z):
        return functional_call(generator, p, (z,) if cond is None else (z, cond.expand(z.shape[0], -1)))

    for step in range(1, steps + 1):
        for _ in range(n_critic):
            cp = _detached(trace.critic)
            with torch.no_grad():
                fake = gen(trace.generator, torch.randn(n_fake, z_dim, generator=rng).to(device))
            idx = torch.arange(n_fake) % k   # pair each fake with a real example for the interpolates
            eps = torch.rand(n_fake, generator=rng).to(device)
            real = x_real[idx.to(device)] if n_fake != k else x_real
            loss, w, gp = critic_objective(lambda x: functional_call(critic, cp, (x,)), real, fake, eps, lam)
            grads = dict(zip(cp, torch.autograd.grad(loss, list(cp.values()))))
            trace.critic = {k_: v.detach() for k_, v in adam_update(cp, grads, c_state, lr, betas).items()}
        gp_ = _detached(trace.generator)
        z = torch.randn(n_fake, z_dim, generator=rng).to(device)
        g_loss = wasserstein_generator_loss(functional_call(critic, trace.critic, (gen(gp_, z),)))
        grads = dict(zip(gp_, torch.autograd.grad(g_loss, list(gp_.values()))))
        trace.generator = {k_: v.detach() for k_, v in adam_update(gp_, grads, g_state, lr, betas).items()}
        trace.wasserstein.append(float(w))
        trace.penalty.append(float(gp))
        trace.generator_loss.append(g_loss.item())
        if step in keep:
            trace.snapshots[step] = trace.generator
    return trace


# --------------------------------------------------------------------------- the learner
class GeneratorPredictor:
    """``adapt``'s result: ``predictor(z)`` returns G_φ(z); ``predictor.sample(n, rng)`` draws z itself.

    ``info`` holds what the widgets show: the per-step ``wasserstein`` estimate, ``penalty`` and
    ``generator_loss`` of the adaptation, and ``steps``.
    """

    def __init__(self, learner: GANLearner, g_params: Params, c_params: Params, info: dict):
        self.learner, self.g_params, self.c_params, self.info = learner, g_params, c_params, info

    def __call__(self, z: Tensor) -> Tensor:
        with torch.no_grad():
            return functional_call(self.learner.generator, self.g_params, (z,))

    def sample(self, n: int, rng: torch.Generator | None = None, temperature: float = 1.0) -> Tensor:
        """``n`` drawings G_φ(τ·ε); ``temperature`` τ trades diversity for typical drawings (see ``latent``)."""
        return self(self.learner.latent(n, rng, temperature))

    def at(self, step: int) -> "GeneratorPredictor":
        """The generator as it was after ``step`` rounds (a snapshot kept by ``adapt(snapshots=...)``)."""
        snaps = self.info.get("snapshots", {})
        if step not in snaps:
            raise ValueError(f"no snapshot after {step} rounds: kept {sorted(snaps)}; pass snapshots=({step},) to adapt.")
        return GeneratorPredictor(self.learner, snaps[step], self.c_params, {"steps": step})

    def critic(self, x: Tensor) -> Tensor:
        with torch.no_grad():
            return functional_call(self.learner.critic, self.c_params, (x,))


class WGANGP(GANLearner):
    """WGAN-GP (Algorithm 1 of Gulrajani et al.), trained by the course's loop, adaptable to K examples.

    Args:
        generator, critic: model specs.
        penalty_weight: λ ≥ 0 (10 in the paper).
        n_critic: critic steps per generator step (5 in the paper).
        betas: Adam's (β₁, β₂) ((0, 0.9) in the paper).
        inner_lr, inner_steps, inner_n_critic: the default adaptation knobs of :meth:`adapt`
            (Adam step size, rounds of the game on the K examples, critic steps per round).

    Example:
        >>> from meta_course.tasks.ring import RingMixture
        >>> w = WGANGP({"name": "gan_mlp_generator"}, {"name": "gan_mlp_critic"})
        >>> sorted(w.meta_step(RingMixture().sample(torch.Generator().manual_seed(0), 1), w.optimizers(1e-4)))
        ['critic', 'generator', 'penalty']
    """

    name = "wgan-gp"

    def __init__(self, generator: dict, critic: dict, penalty_weight: float = 10.0, n_critic: int = 5,
                 betas=(0.0, 0.9), inner_lr: float = 1e-3, inner_steps: int = 20, inner_n_critic: int = 1):
        super().__init__(generator, critic, betas)
        self.penalty_weight = check_penalty_weight(penalty_weight)
        self.n_critic = check_int("n_critic", n_critic, 1, 100, "Critic steps per generator step; the paper uses 5.")
        self.inner_lr = check_positive("inner_lr", inner_lr, "Adam's step size when adapting, e.g. 1e-3.")
        self.inner_steps = check_int("inner_steps", inner_steps, 0, 100_000, "Rounds of the game when adapting.")
        self.inner_n_critic = check_int("inner_n_critic", inner_n_critic, 1, 100)
        self.config.update(penalty_weight=self.penalty_weight, n_critic=n_critic, inner_lr=inner_lr,
                           inner_steps=inner_steps, inner_n_critic=inner_n_critic)

    def critic_step(self, real: Tensor, optimizer) -> tuple[float, float]:
        """One critic update on ``real`` (Algorithm 1, lines 3–9); returns (W estimate, penalty)."""
        with torch.no_grad():
            fake = self.generator(self.latent(real.shape[0]))
        eps = torch.rand(real.shape[0]).to(real.device)
        loss, w, gp = critic_objective(self.critic, real, fake, eps, self.penalty_weight)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        return float(w), float(gp)

    def generator_step(self, n: int, optimizer) -> float:
        """One generator update (Algorithm 1, line 11)."""
        loss = wasserstein_generator_loss(self.critic(self.generator(self.latent(n))))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        return loss.item()

    def meta_step(self, batch, optimizers: dict) -> dict[str, float]:
        """``n_critic`` critic updates (the batch's real examples split into that many minibatches), then
        one generator update. Returns the last critic's W estimate as ``critic``."""
        real = self._real(batch)
        for chunk in real.chunk(self.n_critic):
            w, gp = self.critic_step(chunk, optimizers["critic"])
        g = self.generator_step(real.shape[0] // self.n_critic or 1, optimizers["generator"])
        return {"critic": w, "generator": g, "penalty": gp}

    def params(self) -> tuple[Params, Params]:
        """θ_G, θ_D as detached dicts."""
        return ({k: v.detach() for k, v in self.generator.named_parameters()},
                {k: v.detach() for k, v in self.critic.named_parameters()})

    def adapt(self, x_support: Tensor, inner_steps: int | None = None, inner_lr: float | None = None,
              seed: int | None = None, n_critic: int | None = None, n_fake: int | None = None,
              snapshots: tuple[int, ...] = ()) -> GeneratorPredictor:
        """Fine-tune both players on the K examples ``x_support`` (``[K, ...]``) with :func:`wgan_gp_steps`.

        Knobs default to the learner's ``inner_*`` settings; ``seed`` makes z and ε reproducible;
        ``snapshots`` keeps the generator after those rounds (``predictor.at(step)`` samples from it).
        """
        if x_support.dim() < 2 or x_support.shape[0] == 0:
            raise ValueError(f"x_support has shape {tuple(x_support.shape)}: give K >= 1 examples "
                             "(e.g. 4 drawings of one character, [4, 1, 28, 28]).")
        steps = self.inner_steps if inner_steps is None else inner_steps
        rng = torch.Generator().manual_seed(int(seed)) if seed is not None else None
        g, c = self.params()
        trace = wgan_gp_steps(self.generator, self.critic, g, c, x_support, steps,
                              self.inner_lr if inner_lr is None else inner_lr, self.penalty_weight,
                              self.inner_n_critic if n_critic is None else n_critic, self.betas, n_fake, rng,
                              snapshots=tuple(snapshots))
        return GeneratorPredictor(self, trace.generator, trace.critic,
                                  {"steps": steps, "wasserstein": trace.wasserstein, "penalty": trace.penalty,
                                   "generator_loss": trace.generator_loss, "snapshots": trace.snapshots})


__all__ = ["GameTrace", "GeneratorPredictor", "WGANGP", "adam_update", "check_penalty_weight", "critic_loss",
           "critic_objective", "gradient_norms", "gradient_penalty", "interpolates", "wasserstein_1d",
           "wasserstein_generator_loss",
           "wgan_gp_steps"]
