"""The LaSOT dataset: sequences of the official split for chosen classes, their annotations and frames."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lib.data.annotation_cache import CachedAnnotations, cached_annotations
from lib.data.errors import DatasetError
from lib.data.image_loader import ImageLoader
from lib.data.lasot.annotations import (
    FULL_OCCLUSION,
    GROUNDTRUTH,
    OUT_OF_VIEW,
    count_groundtruth_frames,
    read_sequence_annotation,
)
from lib.data.lasot.layout import frame_path, incompleteness
from lib.data.lasot.splits import (
    check_class_dirs,
    check_classes,
    check_root,
    sequence_class,
    sequence_dir,
    sequences_of,
)
from lib.data.video_dataset import AnnotationTable, VideoDataset
from lib.utils.stage_timer import NO_TIMER

logger = logging.getLogger(__name__)


def _check_sequence_dirs(root: Path, sequences: Sequence[str]) -> None:
    for name in sequences:
        if not sequence_dir(root, name).is_dir():
            raise DatasetError(f"LaSOT sequence folder {sequence_dir(root, name)} is missing "
                               f"(sequence '{name}' of the official split)")


def _read_table(root: Path, sequences: Sequence[str]) -> CachedAnnotations:
    annotations = [read_sequence_annotation(sequence_dir(root, name)) for name in sequences]
    table = AnnotationTable.from_sequences([{"boxes": a.bbox.numpy(), "valid": a.valid.numpy(),
                                             "visible": a.visible.numpy()} for a in annotations])
    return CachedAnnotations(table, list(sequences), [sequence_class(n) for n in sequences], [])


class Lasot(VideoDataset):
    """LaSOT sequences of one split, restricted to ``classes`` (None or empty = all 70).

    Every sequence's annotations are read once, when the dataset is built (or taken from the annotation
    cache, :mod:`lib.data.annotation_cache`), and kept in memory: DataLoader workers inherit them instead of
    re-reading ``groundtruth.txt`` each epoch. visible = w > 0 and h > 0 and neither fully occluded nor out of
    view. Frames are decoded on demand; a sequence's frame count is checked against its annotations the first
    time its frames are read.
    """

    name = "LASOT"

    def __init__(self, root: str | Path, split: str = "train", classes: Iterable[str] | None = None,
                 image_loader: ImageLoader | None = None, timer=NO_TIMER, use_cache: bool = True):
        start = time.perf_counter()
        root = check_root(root)
        self.split = split
        self.classes = check_classes(classes)
        check_class_dirs(root, self.classes)
        sequences = sequences_of(split, self.classes)
        _check_sequence_dirs(root, sequences)
        files = [sequence_dir(root, n) / f for n in sequences for f in (GROUNDTRUTH, FULL_OCCLUSION, OUT_OF_VIEW)]
        cached = cached_annotations("lasot", 1, {"root": str(root.resolve()), "split": split, "sequences": sequences},
                                    files, lambda: _read_table(root, sequences), use_cache)
        super().__init__(root, cached.names, cached.table, cached.classes, image_loader, timer)
        logger.info("LaSOT %s: %d classes, %d sequences, %d frames (annotations read in %.2f s)", split,
                    len(self.classes), self.get_num_sequences(), self.table.total_frames,
                    time.perf_counter() - start)

    def frame_path(self, seq_id: int, frame_id: int) -> Path:
        """Path of 0-based frame ``frame_id``: ``img/{frame_id + 1:08d}.jpg``."""
        return frame_path(sequence_dir(self.root, self.sequence_list[seq_id]), frame_id)

    def incompleteness(self, seq_id: int) -> str | None:
        """Frames missing from ``img/`` (:mod:`lib.data.lasot.layout`), with what to do."""
        name = self.sequence_list[seq_id]
        problem = incompleteness(sequence_dir(self.root, name), self.num_frames(seq_id))
        return f"{problem}; re-download or re-extract the class {sequence_class(name)}" if problem else None


@dataclass(frozen=True)
class ClassCount:
    """Sequences and frames of one class in the official train and test splits."""

    name: str
    train_sequences: int
    train_frames: int
    test_sequences: int
    test_frames: int


def count_lasot(root: str | Path, classes: Iterable[str] | None = None) -> list:
    """Per class (in the order asked; None or empty = all 70) a :class:`ClassCount`, from annotations only."""
    root = check_root(root)
    chosen = check_classes(classes)
    check_class_dirs(root, chosen)
    counts = []
    for name in chosen:
        per_split = {}
        for split in ("train", "test"):
            sequences = sequences_of(split, [name])
            _check_sequence_dirs(root, sequences)
            frames = [count_groundtruth_frames(sequence_dir(root, seq)) for seq in sequences]
            per_split[split] = (len(sequences), int(np.sum(frames, dtype=np.int64)))
        counts.append(ClassCount(name, *per_split["train"], *per_split["test"]))
    return counts

