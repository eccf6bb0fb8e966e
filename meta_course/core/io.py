"""Saving files so that an interrupted write never leaves a half-written one."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import torch


def atomic_save(obj, path) -> Path:
    """``torch.save(obj)`` to a uniquely named temporary file beside ``path``, then rename it into place.

    The rename is atomic: a reader (or a resumed run) sees the old file or the new one, never half of one,
    and two processes writing the same path do not clobber each other's temporary file. The one atomic
    save of the package (checkpoints, learners, the Omniglot cache).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    os.close(fd)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # mkstemp's 0600 would make a shared checkpoint unreadable to others
    try:
        torch.save(obj, tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path
