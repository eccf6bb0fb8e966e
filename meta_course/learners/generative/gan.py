"""The original (minimax) GAN of Goodfellow et al. (2014), and what every GAN learner shares.

A generator G maps noise z ~ p_z to samples; a discriminator D(x) ∈ (0, 1) says how likely x is real.
They play the two-player minimax game (Eq. 1)

    min_G max_D V(D, G) = E_{x~p_data}[log D(x)] + E_{z~p_z}[log(1 − D(G(z)))]

- For a fixed G the best discriminator is (Proposition 1)  D*(x) = p_data(x) / (p_data(x) + p_g(x)).
- Plugging it in gives the virtual training criterion (Theorem 1)
      C(G) = max_D V(D, G) = −log 4 + 2 · JSD(p_data ‖ p_g),
  so the global minimum −log 4 is reached exactly when p_g = p_data (then D* = 1/2 everywhere):
  the Nash equilibrium of the game, where neither player gains by changing alone.
- In practice G minimises −E log D(G(z)) instead of E log(1 − D(G(z))) (Section 3): the same fixed
  point, but strong gradients early on, when D rejects every sample (the *non-saturating* loss).

Nothing in the game rewards G for covering every mode of p_data: a generator that puts all its mass on
the modes D currently accepts is a good reply to that D, D then learns to reject them, G jumps to other
modes — *mode collapse*, which lesson 13 shows on the ring.

Here D returns a logit ℓ(x), D = σ(ℓ), and the losses use ``binary_cross_entropy_with_logits`` (stable
when D saturates).

References:
    Goodfellow et al. (2014), "Generative Adversarial Nets", NeurIPS — Eq. (1), Proposition 1 (optimal D),
    Theorem 1 (C(G) = −log 4 + 2·JSD), Algorithm 1 (alternating k D-steps and one G-step), Section 3
    (the non-saturating generator loss).
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn
from torch.nn.functional import binary_cross_entropy_with_logits as bce_logits

from ...core.checks import check_int, check_positive
from ...models import build_model
from ..base import Learner
from .metrics import energy_distance


# --------------------------------------------------------------------------- the equations
def value_function(d_real_logits: Tensor, d_fake_logits: Tensor) -> Tensor:
    """V(D, G) = E log D(x) + E log(1 − D(G(z))) (Eq. 1), estimated from logits ℓ = logit D.

    Example:
        >>> float(value_function(torch.zeros(3), torch.zeros(5)))  # D = 1/2 everywhere: −log 4
        -1.3862943649291992
    """
    return -bce_logits(d_real_logits, torch.ones_like(d_real_logits)) \
        - bce_logits(d_fake_logits, torch.zeros_like(d_fake_logits))


def discriminator_loss(d_real_logits: Tensor, d_fake_logits: Tensor) -> Tensor:
    """−V(D, G): D ascends V by descending this (Algorithm 1, the discriminator's update)."""
    return -value_function(d_real_logits, d_fake_logits)


def generator_loss(d_fake_logits: Tensor, non_saturating: bool = True) -> Tensor:
    """The generator's loss: −E log D(G(z)) (Section 3, the default) or E log(1 − D(G(z))) (Eq. 1).

    Example:
        >>> l = torch.tensor([-6.0])  # D rejects the sample: D = σ(−6) ≈ 0.0025
        >>> g_ns = torch.autograd.grad(generator_loss(l.requires_grad_()), l)[0]
        >>> g_mm = torch.autograd.grad(generator_loss(l, non_saturating=False), l)[0]
        >>> round(float(g_ns), 3), round(float(g_mm), 4)  # strong vs vanishing gradient
        (-0.998, -0.0025)
    """
    if non_saturating:
        return bce_logits(d_fake_logits, torch.ones_like(d_fake_logits))
    return -bce_logits(d_fake_logits, torch.zeros_like(d_fake_logits))


def optimal_discriminator(p_data: Tensor, p_g: Tensor) -> Tensor:
    """D*(x) = p_data(x) / (p_data(x) + p_g(x)) (Proposition 1); 1/2 where both densities vanish.

    Example:
        >>> optimal_discriminator(torch.tensor([3.0, 1.0, 0.0]), torch.tensor([1.0, 1.0, 0.0]))
        tensor([0.7500, 0.5000, 0.5000])
    """
    total = p_data + p_g
    return torch.where(total > 0, p_data / total.clamp_min(torch.finfo(total.dtype).tiny), torch.full_like(total, 0.5))


def js_divergence(p: Tensor, q: Tensor, cell_area: float = 1.0) -> Tensor:
    """JSD(p ‖ q) = ½ KL(p ‖ m) + ½ KL(q ‖ m), m = (p + q)/2, for densities tabulated on a grid.

    ``cell_area`` turns the sums into integrals (1 for probability vectors). In nats; 0 ≤ JSD ≤ log 2.

    Example:
        >>> round(float(js_divergence(torch.tensor([1.0, 0.0]), torch.tensor([0.0, 1.0]))), 4)  # disjoint: log 2
        0.6931
    """
    m = (p + q) / 2

    def kl(a):
        terms = torch.where(a > 0, a * (a.clamp_min(1e-300).log() - m.clamp_min(1e-300).log()), torch.zeros_like(a))
        return terms.sum() * cell_area

    return (kl(p) + kl(q)) / 2


def grid_value(d: Tensor, p_data: Tensor, p_g: Tensor, cell_area: float) -> Tensor:
    """V(D, G) = ∫ p_data log D + p_g log(1 − D) dx, for D, p_data and p_g tabulated on a grid.

    At D = :func:`optimal_discriminator` this is C(G) = −log 4 + 2·JSD(p_data ‖ p_g) (Theorem 1).
    """
    tiny = torch.finfo(d.dtype).tiny
    terms = torch.where(p_data > 0, p_data * d.clamp_min(tiny).log(), torch.zeros_like(d)) + \
        torch.where(p_g > 0, p_g * (1 - d).clamp_min(tiny).log(), torch.zeros_like(d))
    return terms.sum() * cell_area


LOG4 = math.log(4.0)


def best_reply_rounds(generator: nn.Module, critic: nn.Module, sample_real, rounds: int, d_steps: int = 200,
                      g_steps: int = 200, lr: float = 1e-3, batch_size: int = 256, z: Tensor | None = None,
                      betas=(0.5, 0.999), generator_rng: torch.Generator | None = None) -> list[Tensor]:
    """Alternate long best replies: ``d_steps`` of D against the current G, then ``g_steps`` of G against that
    fixed D (non-saturating loss), ``rounds`` times; returns G's samples of ``z`` after every round.

    Algorithm 1 alternates single steps (k D-steps, one G-step). Letting G run many steps against a fixed D
    plays the game in the max–min order: G's best reply to a fixed D puts its mass where D is largest, often
    one mode; D then learns to reject that mode and G jumps to another — mode collapse and mode hopping
    (Goodfellow 2016, NIPS tutorial, Section 5.1.1). The modules are trained in place.

    Args:
        generator, critic: G (``z_dim`` attribute) and D (returns logits), trained in place.
        sample_real: ``sample_real(n) -> [n, ...]`` real examples.
        rounds, d_steps, g_steps: the number of rounds and each player's steps per round.
        lr, betas: Adam's settings for both players (fresh moments per call).
        z: fixed noise ``[n, z_dim]`` whose samples are returned (default: 2 000 from seed 1).
        generator_rng: draws the training noise (default: torch's global RNG).

    Example:
        >>> from meta_course.models.gan import MLPCritic, MLPGenerator
        >>> from meta_course.tasks.ring import RingMixture
        >>> ring, g = RingMixture(), torch.Generator().manual_seed(0)
        >>> xs = best_reply_rounds(MLPGenerator(), MLPCritic(), lambda n: ring.sample_points(g, n), rounds=2,
        ...                        d_steps=2, g_steps=2)
        >>> len(xs), xs[0].shape
        (2, torch.Size([2000, 2]))
    """
    check_int("rounds", rounds, 1, 10_000, "Rounds of (D steps, G steps), e.g. 5.")
    check_int("d_steps", d_steps, 1, 100_000, "Discriminator steps per round, e.g. 200.")
    check_int("g_steps", g_steps, 1, 100_000, "Generator steps per round against the fixed D, e.g. 200.")
    check_positive("lr", lr, "Adam's step size, e.g. 1e-3.")
    device = next(generator.parameters()).device
    z = z if z is not None else torch.randn(2000, generator.z_dim, generator=torch.Generator().manual_seed(1))
    z = z.to(device)
    opt_g = torch.optim.Adam(generator.parameters(), lr=lr, betas=tuple(betas))
    opt_d = torch.optim.Adam(critic.parameters(), lr=lr, betas=tuple(betas))

    def noise():
        return torch.randn(batch_size, generator.z_dim, generator=generator_rng).to(device)

    out = []
    for _ in range(rounds):
        for _ in range(d_steps):
            with torch.no_grad():
                fake = generator(noise())
            loss = discriminator_loss(critic(sample_real(batch_size).to(device)), critic(fake))
            opt_d.zero_grad(set_to_none=True)
            loss.backward()
            opt_d.step()
        for _ in range(g_steps):
            loss = generator_loss(critic(generator(noise())))
            opt_g.zero_grad(set_to_none=True)
            loss.backward()
            opt_g.step()
        opt_d.zero_grad(set_to_none=True)      # no stale gradients on D from G's steps
        with torch.no_grad():
            out.append(generator(z).cpu())
    return out


# --------------------------------------------------------------------------- what every GAN learner shares
class GANLearner(Learner):
    """A generator and a critic/discriminator built from specs, two optimisers, sampling, a score.

    Args:
        generator, critic: model specs for :func:`meta_course.models.build_model`.
        betas: Adam's (β₁, β₂) for both players.

    Subclasses implement ``meta_step(batch, optimizers)``: one step of the game on a
    :class:`~meta_course.tasks.samples.Samples` batch, returning ``{"critic": .., "generator": ..}``.
    ``score`` (what :func:`meta_course.evaluate.evaluate` reports) is the energy distance between
    generated and real examples of each task — lower is better, 0 only when the distributions agree.
    """

    metric = "energy_distance"
    higher_is_better = False

    def __init__(self, generator: dict, critic: dict, betas=(0.5, 0.999)):
        super().__init__()
        self.generator, self.critic = build_model(generator), build_model(critic)
        if len(betas) != 2 or not all(0 <= b < 1 for b in betas):
            raise ValueError(f"betas={betas} must be two numbers in [0, 1), e.g. (0.5, 0.999) or WGAN-GP's (0.0, 0.9).")
        self.betas = tuple(float(b) for b in betas)
        self.z_dim = self.generator.z_dim
        self.config = dict(generator=dict(generator), critic=dict(critic), betas=list(self.betas))

    def optimizers(self, outer_lr: float) -> dict[str, torch.optim.Optimizer]:
        """``{"generator": Adam(G), "critic": Adam(D)}``, both with step size ``outer_lr``."""
        check_positive("outer_lr", outer_lr, "Adam's step size; 1e-4 to 1e-3 for GANs.")
        return {"generator": torch.optim.Adam(self.generator.parameters(), lr=outer_lr, betas=self.betas),
                "critic": torch.optim.Adam(self.critic.parameters(), lr=outer_lr, betas=self.betas)}

    def latent(self, n: int, generator: torch.Generator | None = None, temperature: float = 1.0) -> Tensor:
        """z = τ·ε, ε ~ N(0, I): ``[n, z_dim]`` on the learner's device (from ``generator`` when given).

        ``temperature`` τ ≥ 0 scales the noise (the "truncation trick" of BigGAN, Brock et al. 2019, in its
        simplest form): τ < 1 trades diversity for typical samples, τ = 0 draws G(0) n times, τ > 1 spreads
        them. The same ``generator`` state gives the same ε at every τ, so a sweep over τ is paired.
        """
        check_int("n", n, 1, fix="Ask for at least one sample.")
        tau = float(temperature)
        if not tau >= 0 or tau == float("inf"):
            raise ValueError(f"temperature={temperature} must be a finite number >= 0: 1 samples z ~ N(0, I), "
                             "smaller values trade diversity for typical samples (e.g. 0.5).")
        device = next(self.parameters()).device
        return (tau * torch.randn(n, self.z_dim, generator=generator)).to(device)

    @torch.no_grad()
    def sample(self, n: int, generator: torch.Generator | None = None, temperature: float = 1.0) -> Tensor:
        """``n`` samples of the generator (no gradient), latent noise scaled by ``temperature``."""
        return self.generator(self.latent(n, generator, temperature))

    def adapt(self, x_support: Tensor | None = None, **knobs):
        """A plain GAN does not adapt: its predictor is the generator itself (``predictor(z)``)."""
        from .wgan_gp import GeneratorPredictor

        g = {k: v.detach() for k, v in self.generator.named_parameters()}
        c = {k: v.detach() for k, v in self.critic.named_parameters()}
        return GeneratorPredictor(self, g, c, {"steps": 0})

    def score(self, tasks, k_shot: int = 0, seed: int = 0, **knobs) -> Tensor:
        """Energy distance per task ``[T]`` between generated and real examples of ``tasks`` (``Samples``).

        ``k_shot = 0``: the generator as it is against all of a task's examples; ``k_shot = K > 0``: adapt
        on the first K examples (``knobs`` go to :meth:`adapt`) and compare with the others.
        """
        x = tasks.x if hasattr(tasks, "x") else tasks
        check_int("k_shot", k_shot, 0, x.shape[1] - 2, "Keep at least two examples per task to compare with.")
        out = []
        for i in range(x.shape[0]):
            real = x[i]
            predictor = self.adapt(real[:k_shot], seed=seed + i, **knobs) if k_shot else GANLearner.adapt(self)
            reference = real[k_shot:]
            fake = predictor.sample(reference.shape[0], torch.Generator().manual_seed(seed + i))
            out.append(energy_distance(fake.flatten(1), reference.flatten(1)))
        return torch.stack(out)

    @staticmethod
    def _real(batch) -> Tensor:
        """All examples of a batch, the task axis flattened: ``[T·n, ...]``."""
        x = batch.x if hasattr(batch, "x") else batch
        return x.flatten(0, 1)


class MinimaxGAN(GANLearner):
    """Goodfellow et al.'s GAN: alternate ``k`` discriminator steps and one generator step (Algorithm 1).

    Args:
        generator, critic: model specs (the critic's score is D's logit).
        k: discriminator steps per generator step (Algorithm 1's k; the paper used 1).
        non_saturating: the generator minimises −log D(G(z)) (True, Section 3) or log(1 − D(G(z))).

    Example:
        >>> from meta_course.tasks.ring import RingMixture
        >>> gan = MinimaxGAN({"name": "gan_mlp_generator"}, {"name": "gan_mlp_critic"})
        >>> opt = gan.optimizers(1e-3)
        >>> sorted(gan.meta_step(RingMixture().sample(torch.Generator().manual_seed(0), 1), opt))
        ['critic', 'generator']
    """

    name = "gan"

    def __init__(self, generator: dict, critic: dict, k: int = 1, non_saturating: bool = True, betas=(0.5, 0.999)):
        super().__init__(generator, critic, betas)
        self.k = check_int("k", k, 1, 100, "Discriminator steps per generator step; Goodfellow et al. used 1.")
        self.non_saturating = bool(non_saturating)
        self.config.update(k=k, non_saturating=self.non_saturating)

    def meta_step(self, batch, optimizers: dict) -> dict[str, float]:
        """One round of Algorithm 1 on the batch's real examples (split into ``k`` minibatches)."""
        real = self._real(batch)
        d_losses = []
        for chunk in real.chunk(self.k):
            with torch.no_grad():
                fake = self.generator(self.latent(chunk.shape[0]))
            loss = discriminator_loss(self.critic(chunk), self.critic(fake))
            optimizers["critic"].zero_grad(set_to_none=True)
            loss.backward()
            optimizers["critic"].step()
            d_losses.append(loss.item())
        g_loss = generator_loss(self.critic(self.generator(self.latent(real.shape[0]))), self.non_saturating)
        optimizers["generator"].zero_grad(set_to_none=True)
        g_loss.backward()
        optimizers["generator"].step()
        return {"critic": sum(d_losses) / len(d_losses), "generator": g_loss.item()}


__all__ = ["GANLearner", "LOG4", "MinimaxGAN", "best_reply_rounds", "discriminator_loss", "generator_loss", "grid_value",
           "js_divergence", "optimal_discriminator", "value_function"]
