"""Metric learners on real Omniglot: short seeded runs beat chance widely; checkpoints reproduce the lesson."""

import pytest
import torch

from meta_course import recipes
from meta_course.evaluate import evaluate
from meta_course.tasks.omniglot import OmniglotTasks
from meta_course.train import train

CHANCE = 0.2  # 5-way


@pytest.fixture(scope="module")
def held_out():
    return OmniglotTasks("minimal", "test", n_way=5, k_shot=1, q_query=5).sample(torch.Generator().manual_seed(7), 60)


@pytest.mark.parametrize("recipe", ["protonet_omniglot", "matching_omniglot", "siamese_omniglot"])
def test_short_training_beats_chance_widely(recipe, held_out):
    torch.manual_seed(0)
    learner, _ = recipes.build(recipe, seed=0)
    task_args = dict(recipes.get_recipe(recipe).task_args, part="train", n_way=5, q_query=3)
    sample = recipes.task_sampler("omniglot_affine", **task_args)
    train(learner, sample, steps=40, meta_batch_size=2, outer_lr=2e-3, seed=0, progress=False, device="cpu")
    result = evaluate(learner.eval(), held_out)
    assert result.mean - result.ci95 > CHANCE + 0.25, result
