"""Files written atomically: a crash leaves the old file or the complete new one, and no partial file.

Every writer of the project's outputs (checkpoints, result files, model cards, plots) goes through
:func:`write_atomic`: a temporary file ``.<name>.<random>.tmp`` in the same folder, written, flushed and
fsynced, renamed over the target, then the folder fsynced. The temporary file gets the mode a plain
``open()`` would give (``0o666`` minus the umask), not ``mkstemp``'s 0600. An error, Ctrl-C included,
removes it; only a process killed outright (SIGKILL, power loss) can leave one behind, and
:func:`remove_stale_temporaries` clears those when the next run takes the folder over.
"""

from __future__ import annotations

import logging
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

logger = logging.getLogger(__name__)

TEMP_SUFFIX = ".tmp"


def _read_umask() -> int:
    mask = os.umask(0o022)  # the only way to read it is to set it: done once, at import, before any thread
    os.umask(mask)
    return mask


FILE_MODE = 0o666 & ~_read_umask()


def fsync_directory(directory: Path) -> None:
    """Make a rename in ``directory`` durable; file systems that cannot open a directory are skipped."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _open_temporary(fd: int) -> BinaryIO:
    return os.fdopen(fd, "wb")


def write_atomic(path: str | Path, write: Callable[[BinaryIO], None], durable: bool = True) -> Path:
    """Write ``path`` through ``write(binary_handle)``; ``durable`` fsyncs the file and its folder."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=TEMP_SUFFIX, dir=path.parent)
    tmp_path = Path(tmp_name)
    try:
        os.fchmod(fd, FILE_MODE)
        with _open_temporary(fd) as handle:
            write(handle)
            handle.flush()
            if durable:
                os.fsync(handle.fileno())
        os.replace(tmp_path, path)
        if durable:
            fsync_directory(path.parent)
    except BaseException:  # also KeyboardInterrupt: never leave a partial temporary file behind
        tmp_path.unlink(missing_ok=True)
        raise
    return path


def write_text_atomic(path: str | Path, text: str, durable: bool = False) -> Path:
    """:func:`write_atomic` of UTF-8 text (not fsynced by default: results and cards can be rewritten)."""
    return write_atomic(path, lambda handle: handle.write(text.encode("utf-8")), durable=durable)


def stale_temporaries(directory: str | Path, name_glob: str = "*") -> list:
    """Temporary files that :func:`write_atomic` left in ``directory`` for targets matching ``name_glob``."""
    directory = Path(directory)
    if not directory.is_dir():
        return []
    return sorted(p for p in directory.glob(f".{name_glob}.*{TEMP_SUFFIX}") if p.is_file())


def remove_stale_temporaries(directory: str | Path, name_glob: str = "*") -> tuple:
    """Remove what :func:`stale_temporaries` finds -> ``(files removed, bytes freed)``.

    Only safe while no other process writes into ``directory`` (the training run holds its run lock).
    """
    removed, freed = 0, 0
    for path in stale_temporaries(directory, name_glob):
        try:
            size = path.stat().st_size
            path.unlink()
        except FileNotFoundError:
            continue
        removed, freed = removed + 1, freed + size
    if removed:
        logger.info("removed %d temporary file(s) (%.1f MB) left in %s by an interrupted write", removed,
                    freed / 2**20, directory)
    return removed, freed
