"""LaSOT test sequences for the tracker and the evaluation: names, frame paths, ground truth, absence flags."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lib.data.errors import DatasetError
from lib.data.lasot.annotations import read_sequence_annotation
from lib.data.lasot.layout import frame_path, incompleteness
from lib.data.lasot.splits import check_classes, sequence_class, sequence_dir, sequences_of


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

    With ``check_frames`` (for tracking; the evaluation needs only the annotations) the sequence must be
    complete (:mod:`lib.data.lasot.layout`); an incomplete one is a :class:`DatasetError` naming the
    sequence, how many frames are missing and the first of them.
    """
    seq_dir = sequence_dir(Path(root), name)
    if not seq_dir.is_dir():
        raise DatasetError(f"sequence {name}: folder {seq_dir} does not exist (is {root} the LaSOT root, with "
                           f"the class {sequence_class(name)} downloaded?)")
    annotation = read_sequence_annotation(seq_dir)
    frames = tuple(str(frame_path(seq_dir, i)) for i in range(len(annotation)))
    problem = incompleteness(seq_dir, len(annotation)) if check_frames else None
    if problem:
        raise DatasetError(f"sequence {name}: {problem}; re-download or re-extract the class {sequence_class(name)}")
    absent = (annotation.full_occlusion | annotation.out_of_view).numpy()
    return LasotSequence(name, frames, annotation.bbox.numpy().astype(np.float64), absent)
