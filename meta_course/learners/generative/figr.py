"""FIGR: few-shot image generation with Reptile around a WGAN-GP (Clouâtre & Demers 2019).

A task is one character; its data a handful of drawings. Reptile (Nichol et al. 2018) meta-learns an
initialisation of *both* players, θ = (θ_G, θ_D): for every task T_i of a meta-batch, play k rounds of
WGAN-GP on the task's drawings starting from θ,

    φ_i = (φ_G, φ_D)_i = U^k_{T_i}(θ_G, θ_D)                  (the inner loop: :func:`wgan_gp_steps`)

then move θ towards the adapted pairs (batched Reptile, Nichol et al. Algorithm 2):

    θ ← θ + ε · (1/n) Σ_i (φ_i − θ)

The generator and the critic are meta-learned *together* — the pair (θ_G, θ_D) is one point of the
Reptile update — so at test time both start from a generator that draws "something like a character"
and a critic that already knows what strokes look like, and a few rounds on K = 4 drawings of an
unseen character specialise them. As in the authors' code, the direction θ − φ̄ is handed to an Adam
optimiser as a gradient (``outer="adam"``; ``"sgd"`` with step ε is the plain update above).

References:
    Clouâtre & Demers (2019), "FIGR: Few-shot Image Generation with Reptile", arXiv:1901.02199, Section 3
    (Reptile around WGAN-GP, K = 4, 10 inner steps). Nichol, Achiam & Schulman (2018), "On First-Order
    Meta-Learning Algorithms", Algorithms 1–2. Gulrajani et al. (2017), Eq. (3).
"""

from __future__ import annotations

import torch

from ...core.checks import check_choice, check_int
from .wgan_gp import WGANGP, Params, wgan_gp_steps

OUTER = ("adam", "sgd")


def reptile_direction(theta: Params, adapted: list[Params]) -> Params:
    """θ − φ̄ with φ̄ = (1/n) Σ_i φ_i: the "gradient" of Reptile's outer step (Algorithm 2).

    Example:
        >>> reptile_direction({"w": torch.tensor([1.0])}, [{"w": torch.tensor([0.0])}, {"w": torch.tensor([1.0])}])
        {'w': tensor([0.5000])}
    """
    if not adapted:
        raise ValueError("reptile_direction needs at least one adapted parameter set (meta-batch of >= 1 task).")
    return {k: theta[k] - torch.stack([p[k] for p in adapted]).mean(0) for k in theta}


class FIGR(WGANGP):
    """Reptile on (generator, critic) pairs of a WGAN-GP.

    Args:
        generator, critic, penalty_weight, betas: as :class:`WGANGP` (``betas`` are the inner Adam's).
        inner_lr, inner_steps, inner_n_critic: the inner loop U^k — Adam step size, rounds of the game on
            the task's drawings, critic updates per round — used in training and (by default) at test.
        outer: ``"adam"`` (the authors' code: Adam on θ − φ̄) or ``"sgd"`` (θ ← θ + ε(φ̄ − θ)).

    Example:
        >>> from meta_course.tasks.samples import Samples
        >>> figr = FIGR({"name": "gan_conv_generator", "channels": 4, "z_dim": 8},
        ...             {"name": "gan_conv_critic", "channels": 4}, inner_steps=2)
        >>> out = figr.meta_step(Samples(torch.rand(2, 4, 1, 28, 28)), figr.optimizers(1e-4))
        >>> sorted(out)
        ['critic', 'distance', 'generator', 'penalty']
    """

    name = "figr"

    def __init__(self, generator: dict, critic: dict, penalty_weight: float = 10.0, betas=(0.0, 0.9),
                 inner_lr: float = 1e-3, inner_steps: int = 10, inner_n_critic: int = 1, outer: str = "adam"):
        super().__init__(generator, critic, penalty_weight, n_critic=1, betas=betas, inner_lr=inner_lr,
                         inner_steps=inner_steps, inner_n_critic=inner_n_critic)
        self.outer = check_choice("outer", outer, OUTER, "Adam on θ − φ̄ (the authors' code) or plain SGD (Reptile).")
        check_int("inner_steps", inner_steps, 1, 100_000, "Reptile needs at least one inner round of the game.")
        self.config.pop("n_critic")
        self.config["outer"] = outer

    def optimizers(self, outer_lr: float) -> dict[str, torch.optim.Optimizer]:
        """The outer optimisers of θ_G and θ_D: Adam(outer_lr) (default β) or SGD(ε = outer_lr)."""
        if self.outer == "sgd":
            return {"generator": torch.optim.SGD(self.generator.parameters(), lr=outer_lr),
                    "critic": torch.optim.SGD(self.critic.parameters(), lr=outer_lr)}
        return {"generator": torch.optim.Adam(self.generator.parameters(), lr=outer_lr),
                "critic": torch.optim.Adam(self.critic.parameters(), lr=outer_lr)}

    def adapted_pairs(self, batch, rng: torch.Generator | None = None) -> list[tuple[Params, Params, dict]]:
        """φ_i = U^k(θ) for every task of ``batch`` (``Samples``, ``x [T, n, ...]``)."""
        g, c = self.params()
        out = []
        for i in range(batch.x.shape[0]):
            tr = wgan_gp_steps(self.generator, self.critic, g, c, batch.x[i], self.inner_steps, self.inner_lr,
                               self.penalty_weight, self.inner_n_critic, self.betas, rng=rng)
            out.append((tr.generator, tr.critic, {"critic": tr.wasserstein[-1], "generator": tr.generator_loss[-1],
                                                  "penalty": tr.penalty[-1]}))
        return out

    def meta_step(self, batch, optimizers: dict) -> dict[str, float]:
        """One Reptile step on the pair: inner loops on every task, then θ − φ̄ as the gradient of both
        optimisers. Returns the mean last-round critic/generator figures and ‖θ − φ̄‖ (``distance``)."""
        pairs = self.adapted_pairs(batch)
        g, c = self.params()
        dg = reptile_direction(g, [p[0] for p in pairs])
        dc = reptile_direction(c, [p[1] for p in pairs])
        for module, direction in ((self.generator, dg), (self.critic, dc)):
            for k, p in module.named_parameters():
                p.grad = direction[k].clone()
        optimizers["generator"].step()
        optimizers["critic"].step()
        n = len(pairs)
        distance = torch.cat([v.flatten() for v in list(dg.values()) + list(dc.values())]).norm()
        return {"critic": sum(p[2]["critic"] for p in pairs) / n, "generator": sum(p[2]["generator"] for p in pairs) / n,
                "penalty": sum(p[2]["penalty"] for p in pairs) / n, "distance": float(distance)}


__all__ = ["FIGR", "reptile_direction"]
