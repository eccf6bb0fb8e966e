"""Recipes of the optimisation-based family beyond sine: MAML, FOMAML, Reptile, Meta-SGD and the transfer
baseline on Omniglot; the learned optimiser on random quadratics. (The sine set-ups are in ``recipes/sine.py``.)

Omniglot.

All five use Conv-4 with batch-statistics norm, 32 channels per block instead of the papers' 64 (2.7×
fewer operations, measured; MAML's MiniImagenet network also has 32), on 28×28 images and train on the six
``minimal`` training alphabets (176 characters; Balinese is validation, Sanskrit the held-out test
alphabet), with the MAML paper's augmentation: each 90° rotation of a character is a class of its own
(704 training classes). They live in one file so the settings of the comparison sit side by side.

Paper settings and how they were scaled to this 2-core CPU (one thread per run; the step times are
measured on an idle machine: MAML 0.22 s, FOMAML 0.15 s, Meta-SGD 0.20 s, Reptile 0.30 s per outer step):

==========  ===========================================  ==============================================
learner     paper (full Omniglot, 1200 training chars)   here (``minimal``, 176 chars)
==========  ===========================================  ==============================================
MAML        5-way 1-shot: α=0.4, 1 inner step in         same α and training step; meta-batch 8 (paper
            training, 3 at test; meta-batch 32; Adam     32), 2 query images per class, 6 000 steps
            β=1e-3; 60 000 iterations                    (≈ 25 min): 2.5 % of the paper's tasks. 10
                                                         steps at test (chosen on the validation
                                                         alphabet after 600 steps: 3/5/10 steps gave
                                                         62/63/65 %)
FOMAML      same, inner gradients detached               same as MAML here, 6 000 steps
Reptile     inner Adam 1e-3, 5 steps on batches of 10,   inner SGD α=0.1 (the shared inner loop), 5 steps,
            10 shots per class, meta-batch 5, ε=1 → 0    each on its own minibatch of 10 of the task's
            linearly, 100 000 iterations; 50 test steps  5×10 images (as the paper), meta-batch 5,
                                                         ε=1 → 0, 3 000 steps; 10 SGD steps at test.
                                                         Validation after 300 steps: 59.6 % with
                                                         minibatches vs 42.9 % with 5 steps on one batch
                                                         of 2 shots/class (the first version; 3 000
                                                         steps of it gave no gain: 43 % on Sanskrit)
Meta-SGD    MAML's set-up with a learned α per weight,   MAML's set-up, 3 000 steps; α init U[0.3, 0.5]
            one step (α init U[0.005, 0.1] in the sine   (around MAML's tuned 0.4: a short run cannot
            section)                                     afford to grow α from 0.05); 10 learned steps
                                                         at test (validation 1/3/5/10: 56/58/60/63 %
                                                         after 500 steps)
transfer    "pretrained" baseline: one classifier on     Conv-4 704-way classifier, Adam 1e-3, batches
            all training classes, fine-tuned at test     of 64, 1 500 steps; at test a fresh zero
                                                         head on the frozen body, 20 SGD steps α=0.03
                                                         (validation: α=0.1 62 %, α=0.03 68 %; whole
                                                         network fine-tuned, 10 steps: 60 %)
==========  ===========================================  ==============================================

MAML, FOMAML and Meta-SGD were first trained for 1 000 / 1 000 / 500 steps and then continued (constant
step size, so the continuation is exactly the longer run). Reptile was retrained from scratch with the
paper's minibatch inner loop (``inner_data="minibatches"``; its ε schedule depends on the total steps anyway).

Each committed checkpoint ``meta_course/checkpoints/RECIPE.pt`` is reproduced by
``python -m meta_course train RECIPE --out meta_course/checkpoints/RECIPE.pt --threads 1``.

References:
    Finn et al. (2017), Section 5.2 and Appendix A.1; Nichol et al. (2018), Table 3 (Omniglot);
    Li et al. (2017), Section 4.2.
"""

from __future__ import annotations

from ..tasks.linear import QUADRATIC_MODEL
from .base import Recipe, RunsMethod

#: Conv-4 with a 5-way head (the episodes' labels are 0..4)
CONV4_5WAY = {"name": "conv4", "out_features": 5, "hidden": 32, "in_channels": 1}
#: Conv-4 without head: the transfer baseline's body
CONV4_BODY = {"name": "conv4", "out_features": None, "hidden": 32, "in_channels": 1}
#: the training data of every Omniglot recipe
TRAIN_PART = {"split": "minimal", "part": "train", "rotations": True}
#: training characters × 4 rotations
N_TRAIN_CLASSES = 176 * 4

_EPISODES = dict(task="omniglot", task_args={**TRAIN_PART, "n_way": 5, "k_shot": 1, "q_query": 2},
                 steps=6000, meta_batch_size=8, outer_lr=1e-3, eval_knobs={"inner_steps": 10})

RECIPES: dict[str, Recipe] = {
    "maml_omniglot": Recipe("maml", dict(model=CONV4_5WAY, loss="cross_entropy", inner_lr=0.4, inner_steps=1),
                            **_EPISODES, note="second order, α=0.4, 1 step (10 at test)"),
    "fomaml_omniglot": Recipe("fomaml", dict(model=CONV4_5WAY, loss="cross_entropy", inner_lr=0.4, inner_steps=1),
                              **_EPISODES, note="first order, α=0.4, 1 step (10 at test)"),
    "metasgd_omniglot": Recipe("meta-sgd", dict(model=CONV4_5WAY, loss="cross_entropy", inner_steps=1,
                                                alpha_init=[0.3, 0.5]),
                               **{**_EPISODES, "steps": 3000}, note="learned α per weight, 1 step (10 at test)"),
    "reptile_omniglot": Recipe("reptile", dict(model=CONV4_5WAY, loss="cross_entropy", inner_lr=0.1, inner_steps=5,
                                               anneal="linear", final_fraction=0.0, inner_data="minibatches"),
                               task="omniglot", task_args={**TRAIN_PART, "n_way": 5, "k_shot": 1, "q_query": 9},
                               steps=3000, meta_batch_size=5, outer_lr=1.0, eval_knobs={"inner_steps": 10},
                               note="batched Reptile, ε=1 → 0, 5 SGD steps on minibatches of 10 (10 shots/class)"),
    "transfer_omniglot": Recipe("transfer", dict(model=CONV4_BODY, n_classes=N_TRAIN_CLASSES, image_size=28,
                                                 inner_lr=0.1, inner_steps=20, finetune="head"),
                                task="omniglot_classes", task_args={**TRAIN_PART, "batch_size": 32},
                                steps=1500, meta_batch_size=1, outer_lr=1e-3, eval_knobs={"inner_steps": 20, "inner_lr": 0.03},
                                note="pretrain 704-way, fresh zero head fine-tuned on the support set"),
}

# Learned optimiser on quadratics (Andrychowicz et al. 2016, Section 3.1): 10-d, T=100 steps truncated every
# 20, 2-layer LSTM with 20 units, Adam. Scaled to one (shared) CPU thread: 300 outer steps of 32 problems,
# Adam 3e-3.
RECIPES["l2lopt_quadratic"] = Recipe(
    "l2l-optimizer", dict(model=QUADRATIC_MODEL, loss="sse", inner_steps=100, truncation=20, hidden=20,
                          out_scale=0.1, objective="support"),
    task="quadratic", task_args={"dim": 10}, steps=300, meta_batch_size=32, outer_lr=3e-3,
    eval_knobs={"inner_steps": 100}, note="learned optimiser on random quadratics")

# `python -m meta_course runs --method maml|fomaml|meta-sgd|reptile|transfer`: adapt on the 20 training images of a
# run as a 20-way 1-shot task (inner steps as in the recipe's evaluation; the 5-way heads become 20-way by
# meta_course.core.heads.fit_head), classify the 20 test items.
RUNS_METHODS: dict[str, RunsMethod] = {
    method: RunsMethod(recipe, f"{RECIPES[recipe].learner} on Conv-4, {RECIPES[recipe].note} ({recipe}.pt)",
                       dict(RECIPES[recipe].eval_knobs))
    for method, recipe in (("maml", "maml_omniglot"), ("fomaml", "fomaml_omniglot"), ("meta-sgd", "metasgd_omniglot"),
                           ("reptile", "reptile_omniglot"), ("transfer", "transfer_omniglot"))
}
