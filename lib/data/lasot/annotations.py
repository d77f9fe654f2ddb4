"""Read one LaSOT sequence's annotation files: boxes, occlusion and out-of-view flags, visibility."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from lib.data.errors import DatasetError
from lib.data.text_files import read_boxes, read_flag_line

GROUNDTRUTH = "groundtruth.txt"
FULL_OCCLUSION = "full_occlusion.txt"
OUT_OF_VIEW = "out_of_view.txt"
NLP = "nlp.txt"


@dataclass(frozen=True)
class SequenceAnnotation:
    """Per-frame annotations of one sequence (read-only tensors, N = number of frames)."""

    bbox: torch.Tensor  # (N, 4) float32 xywh, frame pixels
    full_occlusion: torch.Tensor  # (N,) bool
    out_of_view: torch.Tensor  # (N,) bool
    valid: torch.Tensor  # (N,) bool: the box has a positive width and height
    visible: torch.Tensor  # (N,) bool: valid, not fully occluded and not out of view

    @classmethod
    def from_arrays(cls, boxes: np.ndarray, full_occlusion: np.ndarray, out_of_view: np.ndarray):
        """Build from (N, 4) xywh boxes and two (N,) bool flag arrays."""
        bbox = torch.from_numpy(np.ascontiguousarray(boxes, dtype=np.float32))
        occlusion, outside = torch.from_numpy(full_occlusion.astype(bool)), torch.from_numpy(out_of_view.astype(bool))
        valid = (bbox[:, 2] > 0) & (bbox[:, 3] > 0)
        return cls(bbox, occlusion, outside, valid, ~occlusion & ~outside & valid)

    def __len__(self) -> int:
        return self.bbox.shape[0]


def read_groundtruth(path: str | Path) -> np.ndarray:
    """``groundtruth.txt`` -> (N, 4) float64 xywh; a malformed line is an error naming file and line."""
    return read_boxes(path)


def read_flags(path: str | Path, num_frames: int) -> np.ndarray:
    """A LaSOT flag file (one line of comma-separated 0/1) -> (N,) bool, checked against ``num_frames``."""
    return read_flag_line(path, num_frames, GROUNDTRUTH)


def read_sequence_annotation(seq_dir: str | Path) -> SequenceAnnotation:
    """Read ``groundtruth.txt``, ``full_occlusion.txt`` and ``out_of_view.txt`` of ``seq_dir``."""
    seq_dir = Path(seq_dir)
    boxes = read_groundtruth(seq_dir / GROUNDTRUTH)
    occlusion = read_flags(seq_dir / FULL_OCCLUSION, len(boxes))
    out_of_view = read_flags(seq_dir / OUT_OF_VIEW, len(boxes))
    return SequenceAnnotation.from_arrays(boxes, occlusion, out_of_view)


def count_groundtruth_frames(seq_dir: str | Path) -> int:
    """Frames of a sequence = non-empty lines of its ``groundtruth.txt`` (no images read)."""
    path = Path(seq_dir) / GROUNDTRUTH
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise DatasetError(f"annotation file {path} is missing") from None
    return sum(1 for line in data.splitlines() if line.strip())
