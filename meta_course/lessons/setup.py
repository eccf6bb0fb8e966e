"""The notebook setup call: every lesson's setup cell is one call to :func:`setup`.

What it does — the same for every lesson, so no lesson restates it: seed every RNG a lesson draws from
(torch, Python's ``random``, NumPy), choose the device (CUDA, then Apple's MPS, then the CPU), read the
quick mode CI sets (``META_COURSE_QUICK=1``: fewer tasks, shorter runs), optionally pin torch to a number
of threads (timings per core), optionally point ``META_COURSE_DATA`` at the offline Omniglot copies beside
the project, and print one line saying what was chosen.
"""

from __future__ import annotations

import os
import random
from pathlib import Path
from typing import NamedTuple

import numpy as np
import torch

from ..core.checks import check_int
from ..core.device import default_device

#: where the course's CI keeps the offline Omniglot copies, relative to the notebooks folder
LOCAL_DATA = Path("../../shared/data/omniglot")


class Setup(NamedTuple):
    """What a lesson needs from its setup cell: ``device, QUICK = setup()``."""

    device: torch.device
    quick: bool


def setup(seed: int = 0, threads: int | None = None, data: bool = False, verbose: bool = True) -> Setup:
    """Seed everything, pick the device, read the quick mode; see the module docstring.

    Args:
        seed: seeds torch, ``random`` and NumPy.
        threads: ``torch.set_num_threads`` (lessons that time things use 1: per-core figures).
        data: set ``META_COURSE_DATA`` to the offline Omniglot copies beside the project when present
            (elsewhere the files are downloaded, md5-checked, on first use).
        verbose: print what was chosen.

    Example:
        >>> device, quick = setup(seed=0, verbose=False)
        >>> device.type in {"cuda", "mps", "cpu"}
        True
    """
    check_int("seed", seed, 0, 2**63 - 1, "Any non-negative integer.")
    if data and "META_COURSE_DATA" not in os.environ and (LOCAL_DATA / "images_background_small1.zip").exists():
        os.environ["META_COURSE_DATA"] = str(LOCAL_DATA.resolve())
    torch.manual_seed(seed)
    random.seed(seed)
    np.random.seed(seed)
    if threads is not None:
        torch.set_num_threads(check_int("threads", threads, 1, 1024, "Use e.g. 1 for per-core timings."))
    device = default_device()
    quick = os.environ.get("META_COURSE_QUICK") == "1"
    if verbose:
        where = f" | data: {os.environ.get('META_COURSE_DATA', '~/.cache/meta_course')}" if data else ""
        print(f"device: {device} | quick mode: {quick} | torch {torch.__version__}"
              + (f" | {torch.get_num_threads()} thread(s)" if threads is not None else "") + where)
    return Setup(device, quick)
