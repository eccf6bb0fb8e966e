"""The benchmark table: ``python -m meta_course bench NAME``. The ONE place a benchmark is registered.

A benchmark module defines ``HELP``, ``add_arguments(parser)`` and ``run(args) -> dict``: ``run`` prints
its table and returns the JSON-able report (``{"rows": [...], ...}``) that ``--json PATH`` writes.
"""

from __future__ import annotations

from types import ModuleType

# one import and one table line per benchmark (keeps merges of new families conflict-free)
from . import sine
from . import omniglot
from . import omniglot_data
from . import metagrad
from . import optimisers
from . import runs
from . import gp
from . import bandits
from . import navigation
from . import memory
from . import ring
from . import generation
from . import metagan
from . import recommendation
from . import scaling

BENCHES: dict[str, ModuleType] = {
    "sine": sine,
    "omniglot": omniglot,
    "omniglot-data": omniglot_data,
    "metagrad": metagrad,
    "optimisers": optimisers,
    "runs": runs,
    "gp": gp,
    "bandits": bandits,
    "navigation": navigation,
    "mann": memory.mann,
    "copy": memory.copy,
    "ring": ring,
    "generation": generation,
    "metagan": metagan,
    "recommendation": recommendation,
    "scaling": scaling,
}
