"""The committed memory-augmented checkpoints beat their LSTM baselines on held-out data (paired, CI-based).

Each comparison uses the same held-out episodes or sequences for both learners and asserts that the lower end
of the 95% confidence interval of the paired difference clears a margin, so it cannot pass by chance.
"""

from __future__ import annotations

import os

import pytest
import torch

from meta_course.bench.memory import copy_errors, mann_accuracies
from meta_course.checkpoints import checkpoint_path
from meta_course.evaluate import mean_ci95
from meta_course.learners.base import load_learner
from meta_course.recipes import get_recipe

needs_data = pytest.mark.skipif(not os.environ.get("META_COURSE_DATA"), reason="needs the Omniglot files")


def load(name):
    return load_learner(checkpoint_path(name)).eval()


@pytest.mark.parametrize("name", ["mann_omniglot", "lstm_omniglot", "ntm_copy", "dnc_copy", "lstm_copy"])
def test_checkpoints_are_small_and_match_their_recipes(name):
    path = checkpoint_path(name)
    assert path.stat().st_size <= 2 * 2 ** 20
    ckpt = torch.load(path, map_location="cpu", weights_only=True)
    recipe = get_recipe(name)
    assert ckpt["name"] == recipe.learner and ckpt["config"] == recipe.config


@needs_data
def test_mann_beats_the_lstm_on_held_out_alphabets():
    torch.set_num_threads(1)
    acc = mann_accuracies({"mann": load("mann_omniglot"), "lstm": load("lstm_omniglot")}, episodes=300, seed=7)
    diff = acc["mann"] - acc["lstm"]
    for j in (1, 5):                                   # 2nd and 10th instance
        mean, ci = mean_ci95(diff[:, j])
        assert mean - ci > 0.1, (j, mean, ci)
    assert mean_ci95(acc["mann"][:, 1])[0] > 0.6         # most second sights right after one example


@pytest.mark.parametrize("name", ["ntm", "dnc"])
def test_memory_networks_generalise_beyond_the_training_lengths(name):
    torch.set_num_threads(1)
    longest = get_recipe(f"{name}_copy").task_args["max_length"]
    assert longest == get_recipe("lstm_copy").task_args["max_length"]      # the same training lengths
    learners = {name: load(f"{name}_copy"), "lstm": load("lstm_copy")}
    errors = copy_errors(learners, [longest, 2 * longest], sequences=100, seed=11)
    assert mean_ci95(errors[name, longest])[0] < 0.5, name                   # the bar at the longest length
    mean, ci = mean_ci95(errors["lstm", 2 * longest] - errors[name, 2 * longest])
    assert mean - ci > 5.0, (name, mean, ci)                                 # paired: far fewer wrong bits at 2×
