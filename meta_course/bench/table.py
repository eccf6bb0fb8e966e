"""The benchmark table: ``python -m meta_course bench NAME``. The ONE place a benchmark is registered.

A benchmark module defines ``HELP``, ``add_arguments(parser)`` and ``run(args) -> dict``: ``run`` prints
its table and returns the JSON-able report (``{"rows": [...], ...}``) that ``--json PATH`` writes.
"""

from __future__ import annotations

from types import ModuleType

from . import memory, metagrad, omniglot, omniglot_data, optimisers, runs, sine

BENCHES: dict[str, ModuleType] = {
    "sine": sine,
    "omniglot": omniglot,
    "omniglot-data": omniglot_data,
    "metagrad": metagrad,
    "optimisers": optimisers,
    "runs": runs,
    "mann": memory.mann,
    "copy": memory.copy,
}
