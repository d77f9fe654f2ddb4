"""What the benchmark scripts measure, built the way training builds it: a config's trainer without data (for
its real ``train_step``), random batches shaped like the loader's, and the save and load of a full checkpoint."""

from __future__ import annotations

import statistics
import time
from pathlib import Path

import torch

from lib.checkpoint.checkpointer import TrainingPosition
from lib.checkpoint.io import CheckpointError, checkpoint_name, load_checkpoint, save_atomic
from lib.checkpoint.paths import RunPaths
from lib.checkpoint.weights_files import weights_config, write_weights
from lib.config.seqtrack.config import Config
from lib.models.seqtrack import build_seqtrack
from lib.train.actors.seqtrack import build_actor
from lib.train.optim import build_optimizer
from lib.train.trainers.ltr_trainer import LTRTrainer
from lib.utils.distributed import DistInfo
from lib.utils.seeding import seed_everything


def random_batch(cfg: Config, batch_size: int, generator: torch.Generator) -> dict:
    """A batch shaped like the data loader's, of random normalised pixels and random boxes inside the crop."""
    templates, search = cfg.DATA.TEMPLATE, cfg.DATA.SEARCH
    template_images = torch.randn(templates.NUMBER, batch_size, 3, templates.SIZE, templates.SIZE,
                                  generator=generator)  # (T, B, 3, Ht, Wt)
    search_images = torch.randn(1, batch_size, 3, search.SIZE, search.SIZE, generator=generator)  # (1, B, 3, Hs, Ws)
    wh = 0.1 + 0.4 * torch.rand(1, batch_size, 2, generator=generator)  # (1, B, 2) widths, heights in [0.1, 0.5)
    xy = torch.rand(1, batch_size, 2, generator=generator) * (1 - wh)  # top-left corner: x + w <= 1, y + h <= 1
    return {"template_images": template_images, "search_images": search_images,
            "search_anno": torch.cat([xy, wh], dim=-1)}  # (1, B, 4) normalised xywh


def build_trainer(cfg: Config, config_name: str, save_dir: Path,
                  device: torch.device = torch.device("cpu")) -> LTRTrainer:
    """The trainer of ``cfg`` on ``device`` (model, optimiser, scheduler, scaler as ``run_training`` wires them),
    without a dataset: for ``train_step`` and checkpoints."""
    seed_everything(cfg.TRAIN.SEED)
    net = build_seqtrack(cfg, load_pretrained=False).to(device)  # speed does not depend on the start weights
    optimizer, lr_scheduler = build_optimizer(cfg, net, device)
    grad_scaler = torch.amp.GradScaler(device.type, enabled=False)
    trainer = LTRTrainer(build_actor(cfg, net), None, None, optimizer, lr_scheduler, grad_scaler, cfg,
                         RunPaths(save_dir, config_name), DistInfo(), device)
    trainer.net.train()
    return trainer


def tensor_mb(tree) -> float:
    """MiB held by the tensors of a nested dict / list."""
    if isinstance(tree, torch.Tensor):
        return tree.numel() * tree.element_size() / 2**20
    if isinstance(tree, dict):
        return sum(tensor_mb(v) for v in tree.values())
    if isinstance(tree, (list, tuple)):
        return sum(tensor_mb(v) for v in tree)
    return 0.0


def time_save_and_load(trainer: LTRTrainer, repeats: int) -> dict:
    """The trainer's full state after one epoch, built by its checkpointer, saved atomically and loaded back
    ``repeats`` times: sizes and seconds."""
    position = TrainingPosition(1, 0, trainer.global_step)  # an epoch-end checkpoint (SEQTRACK_ep0001.pth.tar)
    start = time.perf_counter()
    state = trainer.checkpointer.state(position, trainer.rank_state(), trainer.history)
    state_seconds = time.perf_counter() - start
    path = trainer.checkpointer.directory / checkpoint_name(position.saved_epoch)
    save_seconds, load_seconds = [], []
    for _ in range(repeats):
        save_seconds.append(save_atomic(state, path))
        start = time.perf_counter()
        loaded = load_checkpoint(path)
        load_seconds.append(time.perf_counter() - start)
        if loaded["global_step"] != state["global_step"] or loaded["net"].keys() != state["net"].keys():
            raise CheckpointError(f"{path} read back differs from the state written")
        del loaded
    size_mb = path.stat().st_size / 2**20
    path.unlink()
    weights_seconds = []  # the inference weights every Hub push also writes (model.safetensors + config.json)
    for _ in range(repeats):
        start = time.perf_counter()
        written = write_weights(path.parent / "weights", state["net"], weights_config(state["config"], "bench", 1))
        weights_seconds.append(time.perf_counter() - start)
    weights_mb = written[0].stat().st_size / 2**20
    for file in written:
        file.unlink()
    return {"size_mb": size_mb, "net_mb": tensor_mb(state["net"]), "optimizer_mb": tensor_mb(state["optimizer"]),
            "weights_mb": weights_mb, "weights_save_s": statistics.median(weights_seconds),
            "state_dict_s": state_seconds,
            "save_s": statistics.median(save_seconds), "save_min_s": min(save_seconds), "save_all_s": save_seconds,
            "load_s": statistics.median(load_seconds), "load_min_s": min(load_seconds), "load_all_s": load_seconds}
