"""Checkpoint files: names, atomic writes, safe loads, and finding the newest valid one."""

from __future__ import annotations

import logging
import os
import re
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import torch

logger = logging.getLogger(__name__)

FORMAT_VERSION = 1
NET_TYPE = "SEQTRACK"
_NAME = re.compile(r"^SEQTRACK_ep(\d{4,})(?:_s(\d{8,}))?\.pth\.tar$")


class CheckpointError(RuntimeError):
    """A checkpoint that cannot be written, read, or used for this run."""


@dataclass(frozen=True, order=True)
class CheckpointPosition:
    """Where in training a checkpoint was taken: after ``samples`` samples of ``epoch`` (0 = epoch done)."""

    completed_epochs: int
    samples: int

    @property
    def epoch(self) -> int:
        """The epoch the checkpoint belongs to (the one finished, or the one in progress)."""
        return self.completed_epochs + (1 if self.samples else 0)


def checkpoint_name(epoch: int, samples_in_epoch: int = 0) -> str:
    """``SEQTRACK_ep0003.pth.tar`` after epoch 3; ``SEQTRACK_ep0003_s00000200.pth.tar`` inside epoch 3."""
    if samples_in_epoch:
        return f"SEQTRACK_ep{epoch:04d}_s{samples_in_epoch:08d}.pth.tar"
    return f"SEQTRACK_ep{epoch:04d}.pth.tar"


def parse_checkpoint_name(path: str | Path) -> CheckpointPosition | None:
    """The position a checkpoint name encodes, or None for a name that is not a checkpoint's."""
    match = _NAME.match(Path(path).name)
    if not match:
        return None
    epoch, samples = int(match.group(1)), int(match.group(2) or 0)
    return CheckpointPosition(epoch - 1 if samples else epoch, samples)


def list_checkpoints(directory: str | Path) -> list:
    """Checkpoints of a run directory, oldest first."""
    directory = Path(directory)
    if not directory.is_dir():
        return []
    found = [(parse_checkpoint_name(p), p) for p in directory.iterdir() if p.is_file()]
    return [p for pos, p in sorted((pos, p) for pos, p in found if pos is not None)]


def _fsync_directory(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:  # some file systems do not open directories; the rename is still atomic
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def save_atomic(state: dict, path: str | Path) -> float:
    """Write ``state`` to ``path`` so that a crash leaves either the old file or the complete new one.

    Temporary file in the same directory, fsync, rename, fsync of the directory. Returns seconds taken.
    """
    path = Path(path)
    start = time.perf_counter()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise CheckpointError(f"cannot write checkpoint {path}: {exc}") from exc
    tmp_path = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as handle:
            torch.save(state, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_path, path)
        _fsync_directory(path.parent)
    except BaseException as exc:  # also KeyboardInterrupt: never leave a partial temporary file behind
        tmp_path.unlink(missing_ok=True)
        if isinstance(exc, Exception):
            raise CheckpointError(f"cannot write checkpoint {path}: {exc}") from exc
        raise
    return time.perf_counter() - start


def load_checkpoint(path: str | Path) -> dict:
    """Load a checkpoint with ``weights_only=True`` (no code in the file runs) onto the CPU."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint not found: {path}")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises several types for truncated or foreign files
        raise CheckpointError(
            f"checkpoint {path} is truncated, corrupted or not a checkpoint of this project "
            f"({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''})"
        ) from exc
    if not isinstance(state, dict) or state.get("net_type") != NET_TYPE or "net" not in state:
        raise CheckpointError(f"{path} is not a SeqTrack checkpoint (no 'net' / net_type '{NET_TYPE}')")
    if state.get("format_version") != FORMAT_VERSION:
        raise CheckpointError(
            f"{path} has checkpoint format {state.get('format_version')!r}; this code reads format "
            f"{FORMAT_VERSION} (checkpoints of the original SeqTrack code are not resumable)"
        )
    return state


def find_latest_valid(directory: str | Path) -> tuple:
    """``(path, state)`` of the newest checkpoint in ``directory`` that loads; ``(None, None)`` if none.

    A newest file that is truncated or corrupted is reported and skipped.
    """
    for path in reversed(list_checkpoints(directory)):
        try:
            return path, load_checkpoint(path)
        except CheckpointError as exc:
            logger.warning("skipping %s: %s", path.name, exc)
    return None, None
