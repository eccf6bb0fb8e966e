"""Self-checking exercises of lesson 11 (meta-RL on bandits).

Importing this module registers them with :func:`meta_course.exercises.check`; the expected answers
are computed by the package, never typed in.
"""

from __future__ import annotations

import torch

from .exercises import check, exercise

__all__ = ["check"]


@exercise("bandits.ucb1_scores", "x̄_i + c·sqrt(2 ln t / n_i) with x̄_i = s_i / n_i and n_i = s_i + f_i; "
          "an arm never pulled gets +inf.")
def _ucb1_scores(fn) -> bool:
    """``fn(s, f, t, c) -> [B, k]`` classic UCB1 bounds (Auer et al. 2002)."""
    from ..learners.rl.bandit_baselines import ucb1_scores

    g = torch.Generator().manual_seed(3)
    s = torch.randint(0, 5, (6, 4), generator=g).float()
    f = torch.randint(0, 5, (6, 4), generator=g).float()
    s[0, 1] = f[0, 1] = 0.0                      # one arm never pulled
    t = int((s + f).sum(1).max())
    for c in (1.0, 0.3):
        got, want = fn(s, f, t, c), ucb1_scores(s, f, t, c)
        if not isinstance(got, torch.Tensor) or got.shape != want.shape:
            return False
        finite = torch.isfinite(want)
        if not (torch.isinf(got[~finite]).all() and torch.allclose(got[finite], want[finite], atol=1e-5)):
            return False
    return True


@exercise("bandits.bayes_value_k2_n3", "Bellman over posteriors: pull an arm; if it pays stay (p = 2/3), "
          "if not switch (p = 1/2); write the 3-pull tree, or call bayes_optimal_value(2, 3).")
def _bayes_value(answer) -> bool:
    """The Bayes-optimal expected total reward of 3 pulls of a 2-armed Beta(1, 1) bandit."""
    from ..learners.rl.bandit_baselines import bayes_optimal_value

    return abs(float(answer) - bayes_optimal_value(2, 3)) < 1e-3


@exercise("bandits.gae", "Go backwards: δ_t = r_t + γV_{t+1} − V_t (V_T = 0), Â_t = δ_t + γλÂ_{t+1}.")
def _gae(fn) -> bool:
    """``fn(rewards [B, T], values [B, T], gamma, lam) -> advantages [B, T]`` (no dones, V_T = 0)."""
    from ..learners.rl.returns import gae

    g = torch.Generator().manual_seed(4)
    r, v = torch.randn(3, 6, generator=g), torch.randn(3, 6, generator=g)
    for gamma, lam in ((0.9, 0.8), (1.0, 0.3), (0.99, 1.0)):
        got = fn(r.clone(), v.clone(), gamma, lam)
        if not isinstance(got, torch.Tensor) or not torch.allclose(got, gae(r, v, gamma, lam), atol=1e-5):
            return False
    return True
