"""The LaSOT dataset: sequences of the official split for chosen classes, their annotations and frames."""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from lib.data.errors import DatasetError
from lib.utils.stage_timer import NO_TIMER
from lib.data.image_loader import FrameRef, ImageLoader, jpeg_size, opencv_loader
from lib.data.lasot.annotations import SequenceAnnotation, count_groundtruth_frames, read_sequence_annotation
from lib.data.lasot.layout import frame_path, incompleteness
from lib.data.lasot.splits import (check_class_dirs, check_classes, check_root, sequence_class, sequence_dir,
                                   sequences_of)

logger = logging.getLogger(__name__)


def _check_sequence_dirs(root: Path, sequences: Sequence[str]) -> None:
    for name in sequences:
        if not sequence_dir(root, name).is_dir():
            raise DatasetError(f"LaSOT sequence folder {sequence_dir(root, name)} is missing "
                               f"(sequence '{name}' of the official split)")


class Lasot:
    """LaSOT sequences of one split, restricted to ``classes`` (None or empty = all 70).

    Every sequence's annotations are read once, when the dataset is built, and kept in memory: DataLoader
    workers inherit them instead of re-reading ``groundtruth.txt`` each epoch. Frames are decoded on demand;
    a sequence's frame count is checked against its annotations the first time its frames are read.
    """

    name = "LASOT"

    def __init__(self, root: str | Path, split: str = "train", classes: Iterable[str] | None = None,
                 image_loader: ImageLoader | None = None, timer=NO_TIMER):
        start = time.perf_counter()
        self.root = check_root(root)
        self.split = split
        self.classes = check_classes(classes)
        check_class_dirs(self.root, self.classes)
        self.sequence_list = sequences_of(split, self.classes)
        _check_sequence_dirs(self.root, self.sequence_list)
        self.image_loader = image_loader or opencv_loader
        self.timer = timer  # a benchmark's StageTimer, else a no-op
        self._annotations = [read_sequence_annotation(sequence_dir(self.root, name))
                             for name in self.sequence_list]
        self._frames_checked: set = set()
        logger.info("LaSOT %s: %d classes, %d sequences, %d frames (annotations read in %.2f s)", split,
                    len(self.classes), len(self.sequence_list), sum(len(a) for a in self._annotations),
                    time.perf_counter() - start)

    def get_num_sequences(self) -> int:
        return len(self.sequence_list)

    def sequence_name(self, seq_id: int) -> str:
        return self.sequence_list[seq_id]

    def get_sequence_info(self, seq_id: int) -> dict:
        """``{'bbox': (N, 4) float32 xywh, 'valid': (N,) bool, 'visible': (N,) bool}`` (shared tensors)."""
        anno = self._annotations[seq_id]
        return {"bbox": anno.bbox, "valid": anno.valid, "visible": anno.visible}

    def frame_path(self, seq_id: int, frame_id: int) -> Path:
        """Path of 0-based frame ``frame_id``: ``img/{frame_id + 1:08d}.jpg``."""
        return frame_path(sequence_dir(self.root, self.sequence_list[seq_id]), frame_id)

    def _check_frame_count(self, seq_id: int) -> None:
        """An incomplete sequence (:mod:`lib.data.lasot.layout`) is an error naming it (checked once per process)."""
        if seq_id in self._frames_checked:
            return
        name = self.sequence_list[seq_id]
        problem = incompleteness(sequence_dir(self.root, name), len(self._annotations[seq_id]))
        if problem:
            raise DatasetError(f"LaSOT sequence '{name}' is incomplete: {problem}; re-download or re-extract the "
                               f"class {sequence_class(name)}")
        self._frames_checked.add(seq_id)

    def get_frames(self, seq_id: int, frame_ids: Sequence[int], anno: dict | None = None):
        """Frames ``frame_ids`` (0-based, repeats allowed) of sequence ``seq_id``.

        Returns ``(frames, anno_frames, meta)``: a list of HxWx3 uint8 RGB arrays (a repeated id is decoded
        once and shared: do not modify them in place), ``{key: [per-frame tensor, ...]}`` and
        ``{'object_class_name', 'sequence_name'}``.
        """
        self._check_frame_ids(seq_id, frame_ids)
        with self.timer.stage("decode"):
            decoded = {f: self.image_loader(str(self.frame_path(seq_id, f)))
                       for f in dict.fromkeys(map(int, frame_ids))}
        return [decoded[int(f)] for f in frame_ids], *self._frame_annotations(seq_id, frame_ids, anno)

    def get_frame_refs(self, seq_id: int, frame_ids: Sequence[int], anno: dict | None = None):
        """Like :meth:`get_frames`, but each JPEG frame is a :class:`FrameRef` (size read from its header,
        decoded later, possibly reduced); a frame that is not a JPEG is decoded now. A repeated id gives
        the same object."""
        self._check_frame_ids(seq_id, frame_ids)
        with self.timer.stage("decode"):
            refs = {}
            for f in dict.fromkeys(map(int, frame_ids)):
                path = str(self.frame_path(seq_id, f))
                size = jpeg_size(path)
                refs[f] = FrameRef(path, *size, self.image_loader) if size else self.image_loader(path)
        return [refs[int(f)] for f in frame_ids], *self._frame_annotations(seq_id, frame_ids, anno)

    def _check_frame_ids(self, seq_id: int, frame_ids: Sequence[int]) -> None:
        self._check_frame_count(seq_id)
        num_frames = len(self._annotations[seq_id])
        bad = [f for f in frame_ids if not 0 <= int(f) < num_frames]
        if bad:
            raise IndexError(f"frame ids {bad} out of range for '{self.sequence_name(seq_id)}' ({num_frames} frames)")

    def _frame_annotations(self, seq_id: int, frame_ids: Sequence[int], anno: dict | None) -> tuple:
        """``(anno_frames, meta)`` of :meth:`get_frames`."""
        with self.timer.stage("annotations"):
            anno = self.get_sequence_info(seq_id) if anno is None else anno
            anno_frames = {key: [value[int(f), ...].clone() for f in frame_ids] for key, value in anno.items()}
            name = self.sequence_name(seq_id)
            meta = {"object_class_name": sequence_class(name), "sequence_name": name}
        return anno_frames, meta


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

