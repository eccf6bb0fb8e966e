"""Named training set-ups: one place for every setting, so no value is written twice.

A :class:`Recipe` names a learner, its config, the task family and the training settings; each family
lists its recipes (and their lab notes) in ``recipes/<family>.py``, merged in :mod:`.table`. The CLI
(``python -m meta_course train RECIPE``), the benchmarks (``bench sine --retrain``) and the lessons all
build from here, and each committed checkpoint ``meta_course/checkpoints/RECIPE.pt`` is reproduced by
``python -m meta_course train RECIPE``.
"""

from __future__ import annotations

from contextlib import nullcontext
from pathlib import Path

import torch

from ..checkpoints import checkpoint_path
from ..core.checks import check_choice, check_int
from ..core.distributed import world
from ..core.io import exclusive_lock
from ..learners.base import load_learner, read_checkpoint, save_learner
from ..learners.table import LEARNERS
from ..tasks.lake_runs import BASELINES, learner_scorer
from ..tasks.table import TASKS, task_sampler
from ..train import train as train_loop
from .base import Recipe, RunsMethod
from .table import RECIPES, RUNS_METHODS


def get_recipe(name: str) -> Recipe:
    """The recipe called ``name`` (a clear error lists the others)."""
    check_choice("recipe", name, sorted(RECIPES), "Run `python -m meta_course train --list` to see them.")
    return RECIPES[name]


def build(name: str, seed: int = 0, learner_class=None, task_args: dict | None = None, **config_overrides):
    """A fresh learner (initialised from ``seed``) and its task sampler for recipe ``name``.

    ``learner_class`` replaces the recipe's learner class with another one taking the same config (lesson
    04 trains its buggy MAMLs on ``maml_sine`` this way); ``config_overrides`` replace config entries and
    ``task_args`` entries of the task sampler's arguments (e.g. ``{"n_way": 5}`` or a data ``root``).

    Example:
        >>> learner, sample = build("maml_sine")
        >>> learner.name, sample(__import__("torch").Generator().manual_seed(0), 2).x_support.shape
        ('maml', torch.Size([2, 10, 1]))
    """
    recipe = get_recipe(name)
    torch.manual_seed(seed)
    cls = LEARNERS[recipe.learner] if learner_class is None else learner_class
    learner = cls(**{**recipe.config, **config_overrides})
    return learner, task_sampler(recipe.task, **{**recipe.task_args, **(task_args or {})})




def train_recipe(name: str, *, steps: int | None = None, seed: int | None = None, out=None, checkpoint=None,
                 checkpoint_every: int = 1000, device=None, threads: int | None = None, progress: bool = True,
                 eval_tasks=None, eval_every: int = 1000, log_every: int = 100, callback=None, learner_class=None,
                 restart: bool = False, meta_batch_size: int | None = None, task_args: dict | None = None,
                 **config_overrides):
    """Meta-train recipe ``name`` with every one of its settings — the one way to train a recipe (the CLI's
    ``train``, the lessons' ``TRAIN = True``, the pitfalls and ``bench --retrain`` all call it).

    Args:
        steps: outer steps (default: the recipe's); a run resumed from ``checkpoint`` continues up to it.
        seed: default: the recipe's.
        out: write the trained learner there (with its history, recipe and seed), e.g. ``runs/NAME.pt``.
        checkpoint: resumable training state (resumed when it exists and holds this very run: same recipe,
            config, seed and task settings; a larger ``steps`` continues it).
        restart: start afresh even if ``checkpoint`` exists.
        meta_batch_size: tasks per outer step (default: the recipe's), e.g. to split it over several processes.
        task_args: replace entries of the recipe's task arguments (recorded in the run's identity).
        threads: ``torch.set_num_threads`` (one thread reproduces the recipe's measured time).
        eval_tasks, eval_every: held-out tasks scored during training with the recipe's ``eval_knobs``.
        learner_class, **config_overrides: as :func:`build` (e.g. ``inner_lr=0.01``).

    Returns:
        ``(learner, history)``; the learner is on ``device``.

    Example:
        >>> learner, history = train_recipe("maml_sine", steps=5, progress=False, device="cpu")
        >>> learner.name, len(history.loss)
        ('maml', 1)
    """
    recipe = get_recipe(name)
    seed = recipe.seed if seed is None else seed
    if threads is not None:
        torch.set_num_threads(check_int("threads", threads, 1, 1024, "Use e.g. --threads 1."))
    learner, sample = build(name, seed=seed, learner_class=learner_class, task_args=task_args, **config_overrides)
    rank, world_size = world()
    writes = out is not None and rank == 0  # under torch.distributed, rank 0 alone writes
    with exclusive_lock(out) if writes else nullcontext():  # a second run on this output fails at once
        history = train_loop(learner, sample, recipe.steps if steps is None else steps,
                        meta_batch_size=recipe.meta_batch_size if meta_batch_size is None else meta_batch_size, outer_lr=recipe.outer_lr, seed=seed,
                        checkpoint=checkpoint, checkpoint_every=checkpoint_every, clip_grad_norm=recipe.clip_grad_norm,
                        eval_tasks=eval_tasks, eval_every=eval_every, eval_knobs=recipe.eval_knobs, log_every=log_every,
                        device=device, progress=progress, callback=callback, restart=restart,
                        run={"recipe": name, "task": recipe.task, "task_args": {**recipe.task_args, **(task_args or {})}},
                        mixed_precision=recipe.mixed_precision)
        if writes:
            device_of = next(iter(learner.parameters()), torch.empty(0)).device
            save_learner(learner.cpu(), out, history=history.as_dict(), recipe=name, seed=seed, world_size=world_size)
            learner.to(device_of)
    return learner, history


def load_or_train(name: str, train: bool = False, device=None, **train_kwargs):
    """The learner of recipe ``name``: its committed checkpoint, or (``train=True``) a fresh run of the recipe
    (:func:`train_recipe`, resumable from ``NAME.state.pt`` in the working folder unless ``checkpoint`` is given).

    Example:
        >>> load_or_train("maml_sine").name
        'maml'
    """
    if not train:
        return load_learner(checkpoint_path(name), device=device)
    train_kwargs.setdefault("checkpoint", f"{name}.state.pt")
    learner, _ = train_recipe(name, device=device, **train_kwargs)
    return learner

def runs_methods() -> dict[str, str]:
    """Every method of ``python -m meta_course runs``: the baselines and the recipes' learner methods → help."""
    methods = {name: help_ for name, (_, help_) in BASELINES.items()}
    methods.update({name: m.help or f"{name} learner (checkpoint {m.recipe}.pt)" for name, m in RUNS_METHODS.items()})
    return dict(sorted(methods.items()))


def get_runs_method(name: str, checkpoint=None, device=None):
    """The ``score_fn`` of a runs method (see :mod:`meta_course.tasks.lake_runs`).

    A learner method loads ``meta_course/checkpoints/RECIPE.pt`` (or ``checkpoint``: a file, or the name of
    a committed checkpoint) and adapts it with the method's knobs; a baseline needs no checkpoint.
    """
    check_choice("method", name, list(runs_methods()), "List them with `python -m meta_course runs --list`.")
    if name in BASELINES:
        return BASELINES[name][0](checkpoint=checkpoint, device=device)
    method = RUNS_METHODS[name]
    path = Path(checkpoint) if checkpoint is not None else checkpoint_path(method.recipe)
    if checkpoint is not None and not path.exists() and not path.suffix:
        path = checkpoint_path(str(checkpoint))  # a committed checkpoint's name
    learner = load_learner(path, device=device)
    wanted = RECIPES.get(method.recipe)  # a learner of another kind or task would fail later with a raw error
    trained_with = read_checkpoint(path).get("recipe")
    if wanted is not None and (learner.name != wanted.learner or
                               (trained_with in RECIPES and RECIPES[trained_with].task != wanted.task)):
        what = f"a {learner.name} learner" + (f" of recipe {trained_with}" if trained_with else "")
        fits = [m for m, r in RUNS_METHODS.items() if r.recipe in RECIPES and RECIPES[r.recipe].learner == learner.name]
        raise ValueError(f"--method {name} scores the {wanted.learner} learner of recipe {method.recipe} ({wanted.task} "
                         f"tasks); {path} holds {what}: pass a checkpoint of that kind"
                         + (f", or --method {' / '.join(fits)} for this one." if fits else "."))
    learner.eval()
    return learner_scorer(learner, size=method.size, **method.knobs)


__all__ = ["RECIPES", "RUNS_METHODS", "Recipe", "RunsMethod", "TASKS", "build", "get_recipe", "get_runs_method",
           "load_or_train", "runs_methods", "task_sampler", "train_recipe"]
