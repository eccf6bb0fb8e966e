"""Reinforcement-learning recipes. Each comment is the lab note of the set-up below it.

Bandits (lesson 11): RL² (Duan et al. 2016, §4.1) on Bernoulli bandits with p ~ U[0, 1]^k, one
recipe per (k arms, n pulls) setting of the paper's Table 1 that the course benchmarks. The trained
checkpoints are scored by ``python -m meta_course bench bandits``.
"""

from __future__ import annotations

from .base import Recipe

# ---- bandits: RL² -------------------------------------------------------------------------------------
# A2C over whole trials, one trial per task and one gradient step per meta-batch (meta_batch_size = trials
# per step), GRU of 64 units. What was measured here while choosing (k=5, one CPU thread, 2000 held-out
# bandits; "Gittins" = the finite-horizon index policy on the same bandits):
# - Critic in units of the trial length (targets in [0, 1]): with raw returns (≈50 at n=100) its squared
#   error swamped the policy gradient in the shared GRU and nothing was learnt in 600 steps.
# - λ = 1 (advantage R_t − V): with λ = 0.3 the TD residual uses V(h_{t+1}), which sees the action just
#   taken; an untrained critic then rewards arbitrary arms, and at n = 100 the policy collapsed onto one
#   arm within 400 steps (entropy 0.01, return 49.4 = random).
# - reward_signal="expected" (learning signal p_{a_t} instead of the 0/1 reward: same expected gradient,
#   the agent still sees 0/1 rewards) and critic="task" (the critic also sees p; training only): at n = 10
#   the return reached 6.58 after 1 600 steps (vs 6.32 for sampled rewards, λ = 0.3, shared critic).
# - n = 100 from scratch learnt slowly and unstably (≈59 after 2 500 steps of 64 trials, 55 min here;
#   UCB1 gets 78). An agent trained on n = 10 already scores 71–76 on n = 100, so the n = 100 recipes
#   start with 3 000 steps of 10-pull trials (curriculum) and then train on 100-pull trials: 77.2 after
#   200 more steps in a trial run.
# - Entropy bonus 0.05 annealed to 0 (a constant 0.05 kept the n = 100 policy uniform), step size 3e-3
#   decayed linearly to 0, gradient norm clipped at 0.5 (without: the return fell back to random twice).
_BANDIT_RL2 = dict(env="bandits", hidden_size=64, gamma=1.0, lam=1.0, value_coef=0.5, reward_signal="expected",
                   critic="task", entropy_coef=0.05, entropy_final=0.0, lr_schedule="linear")


def _rl2_bandits(k: int, n: int, steps: int, meta_batch_size: int, note: str, curriculum_steps: int = 0) -> Recipe:
    curriculum = {"steps": curriculum_steps, "env_args": {"k": k, "n": 10}} if curriculum_steps else None
    anneal = curriculum_steps or int(0.75 * steps)
    return Recipe("rl2", dict(_BANDIT_RL2, env_args={"k": k, "n": n}, entropy_anneal_steps=anneal,
                              curriculum=curriculum),
                  task="bandits", task_args={"k": k, "n": n}, steps=steps, meta_batch_size=meta_batch_size,
                  outer_lr=3e-3, clip_grad_norm=0.5, note=note, seed=0)


RECIPES: dict[str, Recipe] = {
    "rl2_bandits_k5_n10": _rl2_bandits(5, 10, 4000, 256, "RL² on 5-armed bandits, 10 pulls"),
    "rl2_bandits_k10_n10": _rl2_bandits(10, 10, 4000, 256, "RL² on 10-armed bandits, 10 pulls"),
    "rl2_bandits_k5_n100": _rl2_bandits(5, 100, 5000, 128, "RL² on 5-armed bandits, 100 pulls (10 first)",
                                        curriculum_steps=3000),
    "rl2_bandits_k10_n100": _rl2_bandits(10, 100, 5000, 128, "RL² on 10-armed bandits, 100 pulls (10 first)",
                                         curriculum_steps=3000),
}
