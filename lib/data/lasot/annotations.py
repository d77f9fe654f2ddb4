"""Read one LaSOT sequence's annotation files: boxes, occlusion and out-of-view flags, visibility."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from lib.data.errors import DatasetError

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


def _content_lines(path: Path) -> list:
    try:
        lines = path.read_bytes().decode("utf-8").splitlines()
    except FileNotFoundError:
        raise DatasetError(f"annotation file {path} is missing") from None
    except UnicodeDecodeError as exc:
        line = path.read_bytes()[:exc.start].count(b"\n") + 1
        raise DatasetError(f"{path}, line {line}: not text (byte 0x{exc.object[exc.start]:02x} is not UTF-8); "
                           f"the file is damaged: re-download or re-extract the sequence") from None
    except OSError as exc:
        raise DatasetError(f"annotation file {path} cannot be read ({exc.strerror or exc})") from None
    while lines and not lines[-1].strip():
        lines.pop()
    return lines


def _first_bad_line(path: Path, lines: list) -> DatasetError:
    """The error for the first line of ``groundtruth.txt`` that is not four finite numbers."""
    for number, line in enumerate(lines, start=1):
        fields = line.strip().split(",")
        try:
            values = [float(v) for v in fields]
        except ValueError:
            values = []
        if len(values) != 4 or not all(np.isfinite(values)):
            return DatasetError(f"{path}, line {number}: expected 'x,y,w,h' (four numbers), got {line!r}")
    return DatasetError(f"{path}: cannot parse the boxes")


def read_groundtruth(path: str | Path) -> np.ndarray:
    """``groundtruth.txt`` -> (N, 4) float64 xywh; a malformed line is an error naming file and line."""
    path = Path(path)
    lines = _content_lines(path)
    if not lines:
        raise DatasetError(f"{path} holds no boxes")
    try:  # fast path: one conversion of the whole file
        values = np.array(",".join(lines).split(","), dtype=np.float64)
    except ValueError:
        raise _first_bad_line(path, lines) from None
    if values.size != 4 * len(lines) or not np.isfinite(values).all():
        raise _first_bad_line(path, lines)
    return values.reshape(-1, 4)


def read_flags(path: str | Path, num_frames: int) -> np.ndarray:
    """A LaSOT flag file (one line of comma-separated 0/1) -> (N,) bool, checked against ``num_frames``."""
    path = Path(path)
    text = "\n".join(_content_lines(path)).strip()
    fields = re.split(r"[,\s]+", text) if text else []
    if any(f not in ("0", "1") for f in fields):
        bad = next(f for f in fields if f not in ("0", "1"))
        raise DatasetError(f"{path}: expected comma-separated 0/1 flags, found {bad!r}")
    if len(fields) != num_frames:
        raise DatasetError(f"{path}: {len(fields)} flags but {num_frames} boxes in {GROUNDTRUTH}")
    return np.array(fields) == "1"


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
