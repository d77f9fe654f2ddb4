"""Checkpoint files: names, atomic writes, safe loads, and finding the newest valid one."""

from __future__ import annotations

import errno
import logging
import re
import shutil
import time
import warnings
from dataclasses import dataclass, replace
from pathlib import Path

import torch

from lib.hub.client import HubError, download, is_hub_path, parse_hub_path
from lib.utils.atomic_files import write_atomic

logger = logging.getLogger(__name__)

FORMAT_VERSION = 1
NET_TYPE = "SEQTRACK"
_NAME = re.compile(r"^SEQTRACK_ep(\d{4,})(?:_s(\d{8,}))?\.pth\.tar$")


class CheckpointError(RuntimeError):
    """A checkpoint that cannot be written, read, or used for this run."""


class DiskFullError(CheckpointError):
    """A checkpoint that does not fit on its disk (the earlier checkpoints are intact)."""


SPACE_MARGIN = 1.02  # a checkpoint file is its tensors' bytes plus a little: ask for 2 % more


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


def state_nbytes(state) -> int:
    """Bytes of every tensor in a (nested) checkpoint state: about the size of its file."""
    if isinstance(state, torch.Tensor):
        return state.nbytes
    if isinstance(state, dict):
        return sum(state_nbytes(v) for v in state.values())
    if isinstance(state, (list, tuple)):
        return sum(state_nbytes(v) for v in state)
    return 0


def free_bytes(directory: Path) -> int:
    """Free space on the file system of ``directory``, in bytes."""
    return shutil.disk_usage(directory).free


def _disk_full(path: Path, needed: int) -> DiskFullError:
    free = free_bytes(path.parent)
    return DiskFullError(f"no space left on the disk of {path.parent} for checkpoint {path.name}: it needs about "
                         f"{needed / 2**20:,.0f} MB and {free / 2**20:,.0f} MB are free; free some space (fewer "
                         f"checkpoints: TRAIN.KEEP_CHECKPOINTS) and resume with --resume auto (the earlier "
                         f"checkpoints are intact)")


class _WriteRecorder:
    """A binary handle that remembers the OSError its writes raised (torch turns it into a vague RuntimeError)."""

    def __init__(self, handle):
        self.handle = handle
        self.error: OSError | None = None

    def write(self, data) -> int:
        try:
            return self.handle.write(data)
        except OSError as exc:
            self.error = exc
            raise

    def flush(self) -> None:
        self.handle.flush()


def save_atomic(state: dict, path: str | Path) -> float:
    """Write ``state`` to ``path`` so that a crash leaves either the old file or the complete new one.

    Temporary file in the same directory, fsync, rename, fsync of the directory
    (:func:`lib.utils.atomic_files.write_atomic`). A disk without room for it is a :class:`DiskFullError`
    saying how much is needed and free, before anything is written when the free space already tells.
    Returns seconds taken.
    """
    path = Path(path)
    start = time.perf_counter()
    needed = int(state_nbytes(state) * SPACE_MARGIN)
    recorder = None

    def write(handle) -> None:
        nonlocal recorder
        recorder = _WriteRecorder(handle)
        torch.save(state, recorder)

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if free_bytes(path.parent) < needed:
            raise _disk_full(path, needed)
        write_atomic(path, write)
    except CheckpointError:
        raise
    except Exception as exc:
        cause = recorder.error if recorder is not None and recorder.error is not None else exc
        if isinstance(cause, OSError) and cause.errno in (errno.ENOSPC, errno.EDQUOT):
            raise _disk_full(path, needed) from exc
        reason = cause.strerror if isinstance(cause, OSError) and cause.strerror else str(cause).splitlines()[0]
        raise CheckpointError(f"cannot write checkpoint {path}: {reason}") from exc
    return time.perf_counter() - start


def load_reason(exc: BaseException) -> str:
    """One short line on why ``torch.load(weights_only=True)`` refused a file (its own text is a page long)."""
    text = str(exc)
    marker = "WeightsUnpickler error:"
    if marker in text:  # a pickle that is not tensors and plain containers: 'Unsupported global: GLOBAL posix.system'
        detail = next((line.strip() for line in text.split(marker, 1)[1].splitlines() if line.strip()), "")
        return f"the weights-only loader refused it, so nothing in it ran: {detail}"
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    return f"{type(exc).__name__}: {first}" if first else type(exc).__name__


def weights_only_load(path: Path):
    """``torch.load(path, weights_only=True)`` onto the CPU, without torch's warnings about foreign pickles."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # e.g. 'Detected pickle protocol 4': the refusal below says it all
        return torch.load(path, map_location="cpu", weights_only=True)


def load_checkpoint(path: str | Path) -> dict:
    """Load a checkpoint with ``weights_only=True`` (no code in the file runs) onto the CPU."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint not found: {path}")
    if str(path).endswith(".safetensors"):
        raise CheckpointError(f"{path} holds inference weights only: track with it (--checkpoint) or fine-tune from "
                              f"it (--init); resuming needs a full-state SEQTRACK_ep*.pth.tar")
    try:
        state = weights_only_load(path)
    except Exception as exc:  # torch raises several types for truncated or foreign files
        raise CheckpointError(f"checkpoint {path} is truncated, corrupted or not a checkpoint of this project "
                              f"({load_reason(exc)})") from exc
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


def local_checkpoint(path: str) -> str:
    """``path`` itself, or for an ``hf://`` path the local file it was downloaded to (into the Hub cache).

    ``hf://user/repo[@revision]`` (no file) means the repo's latest inference weights, ``model.safetensors`` at
    its root; a ``.safetensors`` file comes with the ``config.json`` beside it. A Hub failure is a
    :class:`CheckpointError` (what the entry points report as bad input, in one line).
    """
    if not is_hub_path(path):
        return path
    from lib.checkpoint.weights_files import CONFIG_FILE, WEIGHTS_FILE, is_weights_file

    try:
        hub_path = parse_hub_path(path, allow_repo=True)
        if not hub_path.filename:
            hub_path = replace(hub_path, filename=WEIGHTS_FILE)
        local = download(hub_path)
        if is_weights_file(hub_path.filename):
            folder = hub_path.filename.rpartition("/")[0]
            download(replace(hub_path, filename=f"{folder}/{CONFIG_FILE}" if folder else CONFIG_FILE))
        return str(local)
    except HubError as exc:
        raise CheckpointError(str(exc)) from exc
