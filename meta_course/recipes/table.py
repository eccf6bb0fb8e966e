"""The recipe table: every named set-up of every family, merged from the family modules. The ONE place
a family's recipes are listed.

Each family module (``sine``, ``optimisation``, ``metric``, ...) defines ``RECIPES: dict[str, Recipe]``
and may define ``RUNS_METHODS: dict[str, RunsMethod]`` (learners scored on Lake's one-shot runs). To add
a family: write ``recipes/<family>.py`` and add it to :data:`FAMILIES`. A name defined twice is an error.
"""

from __future__ import annotations

# one import and one line in FAMILIES per family (keeps merges of new families conflict-free)
from . import sine
from . import optimisation
from . import metric
from . import memory
from . import rl
from . import gan
from . import applications
from . import fullsize
from .base import Recipe, RunsMethod

FAMILIES = (
    sine,
    optimisation,
    metric,
    memory,
    rl,
    gan,
    applications,
    fullsize,
)


def _merge(attr: str) -> dict:
    merged: dict = {}
    for family in FAMILIES:
        for name, value in getattr(family, attr, {}).items():
            if name in merged:
                raise ValueError(f"{attr[:-1].lower()} {name!r} is defined twice ({family.__name__} and an earlier "
                                 "family module): rename one.")
            merged[name] = value
    return merged


RECIPES: dict[str, Recipe] = _merge("RECIPES")
RUNS_METHODS: dict[str, RunsMethod] = _merge("RUNS_METHODS")
