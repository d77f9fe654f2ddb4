"""One test sequence of a benchmark, as the tracker and the evaluation see it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class TestSequence:
    """Frames and ground truth of one benchmark sequence (N frames, M ground-truth rows).

    ``ground_truth`` has one row per frame where the benchmark publishes it (M = N, or M > N where the file
    holds extra rows, as LaSOT's monkey-25); GOT-10k test and TrackingNet publish only the first box (M = 1).
    Row 0 is the box the tracker starts from. ``target_visible`` is given where the benchmark flags absence
    (LaSOT, LaSOT_ext: neither fully occluded nor out of view); elsewhere it is None and only an empty or NaN
    box makes a frame invalid in the evaluation.
    """

    __test__ = False  # not a pytest test class, whatever its name

    name: str  # 'mouse-1', 'uav_bike1', 'GOT-10k_Val_000001'
    benchmark: str  # the --dataset_name it belongs to: 'lasot', 'uav', ...
    frames: tuple  # N frame paths, in tracking order
    ground_truth: np.ndarray  # (M, 4) float64 xywh, frame pixels (NaN rows allowed for UAV123)
    target_visible: np.ndarray | None = None  # (M,) bool, or None
    object_class: str | None = None
    labels: Mapping[str, np.ndarray] = field(default_factory=dict)  # per-frame labels (GOT-10k val: 'cover')
    resolution: tuple | None = None  # (width, height) where the benchmark states it (GOT-10k's meta_info.ini)

    @property
    def class_name(self) -> str | None:
        return self.object_class

    @property
    def absent(self) -> np.ndarray:
        """(M,) bool: flagged absent (all False where the benchmark has no flags)."""
        if self.target_visible is None:
            return np.zeros(len(self.ground_truth), dtype=bool)
        return ~np.asarray(self.target_visible, dtype=bool)

    @property
    def init_box(self) -> np.ndarray:
        return self.ground_truth[0]

    def __len__(self) -> int:
        return len(self.frames)
