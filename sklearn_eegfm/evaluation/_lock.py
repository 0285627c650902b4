"""An exclusive lock on an output file or folder, naming its holder to others.

The lock is an OS file lock (``flock``; a byte-range lock on Windows): the kernel drops
it when the holding process dies, even by ``kill -9``, so the lock file a dead run
leaves behind is simply taken over.
"""

from __future__ import annotations

import json
import os
import socket
import sys
import time
from pathlib import Path

LOCK_SUFFIX = ".lock"
FOLDER_LOCK = ".sklearn-eegfm.lock"


class RunLockedError(RuntimeError):
    """Another live process is writing results to the same place."""


def _describe_holder(path):
    try:
        holder = json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return "another process"
    return (
        f"process {holder.get('pid')} on {holder.get('host')}, started "
        f"{holder.get('started')} ({holder.get('command')})"
    )


class RunLock:
    """An exclusive lock on ``<target>.lock``, held by this process until released.

    The lock is an OS file lock (``flock``): the kernel releases it when the holding
    process dies, even by ``kill -9``, so a stale lock file is simply taken over.

    Parameters
    ----------
    target : str | Path
        The file or folder to protect.
    folder : bool
        Lock a whole folder (``<target>/.sklearn-eegfm.lock``), not one file.
    """

    _handle = None

    def __init__(self, target, *, folder=False):
        target = Path(target)
        self.path = (target / FOLDER_LOCK) if folder else Path(f"{target}{LOCK_SUFFIX}")

    def acquire(self):
        """Take the lock or raise :class:`RunLockedError` naming its holder.

        Returns
        -------
        self : RunLock
            The held lock.
        """
        self.path.parent.mkdir(parents=True, exist_ok=True)
        for _ in range(5):
            handle = open(self.path, "a+")  # noqa: SIM115  (held until release)
            if not _try_lock(handle):
                handle.close()
                raise RunLockedError(
                    f"{self.path.parent} is in use by {_describe_holder(self.path)}. Wait "
                    "for it to finish or choose another output folder; two runs writing "
                    "into one folder would mix or overwrite each other's results."
                )
            # The file may have been unlinked by its last holder between open and lock.
            try:
                same = os.fstat(handle.fileno()).st_ino == os.stat(self.path).st_ino
            except FileNotFoundError:
                same = False
            if same:
                break
            handle.close()
        else:  # pragma: no cover - only under heavy contention
            raise RunLockedError(f"Could not lock {self.path}; retry.")
        handle.seek(0)
        handle.truncate()
        json.dump(
            {
                "pid": os.getpid(),
                "host": socket.gethostname(),
                "started": time.strftime("%Y-%m-%d %H:%M:%S"),
                "command": " ".join(sys.argv)[:200],
            },
            handle,
        )
        handle.flush()
        self._handle = handle
        return self

    def release(self):
        """Release the lock (idempotent)."""
        if self._handle is None:
            return
        try:
            self.path.unlink(missing_ok=True)
        finally:
            self._handle.close()  # closing the descriptor drops the flock
            self._handle = None

    def __enter__(self):
        return self.acquire()

    def __exit__(self, *exc):
        self.release()

    def __del__(self):
        self.release()


def _try_lock(handle):
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: byte-range lock on the first byte
        import msvcrt

        try:
            handle.seek(0)
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


# ----------------------------------------------------------------------------- run
def lock_folder(folder):
    """Lock an output folder for this process (see :class:`RunLock`).

    Parameters
    ----------
    folder : str | Path
        The folder (created if absent).

    Returns
    -------
    lock : RunLock
        Not yet acquired: use it as a context manager.
    """
    return RunLock(folder, folder=True)
