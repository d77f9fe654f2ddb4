"""The epoch loop: seeded per-epoch data, the optimisation step (over ACCUM_STEPS micro-batches), timed logging,
checkpoints."""

from __future__ import annotations

import contextlib
import logging
import time
from functools import partial
from pathlib import Path

import torch
from torch.utils.data import DataLoader, Sampler

from lib.checkpoint.checkpointer import Checkpointer, Restored, TrainingPosition
from lib.checkpoint.io import CheckpointError
from lib.checkpoint.paths import RunPaths
from lib.config.seqtrack.config import ConfigError
from lib.train.trainers.progress import ProgressClock, StatMeter, format_stats
from lib.utils.logging_setup import format_hms
from lib.utils.malloc_tuning import keep_freed_memory
from lib.utils.precision import resolve_precision
from lib.utils.seeding import derive_epoch_seed, seed_everything

logger = logging.getLogger(__name__)


class EpochBatchSampler(Sampler):
    """Index batches of one epoch for one process, starting at a given global batch.

    Global batch ``k`` holds sample indices ``[k*G, (k+1)*G)`` with ``G = batch_size * world_size``;
    process ``r`` takes the ``r``-th slice of each. Sample indices do not depend on the worker count or on
    gradient accumulation (a batch here is one micro-batch), and a mid-epoch resume starts at a later batch
    instead of replaying the earlier ones.
    """

    def __init__(self, num_batches: int, batch_size: int, world_size: int, rank: int, start_batch: int = 0):
        self.num_batches = num_batches
        self.batch_size = batch_size
        self.world_size = world_size
        self.rank = rank
        self.start_batch = start_batch

    def __iter__(self):
        global_batch = self.batch_size * self.world_size
        for k in range(self.start_batch, self.num_batches):
            first = k * global_batch + self.rank * self.batch_size
            yield list(range(first, first + self.batch_size))

    def __len__(self) -> int:
        return self.num_batches - self.start_batch


def _seed_worker(worker_id: int, epoch_seed: int) -> None:
    """Seed a DataLoader worker's global generators (the data path itself uses per-sample generators)."""
    import cv2  # local: only the workers need it here

    cv2.setNumThreads(1)
    keep_freed_memory()  # frames and batches reuse heap memory instead of faulting in fresh pages
    seed_everything((epoch_seed * 1000 + worker_id) % 2**63)


RECORD_NAMES = {"Loss/total": "loss", "IoU": "iou"}  # the metrics file's names of the actor's stats


def record_fields(means: dict, suffix: str = "") -> dict:
    """``{'Loss/total': x, 'IoU': y, 'Loss/extra': z}`` -> ``{'loss': x, 'iou': y, 'Loss/extra': z}`` + suffix."""
    return {RECORD_NAMES.get(name, name) + suffix: value for name, value in means.items()}


class LTRTrainer:
    """Runs epochs of ``actor`` over ``dataset`` with the optimiser, scheduler and logging; its
    :class:`~lib.checkpoint.checkpointer.Checkpointer` saves and restores the run.

    With ``TRAIN.ACCUM_STEPS = k`` one optimizer step takes the gradients of ``k`` consecutive micro-batches of
    ``BATCH_SIZE`` per process (``step_samples = BATCH_SIZE x processes x k`` samples). Epochs, the LR schedule,
    the log's sample counts and the checkpoints stay in samples; ``global_step`` counts optimizer steps. The
    log lines and mid-epoch checkpoints come at optimizer-step boundaries only: each at the first boundary at or
    after its multiple of ``LOG_INTERVAL_SAMPLES`` / ``CHECKPOINT_INTERVAL_SAMPLES``, so a checkpoint never
    holds half-accumulated gradients and a resume is exact.
    """

    def __init__(self, actor, dataset, collate_fn, optimizer, lr_scheduler, grad_scaler, cfg, paths: RunPaths,
                 dist_info, device: torch.device, metrics_writer=None, tb_writer=None, after_epoch=None):
        self.net = actor.net  # possibly DistributedDataParallel-wrapped
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
        parts = {"net": self.bare_net, "optimizer": optimizer, "lr_scheduler": lr_scheduler, "grad_scaler": grad_scaler}
        self.checkpointer = Checkpointer(paths.checkpoint_dir, parts, cfg.to_dict(), dist_info,
                                         keep=cfg.TRAIN.KEEP_CHECKPOINTS)
        self.actor = actor
        self.dataset = dataset
        self.collate_fn = collate_fn
        self.device = device
        self.metrics_writer = metrics_writer  # rank 0 only
        self.tb_writer = tb_writer  # rank 0 only
        self.after_epoch = after_epoch  # rank 0 callback(trainer), e.g. to draw the curves
        self.meter = StatMeter(device)
        self.precision = resolve_precision(bool(cfg.TRAIN.AMP), device)
        logger.info("Precision: %s (%s)", self.precision.name, self.precision.reason)
        train = cfg.TRAIN
        self.batch_size = train.BATCH_SIZE
        self.accum_steps = train.ACCUM_STEPS
        self.global_batch = train.BATCH_SIZE * dist_info.world_size  # samples of one micro-batch, all processes
        self.step_samples = self.global_batch * self.accum_steps  # samples of one optimizer step
        self.num_steps = cfg.DATA.TRAIN.SAMPLE_PER_EPOCH // self.step_samples  # optimizer steps per epoch
        if self.num_steps == 0:
            raise ConfigError(f"DATA.TRAIN.SAMPLE_PER_EPOCH ({cfg.DATA.TRAIN.SAMPLE_PER_EPOCH}) is smaller than one "
                              f"optimizer step of all processes together (TRAIN.BATCH_SIZE {train.BATCH_SIZE} x "
                              f"{dist_info.world_size} process(es) x TRAIN.ACCUM_STEPS {self.accum_steps} = "
                              f"{self.step_samples}): raise SAMPLE_PER_EPOCH or lower BATCH_SIZE or ACCUM_STEPS")
        self.num_batches = self.num_steps * self.accum_steps  # micro-batches per epoch
        self.epoch_samples = self.num_steps * self.step_samples
        if self.epoch_samples != cfg.DATA.TRAIN.SAMPLE_PER_EPOCH:
            logger.warning("SAMPLE_PER_EPOCH %d is not a multiple of the samples of one optimizer step %d (global "
                           "batch %d x ACCUM_STEPS %d): epochs train %d samples", cfg.DATA.TRAIN.SAMPLE_PER_EPOCH,
                           self.step_samples, self.global_batch, self.accum_steps, self.epoch_samples)
        checkpoint_every = train.CHECKPOINT_INTERVAL_SAMPLES
        if checkpoint_every and checkpoint_every % self.step_samples:
            logger.info("TRAIN.CHECKPOINT_INTERVAL_SAMPLES %d is not a multiple of the samples of one optimizer "
                        "step %d: each mid-epoch checkpoint is taken at the first step boundary after its multiple",
                        checkpoint_every, self.step_samples)
        self.clock = ProgressClock(train.LOG_INTERVAL_SAMPLES, time.time())
        self.last_log_samples = 0
        self.trainable = [p for p in self.net.parameters() if p.requires_grad]

    @property
    def bare_net(self) -> torch.nn.Module:
        return getattr(self.net, "module", self.net)

    # ------------------------------------------------------------------------------- checkpoints
    def rank_state(self) -> dict:
        """This process's state beyond its RNGs: the running sums and where the last log line was."""
        return {"stats": self.meter.state_dict(), "last_log_samples": self.clock.last_log_samples}

    def save_checkpoint(self, samples_in_epoch: int = 0) -> Path | None:
        """Save the run at the current position (every process must call; rank 0 writes)."""
        position = TrainingPosition(self.epoch, samples_in_epoch, self.global_step)
        return self.checkpointer.save(position, self.rank_state(), self.history)

    def load_state(self, path: Path, state: dict, restore_rng: bool = True) -> Restored:
        """Resume from ``state`` (read from ``path``): parts, position, history, RNGs and running sums."""
        restored = self.checkpointer.load(path, state, restore_rng)
        samples = restored.position.samples_in_epoch
        if samples % self.step_samples:
            raise CheckpointError(f"{path} was saved after sample {samples} of its epoch, which is not a boundary of "
                                  f"this run's optimizer steps of {self.step_samples} samples (TRAIN.BATCH_SIZE "
                                  f"{self.batch_size} x {self.dist.world_size} process(es) x TRAIN.ACCUM_STEPS "
                                  f"{self.accum_steps}): resume from an epoch checkpoint, or with the batch size, "
                                  f"processes and ACCUM_STEPS it was written with")
        self.epoch = restored.position.completed_epochs
        self.samples_in_epoch = restored.position.samples_in_epoch
        self.global_step = restored.position.global_step
        self.history = restored.history
        if restored.mid_epoch:
            self.meter.load_state_dict(restored.rank_state["stats"])
            self.last_log_samples = int(restored.rank_state["last_log_samples"])
        return restored

    # ------------------------------------------------------------------------------------ loop
    def epoch_seed(self, epoch: int) -> int:
        return derive_epoch_seed(self.cfg.TRAIN.SEED, epoch, self.cfg.TRAIN.SEED_MODE)

    def batch_sampler(self, start_samples: int) -> EpochBatchSampler:
        """This process's micro-batches of an epoch from sample ``start_samples`` (an optimizer-step boundary)."""
        return EpochBatchSampler(self.num_batches, self.batch_size, self.dist.world_size, self.dist.rank,
                                 start_batch=start_samples // self.global_batch)

    def make_loader(self, epoch: int, start_samples: int) -> DataLoader:
        epoch_seed = self.epoch_seed(epoch)
        self.dataset.set_epoch_seed(epoch_seed)  # before the iterator: workers copy the dataset then
        batch_sampler = self.batch_sampler(start_samples)
        workers = self.cfg.TRAIN.NUM_WORKER
        return DataLoader(
            self.dataset, batch_sampler=batch_sampler, num_workers=workers, collate_fn=self.collate_fn,
            pin_memory=self.device.type == "cuda",
            worker_init_fn=partial(_seed_worker, epoch_seed=epoch_seed) if workers else None,
            # An explicit generator keeps the DataLoader from drawing its base seed from torch's global RNG.
            generator=torch.Generator().manual_seed(epoch_seed),
        )

    def train(self, max_epochs: int) -> None:
        first_epoch = self.epoch + 1
        if first_epoch > max_epochs:
            logger.info("Nothing to train: %d of %d epochs already done", self.epoch, max_epochs)
            return
        if self.cfg.TRAIN.SEED_MODE == "fixed":
            logger.warning("TRAIN.SEED_MODE is 'fixed': the same seed is applied every epoch, so every epoch "
                           "trains on exactly the same samples")
        run_start = time.time()
        for epoch in range(first_epoch, max_epochs + 1):
            self.train_epoch(epoch)
        logger.info("Finished training: epochs %d-%d in %s hours", first_epoch, max_epochs,
                    format_hms(time.time() - run_start))

    def train_epoch(self, epoch: int) -> None:
        start_samples, self.samples_in_epoch = self.samples_in_epoch, 0
        if start_samples == 0:
            # The users' requirement: every epoch starts from a reset seed. Mid-epoch resumes restore the
            # generators from the checkpoint instead.
            seed_everything(self.epoch_seed(epoch))
            self.meter = StatMeter(self.device)
            self.last_log_samples = 0
        self.clock.start_epoch(epoch, self.epoch_samples, start_samples, self.last_log_samples)
        self.net.train()
        epoch_start = time.time()
        samples = start_samples
        # start_samples is a step boundary (load_state insists), so every k-th micro-batch closes a step.
        for index, batch in enumerate(self.make_loader(epoch, start_samples)):
            position = index % self.accum_steps  # of this micro-batch in its optimizer step
            self.accumulate(batch, position, self.accum_steps)
            samples += self.global_batch
            if position == self.accum_steps - 1:
                self.optimizer_step()
                self.after_step(epoch, samples)
        self.finish_epoch(epoch, time.time() - epoch_start, samples - start_samples)

    def after_step(self, epoch: int, samples: int) -> None:
        """The log line and the mid-epoch checkpoint due after the optimizer step that ended at ``samples``."""
        if self.clock.due(samples):
            self.log_interval(epoch, samples)
        every = self.cfg.TRAIN.CHECKPOINT_INTERVAL_SAMPLES
        # Due when this step crossed a multiple of the interval: an interval that falls inside a step (between two
        # accumulation boundaries) is taken here, at the boundary that ends that step.
        if every and samples < self.epoch_samples and samples // every > (samples - self.step_samples) // every:
            self.save_checkpoint(samples_in_epoch=samples)

    def _grad_sync(self, closes_step: bool):
        """DDP's gradient all-reduce runs in the backward of a step's last micro-batch only (``no_sync`` before)."""
        if closes_step or not isinstance(self.net, torch.nn.parallel.DistributedDataParallel):
            return contextlib.nullcontext()
        return self.net.no_sync()

    def accumulate(self, batch: dict, position: int, micro_batches: int) -> None:
        """Forward and backward of micro-batch ``position`` of the ``micro_batches`` of one optimizer step, adding
        its gradients to those of the step so far.

        The loss is divided by ``micro_batches``: the gradients of k micro-batches of B are then those of the mean
        loss over one batch of k*B. The first micro-batch drops the previous step's gradients (after its forward,
        as before accumulation existed); only the last one lets DDP all-reduce them.
        """
        batch = {k: v.to(self.device, non_blocking=True) if torch.is_tensor(v) else v for k, v in batch.items()}
        with self._grad_sync(closes_step=position == micro_batches - 1):
            with self.precision.autocast():
                loss, stats = self.actor(batch)
            if position == 0:
                self.optimizer.zero_grad(set_to_none=True)
            # x / 1 is exact in floating point: ACCUM_STEPS 1 computes what it did before accumulation existed.
            self.grad_scaler.scale(loss / micro_batches).backward()
        self.meter.update(stats, self.batch_size)

    def optimizer_step(self) -> None:
        """Clip the accumulated gradients and step the optimizer (once per ``ACCUM_STEPS`` micro-batches)."""
        if self.cfg.TRAIN.GRAD_CLIP_NORM > 0:
            self.grad_scaler.unscale_(self.optimizer)
            torch.nn.utils.clip_grad_norm_(self.trainable, self.cfg.TRAIN.GRAD_CLIP_NORM)
        self.grad_scaler.step(self.optimizer)
        self.grad_scaler.update()
        self.global_step += 1

    def train_step(self, batch: dict) -> None:
        """One optimizer step on one whole batch, whatever ACCUM_STEPS says (what the benchmarks time)."""
        self.accumulate(batch, 0, 1)
        self.optimizer_step()

    def current_lr(self) -> float:
        return float(self.optimizer.param_groups[-1]["lr"])  # the last group is the decoder's full lr

    def log_interval(self, epoch: int, samples: int) -> None:
        means = self.meter.epoch_means(self.dist)
        interval = self.meter.interval_means(self.dist)
        self.meter.reset_interval()
        line = self.clock.line(samples, means)
        if not self.dist.is_main:
            return
        logger.info(line)
        record = {"kind": "interval", "epoch": epoch, "samples": samples, "epoch_samples": self.epoch_samples,
                  "global_step": self.global_step, **record_fields(means),
                  **record_fields(interval, suffix="_interval"), "lr": self.current_lr(), "time": time.time()}
        if self.metrics_writer is not None:
            self.metrics_writer.write(record)
        if self.tb_writer is not None:
            seen = (epoch - 1) * self.epoch_samples + samples
            for name, value in interval.items():
                self.tb_writer.add_scalar(name, value, seen)
            self.tb_writer.add_scalar("LearningRate", self.current_lr(), seen)

    def finish_epoch(self, epoch: int, seconds: float, trained_here: int) -> None:
        means = self.meter.epoch_means(self.dist)
        lr = self.current_lr()
        self.lr_scheduler.step()
        self.epoch = epoch
        record = {"kind": "epoch", "epoch": epoch, "samples": self.epoch_samples, "global_step": self.global_step,
                  **record_fields(means), "lr": lr, "epoch_time": seconds, "time": time.time()}
        self.history.append(record)
        if self.dist.is_main:
            logger.info("Epoch %d done : %d samples , %s , lr: %g , epoch time : %s hours , %.2f samples/s", epoch,
                        self.epoch_samples, format_stats(means), lr, format_hms(seconds),
                        trained_here / max(seconds, 1e-9))
            if self.metrics_writer is not None:
                self.metrics_writer.write(record)
            if self.tb_writer is not None:
                for name, value in means.items():  # Epoch/Loss and Epoch/IoU, as before stats were open-ended
                    self.tb_writer.add_scalar("Epoch/Loss" if name == "Loss/total" else f"Epoch/{name}", value, epoch)
                self.tb_writer.flush()
        self.save_checkpoint(samples_in_epoch=0)
        if self.dist.is_main and self.after_epoch is not None:
            self.after_epoch(self)
