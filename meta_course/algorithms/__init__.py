"""One short file per algorithm; each registers itself under the name the CLI and benchmarks use."""

import importlib
import pkgutil

from .base import LEARNERS, Learner, Predictor, load_learner, register_learner, save_learner


def _import_all() -> None:
    """Import every algorithm module so that each registers itself."""
    for info in pkgutil.iter_modules(__path__):
        if not info.name.startswith("_"):
            importlib.import_module(f"{__name__}.{info.name}")


_import_all()

__all__ = ["LEARNERS", "Learner", "Predictor", "load_learner", "register_learner", "save_learner"]
