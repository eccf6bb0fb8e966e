"""Learners: one short file per algorithm, grouped by family (``optimisation/``, ``metric/``, ...).

:mod:`.base` holds the interface (:class:`~.base.Learner`, :class:`~.base.Predictor`) and saving/loading;
:mod:`.table` is the one registry (``LEARNERS``). Importing this package loads neither the families nor
the table: ``from meta_course.learners.optimisation.maml import MAML`` imports MAML and what it needs.
"""

from .base import Learner, Predictor, load_learner, save_learner

__all__ = ["Learner", "Predictor", "load_learner", "save_learner"]
