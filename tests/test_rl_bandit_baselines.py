"""Classical bandit baselines: hand-computed cases, an independent DP, and Monte Carlo vs exact values."""

import functools
import math

import pytest
import torch

from meta_course.learners.rl.bandit_baselines import (
    UCB1, BayesOptimal, FiniteHorizonGittins, bayes_optimal_value, finite_horizon_gittins_index, greedy,
    make_baseline, posterior_params, random_policy, run_policy, thompson, tune_baseline,
)
from meta_course.tasks.envs.bandits import BanditTasks, BernoulliBandits


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    """Small tensor ops: one thread is faster than two contended ones (and restores the setting)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)



def _tasks(k, n, count, seed):
    return BernoulliBandits(k=k, n=n).sample_tasks(count, torch.Generator().manual_seed(seed))


def _ci(x):
    x = x.double()
    return x.mean().item(), 1.96 * x.std().item() / math.sqrt(x.numel())


def _brute_force_bayes_value(k, n):
    """Independent reference: the same Bellman equation on ORDERED per-arm states (no symmetry)."""

    @functools.lru_cache(maxsize=None)
    def v(state):
        if sum(a + b for a, b in state) == n:
            return 0.0
        best = -1.0
        for i, (a, b) in enumerate(state):
            p = (a + 1) / (a + b + 2)
            win = state[:i] + ((a + 1, b),) + state[i + 1:]
            lose = state[:i] + ((a, b + 1),) + state[i + 1:]
            best = max(best, p * (1 + v(win)) + (1 - p) * v(lose))
        return best

    return v(((0, 0),) * k)


def test_bayes_optimal_value_hand_computed():
    # n=1: any arm, 1/2. n=2, k=2: pull A; on success stay (2/3), on failure switch (1/2).
    assert bayes_optimal_value(2, 1) == pytest.approx(0.5)
    assert bayes_optimal_value(2, 2) == pytest.approx(0.5 * (1 + 2 / 3) + 0.5 * 0.5)


@pytest.mark.parametrize("k, n", [(2, 6), (3, 5), (4, 4)])
def test_multiset_dp_matches_the_ordered_state_dp(k, n):
    assert bayes_optimal_value(k, n) == pytest.approx(_brute_force_bayes_value(k, n), abs=1e-12)


def test_bayes_optimal_policy_achieves_its_exact_value_in_simulation():
    k, n = 5, 10
    exact = bayes_optimal_value(k, n)
    mean, ci = _ci(run_policy(BayesOptimal(), _tasks(k, n, 3000, 0), n, seed=1).total_reward)
    assert abs(mean - exact) < ci, (mean, ci, exact)
    # No policy beats it in expectation; greedy's Monte Carlo mean is below the exact value + CI
    g_mean, g_ci = _ci(run_policy(greedy, _tasks(k, n, 3000, 0), n, seed=1).total_reward)
    assert g_mean < exact + g_ci


def test_gittins_index_hand_computed_and_monotone():
    G = finite_horizon_gittins_index(12)
    s = torch.arange(6).view(-1, 1).float()
    f = torch.arange(6).view(1, -1).float()
    assert torch.allclose(G[:6, :6, 1], (s + 1) / (s + f + 2), atol=1e-6)   # one pull left: posterior mean
    # two pulls left from Beta(1,1): pull = 1/2(1 + max(λ, 2/3)) + 1/2 max(λ, 1/3) = 2λ at λ = 5/9
    assert G[0, 0, 2].item() == pytest.approx(5 / 9, abs=1e-3)
    assert (G[0, 0, 2:12] >= G[0, 0, 1:11] - 1e-4).all()                     # value of information grows with h
    assert (G[1:5, 0, 5] > G[0:4, 0, 5]).all() and (G[0, 1:5, 5] < G[0, 0:4, 5]).all()


def test_gittins_policy_is_near_bayes_optimal_at_n10():
    k, n = 5, 10
    exact = bayes_optimal_value(k, n)
    mean, ci = _ci(run_policy(FiniteHorizonGittins(), _tasks(k, n, 3000, 0), n, seed=1).total_reward)
    assert mean > 0.98 * exact - ci


def test_random_policy_gets_half_the_pulls():
    for n in (10, 100):
        mean, ci = _ci(run_policy(random_policy, _tasks(5, n, 2000, 3), n, seed=4).total_reward)
        assert abs(mean - n / 2) < ci


def test_baselines_beat_random_in_a_paired_comparison():
    k, n = 5, 30
    tasks = _tasks(k, n, 2000, 5)
    rand = run_policy(random_policy, tasks, n, seed=6).total_reward
    for name in ("greedy", "epsilon_greedy", "ucb1", "ucb1_classic", "thompson", "gittins"):
        diff, ci = _ci(run_policy(make_baseline(name), tasks, n, seed=6).total_reward - rand)
        assert diff - ci > 0, name


def test_ucb1_classic_tries_every_arm_once_first():
    tasks = _tasks(6, 12, 50, 7)
    first = run_policy(UCB1(), tasks, 12, seed=0).actions[:, :6]
    assert (first.sort(dim=1).values == torch.arange(6)).all()


def test_thompson_is_deterministic_under_the_generator_and_leaves_the_global_rng_alone():
    s, f = torch.tensor([[3.0, 0.0, 1.0]]).repeat(100, 1), torch.tensor([[0.0, 3.0, 1.0]]).repeat(100, 1)
    state = torch.get_rng_state()
    a = thompson(s, f, 5, 10, torch.Generator().manual_seed(0))
    assert torch.equal(state, torch.get_rng_state())
    assert torch.equal(a, thompson(s, f, 5, 10, torch.Generator().manual_seed(0)))
    # P(θ_0 largest) for Beta(4,1), Beta(1,4), Beta(2,2) is high; arm 1 is rarely chosen
    counts = torch.bincount(a, minlength=3)
    assert counts[0] > 60 and counts[1] < 10


def test_posterior_params_hand_case():
    actions = torch.tensor([[0, 1, 0]])
    rewards = torch.tensor([[1.0, 0.0, 0.0]])
    alpha, beta = posterior_params(actions, rewards, 2)
    assert alpha[0].tolist() == [[2, 1], [2, 1], [2, 1]]
    assert beta[0].tolist() == [[1, 1], [1, 2], [2, 2]]


def test_tuning_picks_a_grid_value_and_bad_names_raise():
    h = tune_baseline("ucb1", _tasks(5, 20, 300, 8), n=20, seed=0)
    assert set(h) == {"c"} and 0 <= h["c"] <= 1
    assert tune_baseline("thompson", _tasks(5, 20, 10, 8), n=20) == {}
    with pytest.raises(ValueError, match="unknown baseline 'ucb2'"):
        make_baseline("ucb2")
    with pytest.raises(ValueError, match="epsilon=1.5"):
        make_baseline("epsilon_greedy", epsilon=1.5)
    with pytest.raises(ValueError, match="n=0"):
        run_policy(greedy, BanditTasks(p=torch.rand(3, 2)), n=0)
