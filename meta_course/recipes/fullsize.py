"""Full-size Omniglot recipes for a GPU: the papers' settings for MAML, ProtoNet and Matching networks on the
Vinyals split (1 200 training characters × 4 rotations = 4 800 classes; 423 test characters), 64-channel Conv-4,
28×28 images, mixed precision on CUDA. None of them is trained here (a 2-core CPU is ~100× too slow); each is
one command on a GPU, and on several GPUs with ``--nproc N`` (or ``torchrun``), which splits every meta-batch.

Data: the two big zips ``images_background.zip`` and ``images_evaluation.zip`` (``python -m meta_course
download --split vinyals``); the ``vinyals`` split orders the characters background first, then evaluation,
and takes the first 1 028 + 172 for training (``part="train+val"``: the papers train on all 1 200) and the
last 423 for testing.

===========  ==========================================================  ===========================
recipe       the paper's setting                                          paper's test accuracy (%)
===========  ==========================================================  ===========================
MAML         Finn et al. 2017, Section 5.2 and Appendix A.1: 5-way: α=0.4,  5-way 1/5-shot 98.7 / 99.9,
             1 inner step in training, 3 at test, meta-batch 32; 20-way:  20-way 1/5-shot 95.8 / 98.9
             α=0.1, 5 steps in training and test, meta-batch 16; K query
             images per class (the reference code), Adam β=1e-3, 60 000
             iterations, second order
ProtoNet     Snell et al. 2017, Section 3.1: trained 60-way with 5 queries  5-way 1/5-shot 98.8 / 99.7,
             per class, as many shots as at test; Adam 1e-3 halved every  20-way 1/5-shot 96.0 / 98.9
             2 000 episodes, one episode per step; Euclidean distance. One
             model per shot, tested 5- and 20-way
Matching     Vinyals et al. 2016, Table 1 (no fine-tuning, no FCE): cosine  5-way 1/5-shot 98.1 / 98.9,
             attention; trained on the test's N-way K-shot episodes       20-way 1/5-shot 93.8 / 98.5
===========  ==========================================================  ===========================

What the papers do not state and is chosen here: the number of training steps of ProtoNet (Snell et al. stop
when the validation loss stops improving: 20 000 episodes is a budget, not theirs) and Matching networks (20 000
steps of 16 episodes), and Matching networks' queries per class (5, as ProtoNet). Deviations: the course's Conv-4
max-pools (ProtoNet, Matching) where MAML's Omniglot network uses strided convolutions; its normalisation uses
batch statistics in training and test alike (transductive, as MAML's reference code).

Commands (one GPU; add ``--nproc N`` for N GPUs of one machine — the meta-batch must have at least N tasks, so
ProtoNet's one episode per step needs ``--meta-batch-size N``, which averages N episodes per step: another
algorithm, with N times the episodes per step)::

    python -m meta_course download --split vinyals
    python -m meta_course train maml_vinyals_5way1shot --device cuda --out runs/maml_vinyals_5way1shot.pt
    python -m meta_course evaluate runs/maml_vinyals_5way1shot.pt --part test --tasks 1000
    python -m meta_course train protonet_vinyals_1shot --device cuda --out runs/protonet_vinyals_1shot.pt
    python -m meta_course evaluate runs/protonet_vinyals_1shot.pt --part test --n-way 5 --tasks 1000
    python -m meta_course evaluate runs/protonet_vinyals_1shot.pt --part test --n-way 20 --tasks 1000

(and likewise for every recipe below: MAML and Matching test on their own N-way K-shot setting; each ProtoNet on
5- and 20-way). Expected: the paper's figures above within about a point (1 000 test episodes give a 95% CI of
±0.2–0.8 points). These recipes were smoke-tested here on synthetic stand-in zips only (tests/test_distributed.py):
no figure of them was measured on this machine.

References:
    Finn, Abbeel & Levine (2017), "Model-Agnostic Meta-Learning for Fast Adaptation of Deep Networks", ICML —
    Table 1, Appendix A.1. Snell, Swersky & Zemel (2017), "Prototypical Networks for Few-shot Learning",
    NeurIPS — Section 3.1, Table 1. Vinyals et al. (2016), "Matching Networks for One Shot Learning", NeurIPS —
    Section 4.1.1, Table 1.
"""

from __future__ import annotations

from .base import Recipe

#: the papers' Conv-4: 64 channels per block, a 64-d embedding of a 28×28 image
CONV4_64 = {"name": "conv4", "out_features": None, "hidden": 64, "in_channels": 1}
#: Vinyals et al.'s 1 200 training characters, each 90° rotation a class of its own
VINYALS_TRAIN = {"split": "vinyals", "part": "train+val", "rotations": True}
#: MAML's expected test accuracy (%) by (n_way, k_shot), Finn et al. Table 1
MAML_PAPER = {(5, 1): 98.7, (5, 5): 99.9, (20, 1): 95.8, (20, 5): 98.9}
PROTONET_PAPER = {(5, 1): 98.8, (5, 5): 99.7, (20, 1): 96.0, (20, 5): 98.9}
MATCHING_PAPER = {(5, 1): 98.1, (5, 5): 98.9, (20, 1): 93.8, (20, 5): 98.5}


def _maml(n_way: int, k_shot: int) -> Recipe:
    five = n_way == 5
    steps_in, steps_test, lr, batch = (1, 3, 0.4, 32) if five else (5, 5, 0.1, 16)
    return Recipe("maml", dict(model={**CONV4_64, "out_features": n_way}, loss="cross_entropy", inner_lr=lr,
                               inner_steps=steps_in),
                  task="omniglot", task_args={**VINYALS_TRAIN, "n_way": n_way, "k_shot": k_shot, "q_query": k_shot},
                  steps=60000, meta_batch_size=batch, outer_lr=1e-3, eval_knobs={"inner_steps": steps_test},
                  mixed_precision=True,
                  note=f"Finn et al.: {n_way}-way {k_shot}-shot, α={lr}, {steps_in} step(s) ({steps_test} at test), "
                       f"meta-batch {batch}; paper {MAML_PAPER[n_way, k_shot]}%")


def _protonet(k_shot: int) -> Recipe:
    return Recipe("protonet", dict(model=CONV4_64, halve_lr_every=2000),
                  task="omniglot", task_args={**VINYALS_TRAIN, "n_way": 60, "k_shot": k_shot, "q_query": 5},
                  steps=20000, meta_batch_size=1, outer_lr=1e-3, mixed_precision=True,
                  note=f"Snell et al.: 60-way {k_shot}-shot, 5 queries, Adam 1e-3 halved every 2 000; paper 5-way "
                       f"{PROTONET_PAPER[5, k_shot]}%, 20-way {PROTONET_PAPER[20, k_shot]}%")


def _matching(n_way: int, k_shot: int) -> Recipe:
    return Recipe("matching", dict(model=CONV4_64),
                  task="omniglot", task_args={**VINYALS_TRAIN, "n_way": n_way, "k_shot": k_shot, "q_query": 5},
                  steps=20000, meta_batch_size=16, outer_lr=1e-3, mixed_precision=True,
                  note=f"Vinyals et al.: {n_way}-way {k_shot}-shot, cosine attention, no FCE; paper "
                       f"{MATCHING_PAPER[n_way, k_shot]}%")


RECIPES: dict[str, Recipe] = {}
for _n, _k in MAML_PAPER:
    RECIPES[f"maml_vinyals_{_n}way{_k}shot"] = _maml(_n, _k)
for _k in (1, 5):
    RECIPES[f"protonet_vinyals_{_k}shot"] = _protonet(_k)
for _n, _k in MATCHING_PAPER:
    RECIPES[f"matching_vinyals_{_n}way{_k}shot"] = _matching(_n, _k)
