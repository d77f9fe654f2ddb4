"""Training state that outlives a process: full-state checkpoints, exact resume, run paths."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import torch

from lib.config.seqtrack.config import Config
from lib.utils.checkpoint_io import (FORMAT_VERSION, NET_TYPE, CheckpointError, checkpoint_name,
                                     find_latest_valid, list_checkpoints, load_checkpoint,
                                     parse_checkpoint_name, save_atomic)
from lib.utils.distributed import DistInfo, barrier, gather_objects
from lib.utils.original_checkpoint import WEIGHTS_ONLY_KEY, is_original_checkpoint_file
from lib.utils.seeding import capture_rng_state, restore_rng_state

logger = logging.getLogger(__name__)

# Config keys that change the network's shapes or meaning: a checkpoint must agree on all of them.
_ARCH_PREFIXES = ("MODEL.",)
_ARCH_EXCLUDED = {"MODEL.ENCODER.PRETRAINED_PATH", "MODEL.INIT_CHECKPOINT", "MODEL.ENCODER.USE_CHECKPOINT",
                  "MODEL.ENCODER.DROP_PATH", "MODEL.DECODER.DROPOUT", "MODEL.ENCODER.PRETRAIN_TYPE", "MODEL.CPU_LINEAR"}
_ARCH_EXTRA = {"DATA.SEARCH.SIZE", "DATA.TEMPLATE.SIZE", "DATA.TEMPLATE.NUMBER", "DATA.SEQ_FORMAT"}
# Keys that change where things go or how long the run is, not what each step computes: changing them on
# resume is normal (a longer run, another upload target) and draws no warning.
_NEUTRAL_PREFIXES = ("TRAIN.HF.",)
_NEUTRAL = {"TRAIN.EPOCH", "TRAIN.RESUME_PATH", "TRAIN.KEEP_CHECKPOINTS", "TRAIN.CHECKPOINT_INTERVAL_SAMPLES",
            "TRAIN.LOG_INTERVAL_SAMPLES", "TRAIN.PRINT_INTERVAL", "TRAIN.NUM_WORKER", "TEST.EPOCH"}


@dataclass(frozen=True)
class RunPaths:
    """Where a run writes, in the original's layout under ``--save_dir``."""

    save_dir: Path
    config_name: str
    script_name: str = "seqtrack"

    @property
    def checkpoint_dir(self) -> Path:
        return self.save_dir / "checkpoints" / "train" / self.script_name / self.config_name

    @property
    def log_file(self) -> Path:
        return self.save_dir / "logs" / f"{self.script_name}-{self.config_name}.log"

    @property
    def metrics_file(self) -> Path:
        return self.save_dir / "logs" / f"{self.script_name}-{self.config_name}.metrics.jsonl"

    @property
    def curves_file(self) -> Path:
        return self.save_dir / "logs" / f"{self.script_name}-{self.config_name}.curves.png"

    @property
    def tensorboard_dir(self) -> Path:
        return self.save_dir / "tensorboard" / "train" / self.script_name / self.config_name


def _flatten(tree: dict, prefix: str = "") -> dict:
    flat = {}
    for key, value in tree.items():
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def config_differences(saved: dict, current: dict) -> tuple:
    """``(architecture_differences, other_differences)`` as ``'KEY: saved -> current'`` strings."""
    saved_flat, current_flat = _flatten(saved), _flatten(current)
    arch, other = [], []
    for key in sorted(set(saved_flat) | set(current_flat)):
        before, after = saved_flat.get(key, "<absent>"), current_flat.get(key, "<absent>")
        if before == after:
            continue
        text = f"{key}: {before!r} -> {after!r}"
        if key in _NEUTRAL or key.startswith(_NEUTRAL_PREFIXES):
            continue
        is_arch = (key.startswith(_ARCH_PREFIXES) and key not in _ARCH_EXCLUDED) or key in _ARCH_EXTRA
        (arch if is_arch else other).append(text)
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


class BaseTrainer:
    """Owns the parts a checkpoint holds and the position in training; the subclass runs the epochs."""

    def __init__(self, net: torch.nn.Module, optimizer, lr_scheduler, grad_scaler, cfg: Config,
                 paths: RunPaths, dist_info: DistInfo):
        self.net = net  # possibly DistributedDataParallel-wrapped
        self.optimizer = optimizer
        self.lr_scheduler = lr_scheduler
        self.grad_scaler = grad_scaler
        self.cfg = cfg
        self.paths = paths
        self.dist = dist_info
        self.epoch = 0  # epochs completed
        self.samples_in_epoch = 0  # samples of epoch `epoch + 1` already trained (mid-epoch resume)
        self.global_step = 0
        self.history: list = []  # one record per completed epoch
        self.checkpoint_hooks: list[Callable[[Path, dict], None]] = []  # called on rank 0 after each save

    @property
    def bare_net(self) -> torch.nn.Module:
        return getattr(self.net, "module", self.net)

    # ----------------------------------------------------------------------------------------- save
    def _extra_rank_state(self) -> dict:
        """Per-process state beyond the RNGs (the subclass adds its running sums)."""
        return {}

    def _load_extra_rank_state(self, state: dict) -> None:
        pass

    def state_dict(self, samples_in_epoch: int) -> dict:
        """The full training state; collective under DDP (every rank must call it)."""
        rank_state = {"rng": capture_rng_state(), **self._extra_rank_state()}
        per_rank = gather_objects(rank_state, self.dist)
        epoch = self.epoch + 1 if samples_in_epoch else self.epoch
        return {
            "format_version": FORMAT_VERSION,
            "net_type": NET_TYPE,
            "epoch": epoch,
            "samples_in_epoch": samples_in_epoch,
            "global_step": self.global_step,
            "seed": self.cfg.TRAIN.SEED,
            "world_size": self.dist.world_size,
            "net": self.bare_net.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "lr_scheduler": self.lr_scheduler.state_dict(),
            "grad_scaler": self.grad_scaler.state_dict(),
            "per_rank": per_rank,
            "history": list(self.history),
            "config": self.cfg.to_dict(),
        }

    def save_checkpoint(self, samples_in_epoch: int = 0) -> Path | None:
        """Write the checkpoint for the current position (rank 0 writes; every rank must call)."""
        state = self.state_dict(samples_in_epoch)
        path = None
        if self.dist.is_main:
            epoch = state["epoch"]
            path = self.paths.checkpoint_dir / checkpoint_name(epoch, samples_in_epoch)
            seconds = save_atomic(state, path)
            size_mb = path.stat().st_size / 2**20
            logger.info("Saved checkpoint %s (%.1f MB in %.2f s)", path, size_mb, seconds)
            self._prune_checkpoints(path)
            for hook in self.checkpoint_hooks:
                hook(path, state)
        barrier(self.dist)
        return path

    def _prune_checkpoints(self, newest: Path) -> None:
        """Drop mid-epoch checkpoints older than ``newest``, and old epoch ones past KEEP_CHECKPOINTS."""
        newest_pos = parse_checkpoint_name(newest)
        checkpoints = list_checkpoints(self.paths.checkpoint_dir)
        for path in checkpoints:
            pos = parse_checkpoint_name(path)
            if pos.samples and pos < newest_pos:
                path.unlink(missing_ok=True)
        keep = self.cfg.TRAIN.KEEP_CHECKPOINTS
        epoch_ends = [p for p in checkpoints if p.exists() and not parse_checkpoint_name(p).samples]
        if keep > 0:
            for path in epoch_ends[:-keep]:
                path.unlink(missing_ok=True)

    # --------------------------------------------------------------------------------------- resume
    def load_state(self, path: Path, state: dict, restore_rng: bool = True) -> None:
        """Restore everything :meth:`state_dict` saved; refuse a checkpoint of another architecture."""
        if state.get(WEIGHTS_ONLY_KEY) or "optimizer" not in state:  # e.g. converted from the original's format
            raise CheckpointError(f"{path} holds weights only (no optimizer or training position), so it cannot "
                                  f"be resumed; use --init {path} (MODEL.INIT_CHECKPOINT) to fine-tune from it")
        arch, other = config_differences(state["config"], self.cfg.to_dict())
        if arch:
            raise CheckpointError(f"{path} was trained with a different architecture; differing keys: "
                                  + "; ".join(arch))
        if other:
            logger.warning("resuming with settings that differ from the checkpoint's (the run will not "
                           "reproduce the original exactly): %s", "; ".join(other))
        try:
            self.bare_net.load_state_dict(state["net"], strict=True)
        except RuntimeError as exc:
            raise CheckpointError(f"{path} does not fit this model: {exc}") from exc
        self.optimizer.load_state_dict(state["optimizer"])
        self.lr_scheduler.load_state_dict(state["lr_scheduler"])
        self.grad_scaler.load_state_dict(state["grad_scaler"])
        samples = int(state["samples_in_epoch"])
        self.epoch = int(state["epoch"]) - (1 if samples else 0)
        self.samples_in_epoch = samples
        self.global_step = int(state["global_step"])
        self.history = list(state["history"])
        per_rank = state["per_rank"]
        if len(per_rank) != self.dist.world_size:
            logger.warning("checkpoint was written by %d processes, this run has %d: the sample stream is the "
                           "same, but batches (and so losses) will not match the original run exactly",
                           len(per_rank), self.dist.world_size)
        rank_state = per_rank[self.dist.rank % len(per_rank)]
        if restore_rng:
            restore_rng_state(rank_state["rng"])
        if samples:
            self._load_extra_rank_state(rank_state)
        logger.info("Resumed from %s at epoch %d, sample %d", path, int(state["epoch"]), samples)
