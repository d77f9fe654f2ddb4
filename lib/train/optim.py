"""AdamW with the encoder's learning-rate multiplier, and the per-epoch StepLR schedule."""

from __future__ import annotations

import logging

import torch

from lib.config.seqtrack.config import Config, ConfigError
from lib.models.seqtrack.seqtrack import ENCODER_PREFIX, encoder_parameters, non_encoder_parameters

logger = logging.getLogger(__name__)


def _freeze_encoder(net: torch.nn.Module, open_fragments) -> None:
    for name, param in net.named_parameters():
        if name.startswith(ENCODER_PREFIX) and not any(fragment in name for fragment in open_fragments):
            param.requires_grad_(False)


def build_optimizer(cfg: Config, net: torch.nn.Module, device: torch.device):
    """``(optimizer, lr_scheduler)``: encoder parameters at ``LR x ENCODER_MULTIPLIER``, the rest at ``LR``."""
    train = cfg.TRAIN
    if train.OPTIMIZER != "ADAMW":
        raise ConfigError(f"TRAIN.OPTIMIZER {train.OPTIMIZER!r} is not supported; use ADAMW")
    if train.SCHEDULER.TYPE != "step":
        raise ConfigError(f"TRAIN.SCHEDULER.TYPE {train.SCHEDULER.TYPE!r} is not supported; use step")
    if train.FREEZE_ENCODER:
        _freeze_encoder(net, train.ENCODER_OPEN)
    encoder, others = list(encoder_parameters(net)), list(non_encoder_parameters(net))
    groups = [{"params": others, "lr": train.LR}]
    if encoder:  # the encoder group first, so param_groups[-1] always holds the full learning rate
        groups.insert(0, {"params": encoder, "lr": train.LR * train.ENCODER_MULTIPLIER})
    # fused AdamW is the fast path on CUDA; the CPU keeps the default (foreach) implementation
    optimizer = torch.optim.AdamW(groups, lr=train.LR, weight_decay=train.WEIGHT_DECAY,
                                  fused=True if device.type == "cuda" else None)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=train.LR_DROP_EPOCH,
                                                gamma=train.SCHEDULER.DECAY_RATE)
    n_encoder = sum(p.numel() for p in encoder)
    n_other = sum(p.numel() for p in others)
    logger.info("Optimizer AdamW: %d encoder parameters at lr %g, %d others at lr %g",
                n_encoder, train.LR * train.ENCODER_MULTIPLIER, n_other, train.LR)
    return optimizer, scheduler
