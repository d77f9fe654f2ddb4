"""Build a training run from a config (device, data, model, actor, optimiser, trainer) and run it."""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

import torch

from lib.checkpoint.checkpointer import resolve_resume
from lib.checkpoint.io import local_checkpoint
from lib.checkpoint.original import load_weights_into
from lib.checkpoint.paths import RunPaths
from lib.checkpoint.run_lock import RunLock, check_writable
from lib.config.seqtrack.config import Config, ConfigError
from lib.hub.upload import hub_uploader_from_config, report_staged_without_uploads
from lib.models.seqtrack import build_seqtrack
from lib.models.seqtrack.seqtrack import fetch_pretrained
from lib.runlog.records import MetricsWriter
from lib.train.actors.seqtrack import build_actor
from lib.train.data.builder import build_train_dataset, collate_frames_first
from lib.train.optim import build_optimizer
from lib.train.trainers.ltr_trainer import LTRTrainer
from lib.utils.atomic_files import remove_stale_temporaries
from lib.utils.device import resolve_device
from lib.utils.distributed import DistInfo, destroy_distributed, init_distributed
from lib.utils.logging_setup import close_logging, setup_logging
from lib.utils.malloc_tuning import keep_freed_memory
from lib.utils.seeding import configure_determinism, seed_everything

logger = logging.getLogger(__name__)


def training_device(spec: str, dist_info: DistInfo) -> torch.device:
    """``TRAIN.DEVICE`` for this process (its own GPU under torchrun), made the current CUDA device."""
    try:
        device = resolve_device(spec, dist_info.local_rank)
    except ConfigError as exc:
        raise ConfigError(f"TRAIN.DEVICE: {exc}") from None
    if device.type == "cuda":
        torch.cuda.set_device(device)
    return device


def _draw_curves(trainer: LTRTrainer) -> None:
    """Refresh the run's Loss / IoU curves after each epoch; a plotting failure never stops training."""
    try:
        from lib.runlog.curves import plot_training_curves
        from lib.runlog.records import read_metrics

        records = read_metrics(trainer.paths.metrics_file)
        plot_training_curves({trainer.paths.config_name: records}, trainer.paths.curves_file, intervals=True)
    except Exception as exc:  # plotting is a convenience: report and go on
        logger.warning("could not draw the training curves: %s", exc)


def _wrap_ddp(net: torch.nn.Module, device: torch.device, dist_info: DistInfo) -> torch.nn.Module:
    if not dist_info.enabled:
        return net
    device_ids = [device.index] if device.type == "cuda" else None
    return torch.nn.parallel.DistributedDataParallel(net, device_ids=device_ids)


def _load_initial_weights(net: torch.nn.Module, init: str) -> None:
    """MODEL.INIT_CHECKPOINT (ours or the original code's; a path or hf://) into ``net`` in place.

    Fine-tuning takes the weights only: the optimizer (built next from these same parameters) starts fresh,
    and training starts at epoch 1.
    """
    loaded = load_weights_into(net, local_checkpoint(init))
    logger.info("Fine-tuning from %s (%s layout, epoch %s): weights loaded; fresh optimizer, starting at epoch 1",
                loaded.path, loaded.layout, loaded.epoch)


def run_training(cfg: Config, config_name: str, save_dir: str | Path, resume: str | None = None,
                 lasot_dir: str | None = None, restore_rng: bool = True, checkpoint_hooks=(),
                 data_roots: dict | None = None) -> LTRTrainer:
    """Train ``cfg`` into ``save_dir``; ``resume`` is a checkpoint path, 'auto', or None/'' (fresh).

    ``lasot_dir`` and ``data_roots`` (root key -> path, e.g. ``{'got10k': ...}``) override where the datasets
    are found (:func:`lib.data.local_settings.resolve_data_root` otherwise).

    ``checkpoint_hooks`` are called on rank 0 as ``hook(path, state)`` after every checkpoint is written
    (uploads, copies). ``restore_rng=False`` exists for the negative control of the resume tests.
    """
    if cfg.TRAIN.DETERMINISTIC:
        # cuBLAS reads this when its first handle is created: set it before anything touches CUDA.
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    device_type = "cuda" if cfg.TRAIN.DEVICE.startswith("cuda") or (
        cfg.TRAIN.DEVICE == "auto" and torch.cuda.is_available()) else "cpu"
    dist_info = init_distributed(device_type)
    paths = RunPaths(Path(save_dir), config_name)
    lock = None
    try:
        if dist_info.is_main:  # before anything is written: a second run into the same folder stops here
            lock = RunLock(paths.checkpoint_dir)
            check_writable(paths.log_file.parent, "the log folder")
            check_writable(paths.tensorboard_dir, "the TensorBoard folder")
        roots = {**(data_roots or {}), **({'lasot': lasot_dir} if lasot_dir else {})}
        return _run(cfg, paths, resume, roots, restore_rng, dist_info, list(checkpoint_hooks))
    finally:
        close_logging()  # also when the run fails before training starts (a bad resume, missing data)
        destroy_distributed()
        if lock is not None:
            lock.release()


def _run(cfg, paths: RunPaths, resume, data_roots, restore_rng, dist_info, hooks) -> LTRTrainer:
    config_name, save_dir = paths.config_name, paths.save_dir
    setup_logging(paths.log_file, dist_info.rank)
    if dist_info.is_main:  # the run lock is held: no other process writes here
        remove_stale_temporaries(paths.checkpoint_dir, "SEQTRACK_*")
    device = training_device(cfg.TRAIN.DEVICE, dist_info)
    configure_determinism(cfg.TRAIN.DETERMINISTIC, device)
    keep_freed_memory()  # before the DataLoader forks its workers, which inherit it
    logger.info("Training seqtrack/%s on %s (%d process%s) into %s", config_name, device, dist_info.world_size,
                "es" if dist_info.world_size > 1 else "", save_dir)
    seed_everything(cfg.TRAIN.SEED)  # the initial weights depend on the seed only

    resume = resume or cfg.TRAIN.RESUME_PATH  # an hf:// path is downloaded first
    resume_path, resume_state = None, None
    if resume:
        resume_path, resume_state = resolve_resume(local_checkpoint(resume), paths.checkpoint_dir)
    init = cfg.MODEL.INIT_CHECKPOINT
    if init and resume_path is not None:
        logger.info("MODEL.INIT_CHECKPOINT %s is ignored: the run resumes from %s with its own weights", init,
                    resume_path)
    if resume_path is None and not init:
        fetch_pretrained(cfg)  # MAE weights that cannot be had stop the run here, before the data is read
    dataset = build_train_dataset(cfg, data_roots=data_roots)
    # MAE weights only matter for a fresh start; a resume or a fine-tuning start overwrites them.
    net = build_seqtrack(cfg, load_pretrained=resume_path is None and not init).to(device)
    logger.info("Model: %d parameters", sum(p.numel() for p in net.parameters()))
    if init and resume_path is None:
        _load_initial_weights(net, init)
    optimizer, lr_scheduler = build_optimizer(cfg, net, device)
    if cfg.TRAIN.COMPILE:
        # In place: the module, its parameter names and its checkpoints stay those of the eager model.
        logger.info("TRAIN.COMPILE: compiling the network with torch.compile (the first steps are slow)")
        net.compile()
    net = _wrap_ddp(net, device, dist_info)
    actor = build_actor(cfg, net)
    grad_scaler = torch.amp.GradScaler(device.type, enabled=False)  # bf16 autocast needs no loss scaling

    metrics_writer = tb_writer = None
    if dist_info.is_main:
        metrics_writer = MetricsWriter(paths.metrics_file)
        from torch.utils.tensorboard import SummaryWriter  # imported late: it is slow to import

        tb_writer = SummaryWriter(log_dir=str(paths.tensorboard_dir))
    trainer = LTRTrainer(actor, dataset, collate_frames_first, optimizer, lr_scheduler, grad_scaler, cfg, paths,
                         dist_info, device, metrics_writer=metrics_writer, tb_writer=tb_writer,
                         after_epoch=_draw_curves)
    trainer.checkpointer.hooks.extend(hooks)
    uploader = hub_uploader_from_config(cfg, paths) if dist_info.is_main else None
    if uploader is not None:
        trainer.checkpointer.hooks.append(uploader)
    elif dist_info.is_main:
        report_staged_without_uploads(paths)
    if resume_path is not None:
        trainer.load_state(resume_path, resume_state, restore_rng=restore_rng)
        if metrics_writer is not None:
            metrics_writer.write({"kind": "resume", "epoch": int(resume_state["epoch"]),
                                  "samples": int(resume_state["samples_in_epoch"]),
                                  "path": str(resume_path.resolve()), "time": time.time()})
    finished = False
    try:
        trainer.train(cfg.TRAIN.EPOCH)
        finished = True
    finally:
        if tb_writer is not None:
            tb_writer.close()
        # After a finished run, uploads are waited for (bounded); after a failure or Ctrl-C the user is not kept
        # waiting: the unpushed epochs are reported and stay staged for the next run.
        trainer.checkpointer.close(interrupted=not finished)
    return trainer
