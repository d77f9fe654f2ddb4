"""One training run at a time per run directory: an exclusive lock held for the run's whole life.

Two runs writing into the same ``--save_dir`` and config would interleave their log lines and metrics records
and prune each other's checkpoints. The first run takes ``<checkpoint dir>/.run.lock`` with ``flock``
(released by the kernel when the process ends, however it ends: no stale locks after a kill) and writes who
holds it; a second run stops at once with a message naming that process. Taking the lock also proves that the
run's folders can be written, so a read-only or mistyped ``--save_dir`` is one clear error before any work.
"""

from __future__ import annotations

import fcntl
import json
import os
import socket
import sys
import tempfile
import time
from pathlib import Path

LOCK_NAME = ".run.lock"


class RunDirectoryError(ValueError):
    """A run directory that cannot be used: not writable, not a directory, or in use by another run."""


def _why(exc: OSError) -> str:
    return exc.strerror or type(exc).__name__


def check_writable(directory: Path, what: str) -> None:
    """Create ``directory`` if needed and prove a file can be created in it (also as root, where
    ``os.access`` says yes to a read-only file system or an immutable folder)."""
    for parent in [directory, *directory.parents]:
        if parent.exists() and not parent.is_dir():
            raise RunDirectoryError(f"{what} {directory}: {parent} is a file, not a directory; choose another "
                                    f"--save_dir")
    try:
        directory.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=directory):
            pass
    except OSError as exc:
        raise RunDirectoryError(f"cannot write to {what} {directory} ({_why(exc)}); choose a writable --save_dir, "
                                f"or make it writable") from None


def _holder(lock_file: Path) -> str:
    try:
        info = json.loads(lock_file.read_text() or "{}")
    except (OSError, ValueError):
        info = {}
    if not info:
        return "another process"
    started = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(info.get("started", 0)))
    return f"process {info.get('pid')} on {info.get('host')} (started {started}: {info.get('command', '?')})"


class RunLock:
    """The held lock of one run directory; :meth:`release` (or the end of the process) frees it."""

    def __init__(self, directory: str | Path):
        self.directory = Path(directory)
        self.path = self.directory / LOCK_NAME
        self._fd: int | None = None
        check_writable(self.directory, "the run's checkpoint folder")
        try:
            self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise RunDirectoryError(f"cannot create the run lock {self.path} ({_why(exc)}); choose a writable "
                                    f"--save_dir") from None
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(self._fd)
            raise RunDirectoryError(f"another training run is writing into {self.directory}: {_holder(self.path)}; "
                                    f"wait for it to end, or train into another --save_dir") from None
        info = {"pid": os.getpid(), "host": socket.gethostname(), "started": time.time(),
                "command": " ".join(sys.argv)}
        os.ftruncate(self._fd, 0)
        os.pwrite(self._fd, json.dumps(info).encode(), 0)

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor drops the flock
            self._fd = None

    def __enter__(self) -> RunLock:
        return self

    def __exit__(self, *exc) -> None:
        self.release()
