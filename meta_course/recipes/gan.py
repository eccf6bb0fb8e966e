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
from .metric import omniglot_recipe

RECIPES: dict[str, Recipe] = {}

MLP_G = {"name": "gan_mlp_generator", "z_dim": 16, "hidden": 128, "layers": 2}
MLP_D = {"name": "gan_mlp_critic", "hidden": 128, "layers": 2}
RING = {"n_modes": 8, "radius": 2.0, "std": 0.05}

# ---- the ring -----------------------------------------------------------------------------------------
# Goodfellow et al.'s GAN with the non-saturating generator loss, one D step per G step, Adam(1e-3, β₁ = 0.5)
# (DCGAN's β₁). Measured on the way (std 0.02, lr 1e-4, z = 256, 1-layer D — Metz et al.'s set-up): after
# 20 000 steps its samples still sat in one blob near one mode (0 modes covered), and WGAN-GP at the same
# step size had not spread either after 10 000 — too slow for this budget; at 1e-3 both move within
# 1 000 steps. Committed checkpoint (seed 0, 5 000 steps): 29 s of CPU on one thread (320 s wall at load ~15);
# 2 000 samples cover 8/8 modes, 95% high quality.
RECIPES["gan_ring"] = Recipe("gan", dict(generator=MLP_G, critic=MLP_D, k=1, betas=[0.5, 0.999]), task="ring",
                             task_args={**RING, "batch_size": 256}, steps=5000, meta_batch_size=1, outer_lr=1e-3,
                             note="minimax GAN (non-saturating), 8 Gaussians on a ring")
# WGAN-GP with Gulrajani et al.'s toy penalty weight λ = 0.1 (their 2-D experiments; 10 elsewhere) and 5 critic
# steps per generator step, Adam β = (0, 0.9) (their settings); each step's 320 real points are split into 5 critic
# minibatches of 64. Committed checkpoint (seed 0, 5 000 steps): 83 s of CPU on one thread (1 160 s wall at load
# ~15); 8/8 modes, 90% high quality; critic's ‖∇f‖ on interpolates: median 1.14 (the GAN's logit: 4.7).
RECIPES["wgan_gp_ring"] = Recipe("wgan-gp", dict(generator=MLP_G, critic=MLP_D, penalty_weight=0.1, n_critic=5,
                                                 betas=[0.0, 0.9]), task="ring",
                                 task_args={**RING, "batch_size": 320}, steps=5000, meta_batch_size=1, outer_lr=1e-3,
                                 note="WGAN-GP, λ = 0.1, 5 critic steps, 8 Gaussians on a ring")

# ---- Omniglot: few-shot generation --------------------------------------------------------------------
CONV_G = {"name": "gan_conv_generator", "z_dim": 32, "channels": 32}
CONV_D = {"name": "gan_conv_critic", "channels": 32}
#: the adaptation every few-shot generator uses at test time (FIGR's inner loop; the baselines get the same)
ADAPT = dict(inner_lr=5e-3, inner_steps=10, inner_n_critic=1)
# FIGR: one character (4 drawings, the test-time K) per Reptile step, 10 rounds of WGAN-GP (λ = 10) with
# Adam(1e-3, β = (0, 0.9)) and fresh moments per task, Adam(1e-3) on θ − φ̄ for both players (the authors'
# code: 1e-4 for ~10⁵ steps; 10× larger for a budget of a few thousand).
# Committed checkpoint (seed 0, 3 000 steps, 0.7 MB): 4 809 s wall in two pieces (resumed at step 1 750) at load
# 10–20 on the shared 2 cores, ≈ 0.13 s of CPU a step (≈ 6.5 min of CPU on one thread).
# Measured at step 1 750: on 20 held-out Sanskrit characters, K = 4 shots, 10 adaptation rounds, 32 drawings each,
# judged 20-way by protonet_xl_omniglot, recognisability 0.114 ± 0.066 against 0.092 ± 0.119 for its untrained start
# adapted the same way (paired +0.022 ± 0.126: no measurable gain; chance 0.05); diversity 3.35 against 0.55 (the
# untrained generator draws nearly the same image every time). At step 3 000, all 42 Sanskrit characters, seed 0:
# recognisability after 0 / 10 / 25 rounds 0.076 / 0.158 / 0.263 (untrained start 0.024 / 0.092 / 0.081; real
# drawings 0.896); paired FIGR − untrained start +0.067 ± 0.080 after 10 rounds, +0.182 ± 0.063 after 25; diversity
# after 25 rounds 3.27 (untrained 1.81, real drawings 2.34). (runs: lesson 14, section 3, QUICK off.)
RECIPES["figr_omniglot"] = Recipe("figr", dict(generator=CONV_G, critic=CONV_D, penalty_weight=10.0, betas=[0.0, 0.9],
                                               outer="adam", **ADAPT), task="omniglot_characters",
                                  task_args=dict(split="minimal", part="train", n_drawings=4), steps=3000,
                                  meta_batch_size=1, outer_lr=1e-3,
                                  note="FIGR: Reptile around WGAN-GP, 1 character × 4 drawings per step")
# The fine-tuning baseline's starting point: one WGAN-GP on the drawings of all 176 training characters
# (pooled, unconditional), Gulrajani et al.'s settings (λ = 10, 5 critic steps of 8 drawings, Adam 1e-4,
# β = (0, 0.9)); adapted at test time exactly like FIGR. Compute-matched: a step costs 0.061 s of CPU against
# FIGR's 0.125 s (10 rounds on 4 drawings), so twice FIGR's steps.
# Committed checkpoint (seed 0, 6 000 steps, 0.7 MB): 393 s of CPU on one thread (6.6 min; 22.8 min wall at load
# 6–10). Energy distance (pixels) between 64 generated and 64 real drawings of random held-out Sanskrit characters,
# 20 batches: 0.72 against 16.97 for its untrained start (paired −16.24 ± 0.10) and 1.83 for FIGR's unadapted start:
# it draws plausible pooled Omniglot strokes before any adaptation. Few-shot figures: ``bench generation``.
RECIPES["wgan_gp_omniglot"] = Recipe("wgan-gp", dict(generator=CONV_G, critic=CONV_D, penalty_weight=10.0, n_critic=5,
                                                     betas=[0.0, 0.9], **ADAPT), task="omniglot_characters",
                                     task_args=dict(split="minimal", part="train", n_drawings=40, pooled=True),
                                     steps=6000, meta_batch_size=1, outer_lr=1e-4,
                                     note="WGAN-GP on all training characters (pooled): the fine-tuning baseline")

# ---- Omniglot: MetaGAN --------------------------------------------------------------------------------
# A ProtoNet and the same ProtoNet trained as MetaGAN's (N+1)-way discriminator, everything else equal: the
# protonet_omniglot set-up (30-way 1-shot episodes, 4 queries per class, rotations as new classes, 800
# episodes, Adam 1e-3) on a 32-channel Conv-4, the same seed (so the same task stream and the same initial
# embedding), two seeds each. MetaGAN adds a task-conditioned generator (16 channels; h = the episode's mean
# support embedding), 30 fakes per episode and λ = 1. Measured CPU time per episode (one thread): ProtoNet
# 0.16 s, MetaGAN 0.26 s — the 64-channel Conv-4 costs 0.36 and 1.15 s, too much for this budget.
# Committed, both seeds: protonet32_omniglot 145 s of CPU on one thread (6.5 min wall), 0.12 MB; metagan_omniglot
# 238 s of CPU (8.7 min wall), 0.55 MB; protonet32_seed1_omniglot ≈ 140 s of CPU (19 min wall at load 8, nice'd);
# metagan_seed1_omniglot ≈ 250 s of CPU (22 min wall at load 7). Seed 0 alone: ``bench metagan --seeds 0`` (600 held-out Sanskrit episodes
# per setting, 5 queries): ProtoNet 82.16 ± 0.90 / 93.22 ± 0.48 / 59.40 ± 0.53 % (5w1s / 5w5s / 20w1s), MetaGAN
# 77.03 ± 1.01 / 88.13 ± 0.72 / 50.69 ± 0.53 %; paired MetaGAN − ProtoNet −5.13 ± 0.82, −5.09 ± 0.59, −8.71 ± 0.51
# points. Both seeds (``bench metagan``): paired −4.06 ± 0.62 / −4.65 ± 0.46 / −7.11 ± 0.40 (seed 1 alone −2.99 ± 0.83,
# −4.20 ± 0.59, −5.51 ± 0.53): at this budget (800 episodes) the adversary costs accuracy for each training seed.
CONV4_32 = {"name": "conv4", "out_features": None, "hidden": 32}
METAGAN = dict(model=CONV4_32, generator={"name": "gan_conv_generator", "z_dim": 32, "channels": 16, "cond_dim": 32},
               gan_weight=1.0, n_fake=30)
for seed in (0, 1):
    suffix = "" if seed == 0 else f"_seed{seed}"
    RECIPES[f"protonet32{suffix}_omniglot"] = omniglot_recipe(
        "protonet", dict(model=CONV4_32), steps=800, seed=seed,
        note=f"ProtoNet, 32-channel Conv-4, 30-way 1-shot, seed {seed}: MetaGAN's baseline")
    _base = RECIPES[f"protonet32{suffix}_omniglot"]
    RECIPES[f"metagan{suffix}_omniglot"] = Recipe(
        "metagan", METAGAN, task=_base.task, task_args=_base.task_args, steps=_base.steps,
        meta_batch_size=_base.meta_batch_size, outer_lr=_base.outer_lr, seed=seed,
        note=f"protonet32{suffix}_omniglot + (N+1)-way discriminator and task-conditioned generator")
