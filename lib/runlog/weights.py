"""Compare the model weights two runs saved: find their epoch-end checkpoints, load the ``net`` state dicts, and
check that every tensor is equal (or within a tolerance)."""

from __future__ import annotations

import math
import pickle
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import torch

from lib.checkpoint.io import list_checkpoints, parse_checkpoint_name
from lib.runlog.records import MetricsError


def epoch_checkpoints(checkpoint_dir: str | Path | None) -> dict[int, Path]:
    """Epoch-end checkpoints (``SEQTRACK_ep0005.pth.tar``) of a directory by epoch; mid-epoch ones are left out."""
    if checkpoint_dir is None or not Path(checkpoint_dir).is_dir():
        return {}
    positions = ((parse_checkpoint_name(path), path) for path in list_checkpoints(checkpoint_dir))
    return {position.epoch: path for position, path in positions if not position.samples}


def load_net_state(path: str | Path) -> dict[str, torch.Tensor]:
    """The model state dict (key ``net``) of a checkpoint, loaded with ``weights_only=True`` on the CPU."""
    try:
        checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    except (OSError, RuntimeError, EOFError, pickle.UnpicklingError) as exc:
        raise MetricsError(f"cannot load checkpoint {path}: {exc}") from None
    net = checkpoint.get("net") if isinstance(checkpoint, dict) else None
    if not isinstance(net, dict) or not all(isinstance(v, torch.Tensor) for v in net.values()):
        raise MetricsError(f"checkpoint {path} has no 'net' state dict of tensors")
    return net


@dataclass
class WeightComparison:
    """The outcome of comparing two state dicts; ``problem`` names the first mismatch (None when they match)."""

    tensors: int
    values: int
    max_abs_diff: float
    problem: str | None

    @property
    def match(self) -> bool:
        return self.problem is None


def compare_state_dicts(first: Mapping[str, torch.Tensor], second: Mapping[str, torch.Tensor],
                        tolerance: float = 0.0) -> WeightComparison:
    """Same keys, shapes and dtypes, and every tensor equal (``torch.equal``; NaNs in the same places match), or
    with ``tolerance`` > 0 a largest absolute difference of at most ``tolerance``."""
    only_first, only_second = sorted(set(first) - set(second)), sorted(set(second) - set(first))
    if only_first or only_second:
        return WeightComparison(0, 0, math.nan, f"key sets differ: only in phase 1 {only_first[:5]}, "
                                                f"only in phase 2 {only_second[:5]}")
    values, max_diff, problem = 0, 0.0, None
    for name in sorted(first):
        a, b = first[name], second[name]
        if a.shape != b.shape or a.dtype != b.dtype:
            return WeightComparison(len(first), values, math.nan, f"{name}: phase 1 has {a.dtype} {tuple(a.shape)}, "
                                                                  f"phase 2 has {b.dtype} {tuple(b.shape)}")
        values += a.numel()
        diff = _max_abs_diff(a, b)
        max_diff = max(max_diff, diff)
        if problem is None and not (_tensors_equal(a, b) or (tolerance > 0 and diff <= tolerance)):
            problem = f"{name}: max |difference| {diff!r}"
    return WeightComparison(len(first), values, max_diff, problem)


def _tensors_equal(a: torch.Tensor, b: torch.Tensor) -> bool:
    if torch.equal(a, b):
        return True
    if not a.is_floating_point():
        return False
    nan_a, nan_b = a.isnan(), b.isnan()
    return torch.equal(nan_a, nan_b) and torch.equal(a[~nan_a], b[~nan_b])


def _max_abs_diff(a: torch.Tensor, b: torch.Tensor) -> float:
    if a.numel() == 0:
        return 0.0
    if a.dtype == torch.bool:
        return float((a != b).any())
    diff = (a.double() - b.double()).abs()
    if a.is_floating_point():
        diff = diff.masked_fill(a.isnan() & b.isnan(), 0.0)  # NaN in both places is no difference
    return float(diff.max())
