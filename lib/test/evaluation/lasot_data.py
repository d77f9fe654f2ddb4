"""LaSOT test sequences for the tracker and the evaluation: names, frames, ground truth, absence flags.

The split lists, the annotation reader and the checkpoint reader are shared with training through
``lib/utils``; this module gathers what the tracker and the evaluation use.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from lib.utils.checkpoint_io import CheckpointError, load_checkpoint  # noqa: F401  (re-exported)
from lib.utils.errors import DatasetError
from lib.utils.frames import decode_frame
from lib.utils.lasot_annotations import read_groundtruth, read_sequence_annotation  # noqa: F401
from lib.utils.lasot_specs import (check_classes, check_root, lasot_classes, sequence_class, sequence_dir,  # noqa: F401
                                   sequences_of, split_sequences)

__all__ = [
    "CheckpointError", "DatasetError", "LasotSequence", "check_classes", "check_root", "lasot_classes",
    "load_checkpoint", "load_test_sequence", "read_frame", "read_groundtruth", "sequence_class",
    "split_sequences", "test_sequence_names",
]

FRAME_NAME = "{:08d}.jpg"  # LaSOT frame files: img/00000001.jpg ...


@dataclass(frozen=True)
class LasotSequence:
    """One sequence as the tracker and the evaluation see it (N = frames)."""

    name: str  # 'mouse-1'
    frames: tuple  # N frame paths, in order
    ground_truth: np.ndarray  # (N, 4) float64 xywh, frame pixels; absent frames may hold 0,0,0,0
    absent: np.ndarray  # (N,) bool: full_occlusion or out_of_view

    @property
    def class_name(self) -> str:
        return sequence_class(self.name)

    def __len__(self) -> int:
        return len(self.frames)


def test_sequence_names(classes: Sequence[str] | None) -> list:
    """The official test sequences (4 per class) of ``classes``; empty or None = all 70 classes (280)."""
    return sequences_of("test", check_classes(classes))


def load_test_sequence(root: str | Path, name: str, check_frames: bool = True) -> LasotSequence:
    """Annotations and frame paths of sequence ``name`` under the LaSOT ``root``.

    With ``check_frames`` (for tracking; the evaluation needs only the annotations) every frame the
    ground truth counts must exist as ``img/%08d.jpg``; a missing one is a :class:`DatasetError` naming
    the sequence, how many frames are missing and the first of them.
    """
    seq_dir = sequence_dir(Path(root), name)
    if not seq_dir.is_dir():
        raise DatasetError(f"sequence {name}: folder {seq_dir} does not exist (is {root} the LaSOT root, with "
                           f"the class {sequence_class(name)} downloaded?)")
    annotation = read_sequence_annotation(seq_dir)
    frames = tuple(str(seq_dir / "img" / FRAME_NAME.format(i)) for i in range(1, len(annotation) + 1))
    missing = [path for path in frames if not Path(path).is_file()] if check_frames else []
    if missing:
        raise DatasetError(f"sequence {name}: {len(missing)} of {len(frames)} frames are missing (first: "
                           f"{missing[0]}); re-download or re-extract the class {sequence_class(name)}")
    absent = (annotation.full_occlusion | annotation.out_of_view).numpy()
    return LasotSequence(name, frames, annotation.bbox.numpy().astype(np.float64), absent)


def read_frame(path: str | Path) -> np.ndarray:
    """Decode a frame: HxWx3 uint8 RGB. A file that is missing, truncated or cannot be decoded is a
    :class:`~lib.utils.frames.FrameError` (a DatasetError) naming it."""
    return decode_frame(path)
