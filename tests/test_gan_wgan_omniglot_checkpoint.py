"""The committed jointly trained WGAN-GP on Omniglot (``wgan_gp_omniglot``, the fine-tuning baseline of
``bench generation`` and lesson 14): its recipe's run, small, and trained — its drawings are closer to real
drawings of held-out characters than its untrained start's (paired CI)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

from meta_course.checkpoints import checkpoint_path
from meta_course.evaluate import mean_ci95
from meta_course.learners import load_learner
from meta_course.learners.generative.wgan_gp import WGANGP
from meta_course.recipes import build

from _checkpoints import assert_recipe_checkpoint

NAME = "wgan_gp_omniglot"
DATA = Path(os.environ.get("META_COURSE_DATA") or Path(__file__).resolve().parents[2] / "shared" / "data" / "omniglot")

pytestmark = pytest.mark.usefixtures("one_thread")  # small networks: one thread (tests/conftest.py)


def test_checkpoint_is_its_recipe_and_small():
    learner, ck = assert_recipe_checkpoint(NAME)
    assert type(learner) is WGANGP and learner.config == ck["config"]


def test_trained_generator_is_closer_to_held_out_drawings_than_its_untrained_start():
    """Energy distance (pixels) between 64 generated drawings and 64 real drawings of random held-out Sanskrit
    characters (``minimal``'s test part, never seen in training), 20 batches, paired per batch."""
    from meta_course.tasks.drawings import CharacterTasks

    if not (DATA / "images_background_small1.zip").exists():
        pytest.skip("offline Omniglot copies not found")
    tasks = CharacterTasks("minimal", "test", n_drawings=64, pooled=True, root=DATA).sample(
        torch.Generator().manual_seed(2026), 20)
    trained = load_learner(checkpoint_path(NAME)).eval()
    untrained = build(NAME, seed=0)[0].eval()
    mean, ci = mean_ci95(untrained.score(tasks) - trained.score(tasks))
    assert mean - ci > 0, (mean, ci)
