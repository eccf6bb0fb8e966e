"""Shared check of a committed checkpoint: it is its recipe's whole run, loads as the recipe's learner with the
recipe's config, and is small enough to commit."""

from __future__ import annotations

import torch

from meta_course.checkpoints import checkpoint_path
from meta_course.learners import load_learner
from meta_course.recipes import get_recipe


def assert_recipe_checkpoint(name: str, max_bytes: int = 2 * 2 ** 20):
    """Assert the above for checkpoint ``name``; return ``(learner, saved dict)`` for further checks."""
    path = checkpoint_path(name)
    assert path.stat().st_size <= max_bytes, f"{path} is {path.stat().st_size} bytes (at most {max_bytes})"
    ck = torch.load(path, weights_only=False)
    recipe = get_recipe(name)
    assert ck["recipe"] == name and ck["history"]["step"][-1] == recipe.steps
    learner = load_learner(path)
    assert learner.name == recipe.learner
    assert {k: v for k, v in ck["config"].items() if k in recipe.config} == recipe.config
    return learner, ck
