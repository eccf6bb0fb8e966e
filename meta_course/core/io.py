"""Saving files so that an interrupted write never leaves a half-written one, and locking an output so that
two runs never write the same one."""

from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

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


class LockedError(RuntimeError):
    """Another process holds the lock of a path (:func:`exclusive_lock`)."""


@contextmanager
def exclusive_lock(path) -> Iterator[Path]:
    """Hold an exclusive lock on ``path`` — the file ``PATH.lock`` beside it, holding our PID — while inside.

    A second run on the same output fails at once with :class:`LockedError` naming the holder's PID (two
    runs on one ``--out`` would otherwise resume and overwrite each other's state). The lock is an OS
    ``flock``: it is released when the holder exits, even when killed, so a stale ``.lock`` file never blocks.
    (Without ``fcntl``, i.e. on Windows, nothing is locked.)

    Example:
        >>> import tempfile
        >>> with exclusive_lock(Path(tempfile.mkdtemp()) / "run.pt") as lock:
        ...     lock.name
        'run.pt.lock'
    """
    lock = Path(f"{path}.lock")
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield lock
        return
    lock.parent.mkdir(parents=True, exist_ok=True)
    while True:
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o666)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 32).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise LockedError(f"{path} is in use by another run (pid {holder}; lock file {lock}): wait for it to "
                              "end or stop it, or pass another --out.") from None
        try:  # the previous holder may have removed the file between our open and flock: lock the new one
            if os.fstat(fd).st_ino == os.stat(lock).st_ino:
                break
        except FileNotFoundError:
            pass
        os.close(fd)
    os.ftruncate(fd, 0)
    os.write(fd, str(os.getpid()).encode())
    try:
        yield lock
    finally:
        try:
            os.unlink(lock)
        except FileNotFoundError:
            pass
        os.close(fd)
