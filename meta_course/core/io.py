"""Saving files so that an interrupted write never leaves a half-written one, and locking an output so that
two runs never write the same one."""

from __future__ import annotations

import os
import tempfile
import time
import warnings
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import torch

try:  # POSIX: an OS lock (flock), released by the OS when its holder exits, even when killed
    import fcntl
except ImportError:  # pragma: no cover - Windows: the lock file itself is the lock (see exclusive_lock)
    fcntl = None


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
    runs on one ``--out`` would otherwise resume and overwrite each other's state). With ``fcntl`` (Linux,
    macOS) the lock is an OS ``flock``: it is released when the holder exits, even when killed, so a stale
    ``.lock`` file never blocks. Without it (Windows) the lock file itself is the lock: created with
    ``O_CREAT | O_EXCL`` (atomic: one creator wins) and removed on exit; a file left by a run that was killed
    is recognised as stale — its PID is no longer running — and taken over with a one-line warning.

    Example:
        >>> import tempfile
        >>> with exclusive_lock(Path(tempfile.mkdtemp()) / "run.pt") as lock:
        ...     lock.name
        'run.pt.lock'
    """
    lock = Path(f"{path}.lock")
    lock.parent.mkdir(parents=True, exist_ok=True)
    if fcntl is None:
        with _lock_file(path, lock):
            yield lock
        return
    while True:
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o666)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 32).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise _locked(path, holder, lock) from None
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


def _locked(path, holder: str, lock: Path) -> LockedError:
    return LockedError(f"{path} is in use by another run (pid {holder}; lock file {lock}): wait for it to "
                       "end or stop it, or pass another --out.")


# A lock file still empty after this long was left by a run killed between creating it and writing its PID.
EMPTY_LOCK_GRACE = 10.0
_HELD: set[str] = set()  # lock files this process holds (fallback path): our own PID in any other one is stale


@contextmanager
def _lock_file(path, lock: Path) -> Iterator[None]:
    """The lock without ``fcntl``: ``lock`` created exclusively and holding our PID; a stale one is taken over.

    Stale means: it names a PID that is not running (or ours, on a file this process does not hold: an earlier
    process had our PID), or it has stayed empty (its creator was killed before writing) for
    :data:`EMPTY_LOCK_GRACE` seconds. Before removing a stale file we check that it is still the
    file we judged (same inode, size and time), so a run that took it over in the meantime keeps its lock.
    """
    for _ in range(100):  # each pass either takes the lock, raises, or removes one stale file
        try:
            fd = os.open(lock, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        except FileExistsError:
            try:
                seen = os.stat(lock)
                holder = lock.read_text(errors="replace").strip()
            except FileNotFoundError:  # its holder just released it: try again
                continue
            pid = int(holder) if holder.isdigit() else None
            if pid is not None and pid != os.getpid() and pid_running(pid):
                raise _locked(path, pid, lock) from None
            if pid == os.getpid() and str(lock) in _HELD:  # a second lock on one output from this very process
                raise _locked(path, pid, lock) from None
            # else: our PID in a file we do not hold was left by an earlier process that had this PID: stale
            if pid is None and not holder and time.time() - seen.st_mtime < EMPTY_LOCK_GRACE:
                raise _locked(path, "unknown: the lock file is being written", lock) from None
            try:
                now = os.stat(lock)
                if (now.st_ino, now.st_size, now.st_mtime_ns) != (seen.st_ino, seen.st_size, seen.st_mtime_ns):
                    continue  # another run replaced it meanwhile: judge the new one
                os.unlink(lock)
            except FileNotFoundError:
                continue
            warnings.warn(f"removed the stale lock file {lock} of a run that is no longer running "
                          f"(pid {holder or 'unknown'})", RuntimeWarning, stacklevel=4)
            continue
        try:
            os.write(fd, str(os.getpid()).encode())
        finally:
            os.close(fd)
        _HELD.add(str(lock))
        break
    else:  # pragma: no cover - only if other processes keep recreating stale files
        raise LockedError(f"could not take the lock file {lock} of {path}: delete it if no run is using {path}.")
    try:
        yield
    finally:
        _HELD.discard(str(lock))
        try:
            os.unlink(lock)
        except FileNotFoundError:
            pass


def pid_running(pid: int) -> bool:
    """Whether a process with this PID is running on this machine (Windows: ``OpenProcess``; POSIX: signal 0).

    (On Windows ``os.kill(pid, 0)`` would send Ctrl-C, so it is not used there.)
    """
    if pid <= 0:
        return False
    if os.name == "nt":  # pragma: no cover - exercised on Windows only
        import ctypes

        kernel32 = ctypes.windll.kernel32
        handle = kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
        if not handle:
            return kernel32.GetLastError() == 5  # ERROR_ACCESS_DENIED: it exists, owned by someone else
        try:
            code = ctypes.c_ulong()
            return bool(kernel32.GetExitCodeProcess(handle, ctypes.byref(code))) and code.value == 259  # STILL_ACTIVE
        finally:
            kernel32.CloseHandle(handle)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, owned by another user
        return True
    return True
