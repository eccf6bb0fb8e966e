"""Applications: cold-start recommendation as fast adaptation (lesson 16).

One task = one user of a synthetic catalogue (:mod:`meta_course.tasks.recommendation`): K = 5 rated items
as the support set, 20 other rated items as the query set; inputs are item features and the user's age
group, targets the 1–5 ratings. Three recommenders share one network (MLP 13-64-64-1):

- the **global model** (``pretrained_recommendation`` with ``inner_steps=0``): trained on every user's
  ratings pooled, the same prediction for every user of an age group;
- **per-user fine-tuning** (the same checkpoint, ``eval_knobs``: 20 steps of α = 0.03 on the user's K
  ratings);
- **MAML over users** (``maml_recommendation``), MeLU's local/global update (Lee et al. 2019), with all
  layers adapted (MeLU adapts only its decision layers; the lesson's exercise compares).

Measured here on 1 000 validation users (seed 99, K = 5, after 3 000 training steps; the test users of
``bench recommendation`` use seed 2026): global model MAE 0.830, NDCG@5 0.718; fine-tuning the global
model with α ∈ {0.01, 0.03, 0.1, 0.3} × {5, 10, 20} steps: best α = 0.03 × 20 steps (MAE 0.793, NDCG@5
0.770; α ≥ 0.1 diverges); MAML with α = 0.1 × 5 steps (trained that way): MAE 0.701, NDCG@5 0.815.

The committed checkpoints (10 000 steps each, ``python -m meta_course train RECIPE --threads 1``): 27 s of CPU time
for the global model, 222 s for MAML on one thread (2.9 and 23.6 min of wall time on the 2-core machine shared
with four other training jobs). ``bench recommendation`` (1 000 test users, K = 5): global model MAE 0.830,
NDCG@5 0.723; fine-tuning 0.795 / 0.778; MAML 0.679 / 0.828. With K = 1, MAML is worse than the global model
(0.951 / 0.679): its 5 steps of 0.1 were meta-trained on 5 ratings and overfit a single one.
"""

from __future__ import annotations

from .base import Recipe

#: the recommenders' network: [genres 8, year, critics' score, age group 3] -> rating
REC_MLP = {"name": "mlp", "sizes": [13, 64, 64, 1]}
_REC = dict(task="recommendation", task_args={"k_shot": 5, "n_query": 20}, meta_batch_size=32, outer_lr=1e-3)

RECIPES: dict[str, Recipe] = {
    # MAML over users: α = 0.1 and 5 inner steps, second order (α = 0.1 diverged when *fine-tuning* the
    # global model, but MAML's initialisation is trained for exactly this step).
    "maml_recommendation": Recipe("maml", dict(model=REC_MLP, inner_lr=0.1, inner_steps=5), steps=10_000,
                                  eval_knobs={"inner_steps": 5}, note="MAML over users (MeLU-style), K=5", **_REC),
    # The global model, pooled over users; adapt() fine-tunes it with the step size chosen on validation users.
    "pretrained_recommendation": Recipe("pretrained", dict(model=REC_MLP, inner_lr=0.03, inner_steps=20),
                                        steps=10_000, eval_knobs={"inner_steps": 20},
                                        note="global model (inner_steps=0) / per-user fine-tuning", **_REC),
}
