"""Memory- and model-based recipes: learners that adapt by reading the support set (no gradient step at
test time). Each comment is the lab note of the set-up below it."""

from __future__ import annotations

from .base import Recipe

#: the conditional neural process's networks: 3 hidden layers of 128 in the encoder h and the decoder g, r ∈ R^128
CNP_NET = dict(r_dim=128, hidden=128, encoder_layers=3, decoder_layers=3)

RECIPES: dict[str, Recipe] = {}

# CNP on lesson 01's sine family (Garnelo et al. 2018, Section 2.4 training): each task has 20 support and 20
# query points; it reads a random N ~ U{1..20} of its support points and is scored on all 40 (Eq. 4).
# Meta-batch 64, Adam 1e-3 with a cosine decay. Noise-free targets, so σ may go down to 0.01.
# Measured: 20 000 steps in 433 s of CPU on one thread (user 423 s + sys 10 s; 34 min of wall clock on the
# shared 2-core machine); checkpoint 0.41 MB. Held-out (`bench sine`, 1 000 tasks per K): MSE 0.015 / 0.002 /
# 0.001 at K = 5 / 10 / 20 (MAML after 10 steps: 0.253 / 0.091 / 0.043), NLL −1.67 / −2.09 / −2.28 nats/point.
# K = 5 MSE was 0.043 after 4 000 steps of a trial run and 0.027 after 8 000 of this one.
RECIPES["cnp_sine"] = Recipe(
    "cnp", dict(**CNP_NET, min_std=0.01, context_range=[1, 20], lr_schedule="cosine"),
    task="sine", task_args={"k_shot": 20, "n_query": 20}, steps=20_000, meta_batch_size=64, outer_lr=1e-3,
    note="CNP on sine tasks, context 1-20 points")

# CNP on Gaussian-process samples (squared-exponential kernel, ℓ = 0.4, σ_f = 1 on x ∈ [−2, 2] as in Garnelo et
# al.'s 1-D notebook, observation noise σ_n = 0.1). Each task reads N ~ U{3..10} points (the notebook's context
# sizes) and is scored on all 50 of its points. Measured while choosing the settings (5 000 steps, gap to the
# exact posterior at K=10, nats/point): raw x 0.53, 32 random Fourier features of x (scale 0.5) 0.40 — the
# features give the MLPs the wiggles of a short-lengthscale GP, so they stay. σ ≥ 0.01.
RECIPES["cnp_gp"] = Recipe(
    "cnp", dict(**CNP_NET, min_std=0.01, x_features=32, x_feature_scale=0.5, context_range=[3, 10],
                lr_schedule="cosine"),
    task="gp", task_args={"k_shot": 10, "n_query": 40, "lengthscale": 0.4, "variance": 1.0, "noise": 0.1,
                          "x_range": [-2.0, 2.0]},
    steps=60_000, meta_batch_size=32, outer_lr=1e-3, note="CNP on GP samples (SE kernel), context 3-10 points")
