"""Named training set-ups: one place for every setting, so no value is written twice.

A :class:`Recipe` names a learner, its config, the task family and the training settings; each family
lists its recipes (and their lab notes) in ``recipes/<family>.py``, merged in :mod:`.table`. The CLI
(``python -m meta_course train RECIPE``), the benchmarks (``bench sine --retrain``) and the lessons all
build from here, and each committed checkpoint ``meta_course/checkpoints/RECIPE.pt`` is reproduced by
``python -m meta_course train RECIPE``.
"""

from __future__ import annotations

import torch

from ..core.checks import check_choice
from ..learners.table import LEARNERS
from ..tasks.table import TASKS, task_sampler
from .base import Recipe, RunsMethod
from .table import RECIPES, RUNS_METHODS


def get_recipe(name: str) -> Recipe:
    """The recipe called ``name`` (a clear error lists the others)."""
    check_choice("recipe", name, sorted(RECIPES), "Run `python -m meta_course train --list` to see them.")
    return RECIPES[name]


def build(name: str, seed: int = 0, **config_overrides):
    """A fresh learner (initialised from ``seed``) and its task sampler for recipe ``name``.

    Example:
        >>> learner, sample = build("maml_sine")
        >>> learner.name, sample(__import__("torch").Generator().manual_seed(0), 2).x_support.shape
        ('maml', torch.Size([2, 10, 1]))
    """
    recipe = get_recipe(name)
    torch.manual_seed(seed)
    learner = LEARNERS[recipe.learner](**{**recipe.config, **config_overrides})
    return learner, task_sampler(recipe.task, **recipe.task_args)




def runs_methods() -> dict[str, str]:
    """Every method of ``python -m meta_course runs``: the baselines and the recipes' learner methods → help."""
    from ..tasks.lake_runs import BASELINES

    methods = {name: help_ for name, (_, help_) in BASELINES.items()}
    methods.update({name: m.help or f"{name} learner (checkpoint {m.recipe}.pt)" for name, m in RUNS_METHODS.items()})
    return dict(sorted(methods.items()))


def get_runs_method(name: str, checkpoint=None, device=None):
    """The ``score_fn`` of a runs method (see :mod:`meta_course.tasks.lake_runs`).

    A learner method loads ``meta_course/checkpoints/RECIPE.pt`` (or ``checkpoint``: a file, or the name of
    a committed checkpoint) and adapts it with the method's knobs; a baseline needs no checkpoint.
    """
    from pathlib import Path

    from ..checkpoints import checkpoint_path
    from ..learners.base import load_learner
    from ..tasks.lake_runs import BASELINES, learner_scorer

    check_choice("method", name, list(runs_methods()), "List them with `python -m meta_course runs --list`.")
    if name in BASELINES:
        return BASELINES[name][0](checkpoint=checkpoint, device=device)
    method = RUNS_METHODS[name]
    path = Path(checkpoint) if checkpoint is not None else checkpoint_path(method.recipe)
    if checkpoint is not None and not path.exists() and not path.suffix:
        path = checkpoint_path(str(checkpoint))  # a committed checkpoint's name
    learner = load_learner(path, device=device)
    learner.eval()
    return learner_scorer(learner, size=method.size, **method.knobs)


__all__ = ["RECIPES", "RUNS_METHODS", "Recipe", "RunsMethod", "TASKS", "build", "get_recipe", "get_runs_method",
           "runs_methods", "task_sampler"]
