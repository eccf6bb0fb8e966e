"""Task distributions. Every task family is a sampler ``sample(generator, n_tasks) -> batch`` whose batch
has ``.to(device)`` (usually an :class:`Episode`); :data:`meta_course.tasks.table.TASKS` names them.

Rooms: ``episode`` (Episode), ``table`` (TASKS), ``sine``, ``linear``, ``omniglot/`` (files, splits,
episodes, augment, classes, images), ``lake_runs`` (Lake's one-shot runs and their baselines).
"""

from .episode import Episode

__all__ = ["Episode"]
