"""The device a run or a tracker uses, from ``auto`` / ``cpu`` / ``cuda`` / ``cuda:N`` (the one place that decides)."""

from __future__ import annotations

import torch

from lib.config.seqtrack.config import ConfigError


def resolve_device(spec: str, local_rank: int = 0) -> torch.device:
    """``auto`` = the GPU when CUDA is present, else the CPU; ``cuda`` without an index = GPU ``local_rank``
    (this process's under torchrun). A CUDA device without CUDA, or a malformed name, is a ConfigError."""
    if spec == "auto":
        spec = "cuda" if torch.cuda.is_available() else "cpu"
    try:
        device = torch.device(spec)
    except RuntimeError:
        raise ConfigError(f"unknown device {spec!r}; expected cpu, cuda, cuda:N or auto") from None
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise ConfigError(f"device {spec!r} requested but CUDA is not available; use cpu or auto")
        if device.index is None:
            device = torch.device("cuda", local_rank)
    return device
