"""The run's full-state checkpoints: save, load (exact resume) and close, over a dict of stateful parts.

A checkpoint (``SEQTRACK_ep0003.pth.tar`` after epoch 3, ``..._s00001200`` inside it) holds ``state_dict()`` of
every part (network, optimiser, LR scheduler, grad scaler), the position in training, every process's RNG
states and extra per-process state (the trainer's running sums), the per-epoch history and the resolved
config. Plain tensors, numbers and strings only: ``torch.load(path, weights_only=True)`` reads it.

Which config keys must agree for a resume, and which may change freely, is declared next to each key in the
defaults tree (``architecture=True`` / ``bookkeeping=True``); any other difference is resumed with a warning.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from lib.checkpoint.io import (
    FORMAT_VERSION,
    NET_TYPE,
    CheckpointError,
    checkpoint_name,
    find_latest_valid,
    list_checkpoints,
    load_checkpoint,
    parse_checkpoint_name,
    save_atomic,
)
from lib.checkpoint.original import WEIGHTS_ONLY_KEY, is_original_checkpoint_file
from lib.config.seqtrack.config import ConfigError, architecture_keys, bookkeeping_keys, config_from_dict
from lib.utils.distributed import DistInfo, barrier, gather_objects
from lib.utils.seeding import capture_rng_state, restore_rng_state

logger = logging.getLogger(__name__)


class Stateful(Protocol):
    def state_dict(self) -> dict: ...

    def load_state_dict(self, state: dict) -> object: ...


@dataclass(frozen=True)
class TrainingPosition:
    """Where training stands: ``completed_epochs`` done, ``samples_in_epoch`` of the next one done, steps so far."""

    completed_epochs: int = 0
    samples_in_epoch: int = 0
    global_step: int = 0

    @property
    def saved_epoch(self) -> int:
        """The epoch a checkpoint at this position is named after (the one finished, or the one in progress)."""
        return self.completed_epochs + (1 if self.samples_in_epoch else 0)


@dataclass
class Restored:
    """What :meth:`Checkpointer.load` gives back besides the parts it loaded in place."""

    position: TrainingPosition
    history: list
    rank_state: dict  # this process's extra state (without its RNG states, already restored)
    mid_epoch: bool = field(init=False)

    def __post_init__(self) -> None:
        self.mid_epoch = bool(self.position.samples_in_epoch)


def _flatten(tree: Mapping, prefix: str = "") -> dict:
    flat = {}
    for key, value in tree.items():
        if isinstance(value, Mapping):
            flat.update(_flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def _with_defaults(config: Mapping) -> dict:
    """A stored config with the keys it predates filled in from today's defaults (a newer key is no difference)."""
    try:
        return config_from_dict(config, where="checkpoint").to_dict()
    except ConfigError:  # an older checkpoint with a value today's checks refuse: compare it as stored
        return dict(config)


def config_differences(saved: Mapping, current: Mapping) -> tuple:
    """``(architecture_differences, other_differences)`` as ``'KEY: saved -> current'`` strings; bookkeeping
    keys (run length, destinations) are left out."""
    saved_flat, current_flat = _flatten(_with_defaults(saved)), _flatten(current)
    architecture, neutral = architecture_keys(), bookkeeping_keys()
    arch, other = [], []
    for key in sorted(set(saved_flat) | set(current_flat)):
        before, after = saved_flat.get(key, "<absent>"), current_flat.get(key, "<absent>")
        if before == after or key in neutral or key.startswith("TRAIN.HF."):
            continue
        (arch if key in architecture else other).append(f"{key}: {before!r} -> {after!r}")
    return arch, other


def resolve_resume(resume: str, checkpoint_dir: Path) -> tuple:
    """``(path, state)`` for ``resume`` = a local path or 'auto'; ``(None, None)`` when auto finds none."""
    if resume == "auto":
        path, state = find_latest_valid(checkpoint_dir)
        if path is None:
            logger.info("--resume auto: no valid checkpoint in %s; starting from scratch", checkpoint_dir)
        return path, state
    try:
        return Path(resume), load_checkpoint(resume)
    except CheckpointError:
        if is_original_checkpoint_file(resume):
            raise CheckpointError(f"{resume} is a checkpoint of the original SeqTrack code: it holds no training "
                                  f"state of this project and cannot be resumed; use --init {resume} to "
                                  f"fine-tune from its weights") from None
        raise


class Checkpointer:
    """Saves and restores ``parts`` (name -> object with ``state_dict`` / ``load_state_dict``) with the run state.

    ``hooks`` are called on rank 0 as ``hook(path, state)`` after each checkpoint is written (uploads, copies);
    :meth:`close` closes those that have a ``close(interrupted)``. Under DDP, :meth:`save` is collective.
    """

    def __init__(self, directory: Path, parts: Mapping[str, Stateful], config: Mapping, dist_info: DistInfo,
                 keep: int = 0):
        self.directory = Path(directory)
        self.parts = dict(parts)
        self.config = dict(config)
        self.dist = dist_info
        self.keep = keep  # newest epoch checkpoints kept; 0 = all
        self.hooks: list[Callable[[Path, dict], None]] = []

    # ----------------------------------------------------------------------------------------- save
    def state(self, position: TrainingPosition, rank_state: Mapping, history: list) -> dict:
        """The full state at ``position``; collective under DDP (every process must call it)."""
        per_rank = gather_objects({"rng": capture_rng_state(), **rank_state}, self.dist)
        return {
            "format_version": FORMAT_VERSION,
            "net_type": NET_TYPE,
            "epoch": position.saved_epoch,
            "samples_in_epoch": position.samples_in_epoch,
            "global_step": position.global_step,
            "seed": self.config["TRAIN"]["SEED"],
            "world_size": self.dist.world_size,
            **{name: part.state_dict() for name, part in self.parts.items()},
            "per_rank": per_rank,
            "history": list(history),
            "config": self.config,
        }

    def save(self, position: TrainingPosition, rank_state: Mapping, history: list) -> Path | None:
        """Write the checkpoint of ``position`` (rank 0 writes; every process must call); returns its path."""
        state = self.state(position, rank_state, history)
        path = None
        if self.dist.is_main:
            path = self.directory / checkpoint_name(position.saved_epoch, position.samples_in_epoch)
            seconds = save_atomic(state, path)
            logger.info("Saved checkpoint %s (%.1f MB in %.2f s)", path, path.stat().st_size / 2**20, seconds)
            self._prune(path)
            for hook in self.hooks:
                hook(path, state)
        barrier(self.dist)
        return path

    def _prune(self, newest: Path) -> None:
        """Drop mid-epoch checkpoints older than ``newest``, and epoch checkpoints past ``keep``."""
        newest_position = parse_checkpoint_name(newest)
        checkpoints = list_checkpoints(self.directory)
        for path in checkpoints:
            position = parse_checkpoint_name(path)
            if position.samples and position < newest_position:
                path.unlink(missing_ok=True)
        epoch_ends = [p for p in checkpoints if p.exists() and not parse_checkpoint_name(p).samples]
        if self.keep > 0:
            for path in epoch_ends[:-self.keep]:
                path.unlink(missing_ok=True)

    # ----------------------------------------------------------------------------------------- load
    def load(self, path: Path, state: dict, restore_rng: bool = True) -> Restored:
        """Restore every part from ``state`` (read from ``path``) and this process's RNG states; refuse a
        checkpoint of another architecture, or one that holds weights only."""
        if state.get(WEIGHTS_ONLY_KEY) or "optimizer" not in state:  # e.g. converted from the original's format
            raise CheckpointError(f"{path} holds weights only (no optimizer or training position), so it cannot "
                                  f"be resumed; use --init {path} (MODEL.INIT_CHECKPOINT) to fine-tune from it")
        arch, other = config_differences(state["config"], self.config)
        if arch:
            raise CheckpointError(f"{path} was trained with a different architecture; differing keys: "
                                  + "; ".join(arch))
        if other:
            logger.warning("resuming with settings that differ from the checkpoint's (the run will not "
                           "reproduce the original exactly): %s", "; ".join(other))
        for name, part in self.parts.items():
            try:
                part.load_state_dict(state[name])
            except (RuntimeError, KeyError, ValueError) as exc:
                raise CheckpointError(f"{path} does not fit this run's {name}: {exc}") from exc
        per_rank = state["per_rank"]
        if len(per_rank) != self.dist.world_size:
            logger.warning("checkpoint was written by %d processes, this run has %d: the sample stream is the "
                           "same, but batches (and so losses) will not match the original run exactly",
                           len(per_rank), self.dist.world_size)
        rank_state = dict(per_rank[self.dist.rank % len(per_rank)])
        rng = rank_state.pop("rng")
        if restore_rng:
            restore_rng_state(rng)
        samples = int(state["samples_in_epoch"])
        position = TrainingPosition(int(state["epoch"]) - (1 if samples else 0), samples, int(state["global_step"]))
        logger.info("Resumed from %s at epoch %d, sample %d", path, int(state["epoch"]), samples)
        return Restored(position, list(state["history"]), rank_state)

    # ----------------------------------------------------------------------------------------- close
    def close(self, interrupted: bool = False) -> None:
        """Close the hooks that need it (an uploader waits for its pending pushes, or not when ``interrupted``)."""
        for hook in self.hooks:
            close = getattr(hook, "close", None)
            if close is not None:
                close(interrupted=interrupted)
