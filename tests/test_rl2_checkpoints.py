"""The committed RL² agents: each beats its untrained start and random on held-out bandits (paired
95% CIs over the same tasks and reward draws), fits in 2 MB, and rebuilds from its recipe."""

import math

import pytest
import torch

from meta_course.checkpoints import checkpoint_path
from meta_course.learners import load_learner
from meta_course.learners.rl.bandit_baselines import random_policy, run_policy
from meta_course.recipes import build
from meta_course.tasks.envs.bandits import BernoulliBandits

SETTINGS = [(5, 10), (10, 10), (5, 100), (10, 100)]


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def _paired(a, b):
    d = (a - b).double()
    return d.mean().item(), 1.96 * d.std().item() / math.sqrt(d.numel())


@pytest.mark.parametrize("k, n", SETTINGS)
def test_trained_rl2_beats_its_untrained_start_and_random(k, n):
    name = f"rl2_bandits_k{k}_n{n}"
    path = checkpoint_path(name)
    assert path.stat().st_size <= 2_000_000
    agent = load_learner(path)
    untrained, _ = build(name)                     # the recipe's initialisation (seed 0)
    assert agent.config == untrained.config
    trials = 1000 if n == 10 else 300
    tasks = BernoulliBandits(k=k, n=n).sample_tasks(trials, torch.Generator().manual_seed(12345))
    trained = agent.score(tasks, seed=7)
    for label, other in (("untrained", untrained.score(tasks, seed=7)),
                         ("random", run_policy(random_policy, tasks, n, seed=7).total_reward)):
        diff, ci = _paired(trained, other)
        assert diff - ci > 0, f"{name} vs {label}: {diff:.3f} ± {ci:.3f}"


@pytest.mark.parametrize("k", [5, 10])
def test_the_second_stage_of_n100_beats_the_first(k):
    """rl2_bandits_k{k}_n100 continues rl2_bandits_k{k}_n100_stage1 (init_from): it must be better (paired)."""
    name = f"rl2_bandits_k{k}_n100"
    stage2, stage1 = (load_learner(checkpoint_path(n)) for n in (name, f"{name}_stage1"))
    assert stage2.config["init_from"] == f"{name}_stage1"
    assert checkpoint_path(f"{name}_stage1").stat().st_size <= 2_000_000
    tasks = BernoulliBandits(k=k, n=100).sample_tasks(1000, torch.Generator().manual_seed(12345))
    diff, ci = _paired(stage2.score(tasks, seed=7), stage1.score(tasks, seed=7))
    assert diff - ci > 0, f"stage 2 − stage 1: {diff:.3f} ± {ci:.3f}"
