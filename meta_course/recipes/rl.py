"""Recipes of the reinforcement-learning family and their lab notes.

Navigation (lesson 12): MAML-RL and the jointly trained ("pretrained") policy on MAML's dense 2-D
navigation; PEARL on PEARL's sparse point robot. Times are measured on this machine's 2-core CPU with
one thread while other jobs shared it.
"""

from __future__ import annotations

from ..tasks.envs.navigation import PointNavigation
from .base import Recipe

DENSE_ENV = PointNavigation.dense().config    # goals in [-0.5, 0.5]², reward −distance, horizon 100
SPARSE_ENV = PointNavigation.sparse().config  # goals on the unit half circle, reward within 0.2, horizon 20

# Finn et al. (2017) §5.3 and their reference script: policy 100-100 ReLU, 20 trajectories per inner
# step, 1 inner step, horizon 100, linear feature baseline. The paper's text says α = 0.1 (its
# reference script uses 0.5 with standardised advantages); α = 0.1 here. Outer step: Adam 1e-3 on the
# post-adaptation REINFORCE surrogate instead of the paper's TRPO step (meta-batch 20 tasks).
_MAML_NAV = dict(env=DENSE_ENV, hidden=[100, 100], inner_lr=0.1, n_traj=20, gamma=0.99)
_DENSE_TASKS = dict(task="navigation", task_args={"goals": "square", "goal_size": 0.5})

RECIPES: dict[str, Recipe] = {
    "maml_rl_nav": Recipe(
        "maml-rl", dict(_MAML_NAV, inner_steps=1), **_DENSE_TASKS, steps=500, meta_batch_size=20, outer_lr=1e-3,
        eval_knobs={"inner_steps": 1},
        note="MAML-RL on 2-D navigation (dense)."),
    "pretrained_rl_nav": Recipe(
        "pretrained-rl", dict(_MAML_NAV, inner_steps=0), **_DENSE_TASKS, steps=500, meta_batch_size=20,
        outer_lr=1e-3, eval_knobs={"inner_steps": 1},
        note="One policy trained on all navigation goals at once (REINFORCE, no inner step); fine-tuned at "
             "test time with MAML-RL's inner step (α = 0.1, 20 trajectories)."),
}
