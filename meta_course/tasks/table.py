"""The task table: every task family by name. The ONE place a task family is registered.

A family is a factory ``factory(**task_args) -> sample`` with ``sample(generator: torch.Generator,
n_tasks: int) -> batch``; the batch has ``.to(device)`` (an :class:`~meta_course.tasks.Episode`, or a
family's own NamedTuple/dataclass of tensors). A :class:`~meta_course.recipes.Recipe` names its family
and ``task_args``; :func:`task_sampler` builds the sampler.

To add a family: write its module in ``meta_course/tasks/`` and add one line here.
"""

from __future__ import annotations

from typing import Callable

from ..core.checks import check_choice
from .drawings import character_tasks
from .envs.bandits import bandit_tasks
from .envs.navigation import navigation_tasks
from .gp import gp_tasks
from .linear import linear_tasks, quadratic_tasks
from .omniglot.augment import omniglot_affine
from .omniglot.classes import omniglot_classes
from .omniglot.episodes import omniglot_tasks
from .ring import ring_tasks
from .sequences import associative_recall, copy_task, omniglot_sequences
from .recommendation import recommendation_tasks
from .sine import sine_tasks

TASKS: dict[str, Callable] = {
    "sine": sine_tasks,
    "gp": gp_tasks,
    "linear": linear_tasks,
    "quadratic": quadratic_tasks,
    "omniglot": omniglot_tasks,
    "omniglot_affine": omniglot_affine,
    "omniglot_classes": omniglot_classes,
    # memory family
    "omniglot_sequences": omniglot_sequences,
    "copy": copy_task,
    "associative_recall": associative_recall,
    # reinforcement-learning family
    "bandits": bandit_tasks,
    "navigation": navigation_tasks,
    # generative family
    "ring": ring_tasks,
    "omniglot_characters": character_tasks,
    # applications
    "recommendation": recommendation_tasks,
}


def task_sampler(task: str, **task_args):
    """``sample(generator, n_tasks) -> batch`` of the task family ``task``.

    Example:
        >>> import torch
        >>> task_sampler("sine", k_shot=5)(torch.Generator().manual_seed(0), 2).x_support.shape
        torch.Size([2, 5, 1])
    """
    check_choice("task", task, sorted(TASKS), "Known task families are listed in meta_course/tasks/table.py.")
    return TASKS[task](**task_args)
