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
RECIPES["cnp_sine"] = Recipe(
    "cnp", dict(**CNP_NET, min_std=0.01, context_range=[1, 20], lr_schedule="cosine"),
    task="sine", task_args={"k_shot": 20, "n_query": 20}, steps=20_000, meta_batch_size=64, outer_lr=1e-3,
    note="CNP on sine tasks, context 1-20 points")
