"""Recipes of the generative family (lessons 13 and 14) and their lab notes. Each comment is the lab note of
the set-up below it. Times are measured on this machine's 2-core CPU with one thread while other jobs
shared it (load 10–16), so they are upper bounds.

The ring (lesson 13): the minimax GAN and WGAN-GP on eight Gaussians on a circle of radius 2 (σ = 0.05),
the same small MLPs (G: 16 → 128 → 128 → 2, D: 2 → 128 → 128 → 1), Adam with step size 1e-3 for both.
``bench ring`` trains them for several seeds and penalty weights through the one training loop and
records the samples the lesson's widget shows.

Omniglot (lesson 14): FIGR (Reptile around WGAN-GP) and the jointly trained WGAN-GP that the fine-tuning
baseline starts from, on ``minimal``'s six training alphabets (176 characters; Balinese is used to
choose settings, Sanskrit is held out); MetaGAN on top of the ``protonet_omniglot`` recipe.
"""

from __future__ import annotations

from .base import Recipe
from .metric import CONV4, omniglot_recipe

RECIPES: dict[str, Recipe] = {}

MLP_G = {"name": "gan_mlp_generator", "z_dim": 16, "hidden": 128, "layers": 2}
MLP_D = {"name": "gan_mlp_critic", "hidden": 128, "layers": 2}
RING = {"n_modes": 8, "radius": 2.0, "std": 0.05}

# ---- the ring -----------------------------------------------------------------------------------------
# Goodfellow et al.'s GAN with the non-saturating generator loss, one D step per G step, Adam(1e-3, β₁ = 0.5)
# (DCGAN's β₁). Measured on the way (std 0.02, lr 1e-4, z = 256, 1-layer D — Metz et al.'s set-up): after
# 20 000 steps its samples still sat in one blob near one mode (0 modes covered), and WGAN-GP at the same
# step size had not spread either after 10 000 — too slow for this budget; at 1e-3 both move within
# 1 000 steps.
RECIPES["gan_ring"] = Recipe("gan", dict(generator=MLP_G, critic=MLP_D, k=1, betas=[0.5, 0.999]), task="ring",
                             task_args={**RING, "batch_size": 256}, steps=5000, meta_batch_size=1, outer_lr=1e-3,
                             note="minimax GAN (non-saturating), 8 Gaussians on a ring")
# WGAN-GP with Gulrajani et al.'s toy penalty weight λ = 0.1 (their 2-D experiments; 10 elsewhere) and 5 critic
# steps per generator step; each step's 320 real points are split into 5 critic minibatches of 64.
RECIPES["wgan_gp_ring"] = Recipe("wgan-gp", dict(generator=MLP_G, critic=MLP_D, penalty_weight=0.1, n_critic=5,
                                                 betas=[0.5, 0.9]), task="ring",
                                 task_args={**RING, "batch_size": 320}, steps=5000, meta_batch_size=1, outer_lr=1e-3,
                                 note="WGAN-GP, λ = 0.1, 5 critic steps, 8 Gaussians on a ring")

# ---- Omniglot: few-shot generation --------------------------------------------------------------------
CONV_G = {"name": "gan_conv_generator", "z_dim": 32, "channels": 32}
CONV_D = {"name": "gan_conv_critic", "channels": 32}
#: the adaptation every few-shot generator uses at test time (FIGR's inner loop; the baselines get the same)
ADAPT = dict(inner_lr=1e-3, inner_steps=10, inner_n_critic=1)
# FIGR: one character (4 drawings, the test-time K) per Reptile step, 10 rounds of WGAN-GP (λ = 10) with
# Adam(1e-3, β = (0, 0.9)) and fresh moments per task, Adam(1e-3) on θ − φ̄ for both players (the authors'
# code: 1e-4 for ~10⁵ steps; 10× larger for a budget of a few thousand).
RECIPES["figr_omniglot"] = Recipe("figr", dict(generator=CONV_G, critic=CONV_D, penalty_weight=10.0, betas=[0.0, 0.9],
                                               outer="adam", **ADAPT), task="omniglot_characters",
                                  task_args=dict(split="minimal", part="train", n_drawings=4), steps=3000,
                                  meta_batch_size=1, outer_lr=1e-3,
                                  note="FIGR: Reptile around WGAN-GP, 1 character × 4 drawings per step")
# The fine-tuning baseline's starting point: one WGAN-GP on the drawings of all 176 training characters
# (pooled, unconditional), Gulrajani et al.'s settings (λ = 10, 5 critic steps of 8 drawings, Adam 1e-4,
# β = (0, 0.9)); adapted at test time exactly like FIGR.
RECIPES["wgan_gp_omniglot"] = Recipe("wgan-gp", dict(generator=CONV_G, critic=CONV_D, penalty_weight=10.0, n_critic=5,
                                                     betas=[0.0, 0.9], **ADAPT), task="omniglot_characters",
                                     task_args=dict(split="minimal", part="train", n_drawings=40, pooled=True),
                                     steps=3000, meta_batch_size=1, outer_lr=1e-4,
                                     note="WGAN-GP on all training characters (pooled): the fine-tuning baseline")

# ---- Omniglot: MetaGAN --------------------------------------------------------------------------------
# protonet_omniglot's recipe (30-way 1-shot, 4 queries per class, rotations, 800 steps, seed 0 — the same
# task stream and the same initial embedding) with a task-conditioned generator: 30 fakes per episode,
# λ = 1. The baseline is the committed protonet_omniglot checkpoint.
_PROTONET = omniglot_recipe("protonet", dict(model=CONV4), steps=800)
RECIPES["metagan_omniglot"] = Recipe(
    "metagan", dict(model=CONV4, generator={"name": "gan_conv_generator", "z_dim": 32, "channels": 32, "cond_dim": 64},
                    gan_weight=1.0, n_fake=30),
    task=_PROTONET.task, task_args=_PROTONET.task_args, steps=_PROTONET.steps,
    meta_batch_size=_PROTONET.meta_batch_size, outer_lr=_PROTONET.outer_lr, seed=_PROTONET.seed,
    note="protonet_omniglot + (N+1)-way discriminator and task-conditioned generator")
