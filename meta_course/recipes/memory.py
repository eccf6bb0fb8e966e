"""Memory- and model-based recipes: learners that adapt by reading the support set (no gradient step at
test time). Each comment is the lab note of the set-up below it."""

from __future__ import annotations

from .base import Recipe

RECIPES: dict[str, Recipe] = {}

# ---------------------------------------------------------------------------------------------- MANN (lesson 08)
# Santoro et al. (2016), Section 4.1: 5 classes × 10 drawings per episode (50 steps), label of step t shown at
# t + 1, classes and labels drawn anew per episode, every 90° rotation a class of its own; trained on the six
# `minimal` training alphabets (704 classes), scored on Sanskrit. Paper: 20×20 flat pixels, LSTM 200,
# memory 128 × 40, 4 read heads, 100 000 episodes (batch 1). Here the images pass through a *frozen* feature
# extractor — the Conv-4 of `protonet_xl_omniglot` (lesson 06; trained on the minimal alphabets except
# Sanskrit), its normalisation statistics fixed on the first training batch — and the MANN reads its 64-d
# features. Measured first on one busy CPU thread (0.16 s of CPU per step of 16 episodes either way): on
# 20×20 pixels, 1 300 steps left accuracy at the 2nd instance at 29 % (no take-off yet); on the frozen
# features the MANN took off after ~800 steps (2nd / 10th instance 37 % / 50 % at 900 steps and rising).
# Controller LSTM 128 (200 would make the checkpoint 2.1 MB), memory 128 × 40, 4 heads, γ = 0.95 (the
# reference code's), Adam 1e-3, meta-batch 16, gradient norm clipped at 10.
MANN_FEATURES = dict(image_size=28, encoder="protonet_xl_omniglot")
OMNIGLOT_SEQUENCES = dict(task="omniglot_sequences",
                          task_args=dict(split="minimal", part="train", n_classes=5, n_instances=10, rotations=True,
                                         size=28),
                          meta_batch_size=16, outer_lr=1e-3, clip_grad_norm=10.0)
RECIPES["mann_omniglot"] = Recipe(
    "mann", dict(**MANN_FEATURES, memory_slots=128, memory_width=40, read_heads=4, hidden_size=128, gamma=0.95),
    steps=5000, note="MANN (LRU access) on frozen Conv-4 features, 5 classes × 10 instances", **OMNIGLOT_SEQUENCES)
# The baseline: an LSTM on the same input (features + previous label). 200 units: about the MANN's
# parameter count without its memory (215k vs 225k trainable weights).
RECIPES["lstm_omniglot"] = Recipe(
    "lstm-labels", dict(**MANN_FEATURES, hidden_size=200), steps=5000,
    note="LSTM baseline, same input as mann_omniglot", **OMNIGLOT_SEQUENCES)
