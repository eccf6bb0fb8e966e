"""What a recipe is: :class:`Recipe` (a named training set-up) and :class:`RunsMethod` (a learner
scored on Lake's one-shot runs from a recipe's committed checkpoint)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Recipe:
    """What to train and how. ``task`` names a task family (:data:`meta_course.tasks.table.TASKS`) and
    ``task_args`` its sampler's arguments; ``learner`` a key of :data:`meta_course.learners.table.LEARNERS`
    and ``config`` its constructor's arguments."""

    learner: str
    config: dict
    task: str
    task_args: dict
    steps: int
    meta_batch_size: int = 25
    outer_lr: float = 1e-3
    #: knobs of ``learner.adapt`` / ``score`` every evaluation of this recipe uses (e.g. ``inner_steps``)
    eval_knobs: dict = field(default_factory=dict)
    note: str = ""
    #: meta-gradient norm clip (0: off), see :func:`meta_course.train.train`
    clip_grad_norm: float = 0.0
    #: seeds the initial weights and the task generator (``train --seed`` overrides it)
    seed: int = 0
    #: float16 autocast + gradient scaling on CUDA (ignored on cpu/mps), see :func:`meta_course.train.train`
    mixed_precision: bool = False

    #: sampler arguments of *held-out* tasks when they differ from ``task_args`` (None: the same family);
    #: e.g. PEARL trains on a fixed pool of 80 goals and is evaluated on fresh goals (``pool=0``)
    held_out_task_args: dict | None = None

    @property
    def eval_task_args(self) -> dict:
        """The sampler arguments ``evaluate`` draws held-out tasks with."""
        return self.task_args if self.held_out_task_args is None else self.held_out_task_args


@dataclass(frozen=True)
class RunsMethod:
    """``python -m meta_course runs --method NAME`` for a learner: the committed checkpoint of ``recipe``,
    adapted on each run's 20 training images with ``knobs`` (e.g. ``tta=8``, ``inner_steps=10``)."""

    recipe: str
    help: str = ""
    knobs: dict = field(default_factory=dict)
    size: int = 28
