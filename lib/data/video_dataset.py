"""What every training dataset is to the sampler: sequences with per-frame boxes and visibility, and frames.

A dataset reads its annotations once, when it is built, into an :class:`AnnotationTable` (flat arrays, one
row per frame; sequence ``i`` holds rows ``offsets[i]:offsets[i + 1]``), which DataLoader workers inherit and
which :mod:`lib.data.annotation_cache` can keep on disk between runs. Frames are decoded on demand. A
subclass names its sequences and says where a frame lives (:meth:`VideoDataset.frame_path`) and when a
sequence is incomplete (:meth:`VideoDataset.incompleteness`); the rest is shared.

Image datasets (COCO) are sequences of one frame (``is_video = False``): every frame id asks for that frame,
as the original's image datasets repeat their one image and its box.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from lib.data.errors import DatasetError
from lib.data.image_loader import FrameRef, ImageLoader, jpeg_size, opencv_loader
from lib.utils.stage_timer import NO_TIMER


@dataclass(frozen=True)
class AnnotationTable:
    """Per-frame annotations of many sequences in flat arrays (F frames in all, S sequences)."""

    boxes: np.ndarray  # (F, 4) float32 xywh, frame pixels
    valid: np.ndarray  # (F,) bool: the box has a positive width and height
    visible: np.ndarray  # (F,) bool: the dataset's visibility rule (valid and not absent, ...)
    offsets: np.ndarray  # (S + 1,) int64: sequence i holds rows offsets[i]:offsets[i + 1]
    extra: Mapping[str, np.ndarray] = field(default_factory=dict)  # more (F,) columns, e.g. GOT-10k's visible_ratio

    @classmethod
    def from_sequences(cls, sequences: Sequence[Mapping[str, np.ndarray]]) -> AnnotationTable:
        """One table from per-sequence dicts ``{'boxes': (N, 4), 'visible': (N,), [extra columns]}``; ``valid``
        is computed (w > 0 and h > 0) unless given."""
        lengths = [len(s["boxes"]) for s in sequences]
        offsets = np.zeros(len(sequences) + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])

        def column(key: str, dtype, width: int | None = None) -> np.ndarray:
            shape = (0, width) if width else (0,)
            parts = [np.asarray(s[key], dtype=dtype).reshape(-1, width) if width else np.asarray(s[key], dtype=dtype)
                     for s in sequences]
            return np.ascontiguousarray(np.concatenate(parts)) if parts else np.zeros(shape, dtype)

        boxes = column("boxes", np.float32, 4)
        valid = (column("valid", bool) if sequences and "valid" in sequences[0]
                 else (boxes[:, 2] > 0) & (boxes[:, 3] > 0))
        keys = [k for k in (sequences[0] if sequences else {}) if k not in ("boxes", "valid", "visible")]
        return cls(boxes, valid, column("visible", bool), offsets, {k: column(k, np.float32) for k in keys})

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def num_frames(self, seq_id: int) -> int:
        return int(self.offsets[seq_id + 1] - self.offsets[seq_id])

    @property
    def total_frames(self) -> int:
        return int(self.offsets[-1])

    def sequence_info(self, seq_id: int) -> dict:
        """``{'bbox': (N, 4) float32, 'valid': (N,) bool, 'visible': (N,) bool, ...extra}`` as torch tensors
        sharing the table's memory (read-only: do not modify them)."""
        rows = slice(int(self.offsets[seq_id]), int(self.offsets[seq_id + 1]))
        info = {"bbox": torch.from_numpy(self.boxes[rows]), "valid": torch.from_numpy(self.valid[rows]),
                "visible": torch.from_numpy(self.visible[rows])}
        info.update({key: torch.from_numpy(values[rows]) for key, values in self.extra.items()})
        return info

    def arrays(self) -> dict:
        """Every array by name (for :mod:`lib.data.annotation_cache`)."""
        return {"boxes": self.boxes, "valid": self.valid, "visible": self.visible, "offsets": self.offsets,
                **{f"extra_{key}": values for key, values in self.extra.items()}}

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, np.ndarray]) -> AnnotationTable:
        """Inverse of :meth:`arrays`."""
        extra = {key[len("extra_"):]: np.asarray(v) for key, v in arrays.items() if key.startswith("extra_")}
        return cls(np.asarray(arrays["boxes"]), np.asarray(arrays["valid"]), np.asarray(arrays["visible"]),
                   np.asarray(arrays["offsets"]), extra)


class VideoDataset:
    """Sequences of one training dataset: names, classes, annotations, frames.

    Subclasses set :attr:`name` (the config's ``DATASETS_NAME``), build ``sequence_list``, ``classes`` (one
    class name or None per sequence) and ``table`` (an :class:`AnnotationTable`) and implement
    :meth:`frame_path`; they may override :meth:`incompleteness` and :meth:`sequence_meta`.
    """

    name = "?"
    is_video = True  # False: every sequence is one image (COCO)

    def __init__(self, root: Path, sequence_list: Sequence[str], table: AnnotationTable,
                 classes: Sequence[str | None] | None = None, image_loader: ImageLoader | None = None,
                 timer=NO_TIMER):
        if len(sequence_list) != len(table):
            raise ValueError(f"{len(sequence_list)} sequence names for {len(table)} annotated sequences")
        self.root = Path(root)
        self.sequence_list = list(sequence_list)
        self.table = table
        self.sequence_classes = list(classes) if classes is not None else [None] * len(self.sequence_list)
        self.image_loader = image_loader or opencv_loader
        self.timer = timer  # a benchmark's StageTimer, else a no-op
        self._frames_checked: set = set()

    # ------------------------------------------------------------------ what subclasses provide
    def frame_path(self, seq_id: int, frame_id: int) -> Path:
        """The file of 0-based frame ``frame_id`` of sequence ``seq_id``."""
        raise NotImplementedError

    def incompleteness(self, seq_id: int) -> str | None:
        """Why sequence ``seq_id`` cannot be read (frames missing), or None; checked once, on first use."""
        return None

    def sequence_meta(self, seq_id: int) -> dict:
        """What the original's ``get_frames`` returns as meta: at least ``object_class_name``."""
        return {"object_class_name": self.sequence_classes[seq_id]}

    # ------------------------------------------------------------------ shared
    def get_num_sequences(self) -> int:
        return len(self.sequence_list)

    def sequence_name(self, seq_id: int) -> str:
        return self.sequence_list[seq_id]

    def sequence_class(self, seq_id: int) -> str | None:
        return self.sequence_classes[seq_id]

    def num_frames(self, seq_id: int) -> int:
        return self.table.num_frames(seq_id)

    def get_sequence_info(self, seq_id: int) -> dict:
        """``{'bbox': (N, 4) float32 xywh, 'valid': (N,) bool, 'visible': (N,) bool, ...}`` (shared tensors)."""
        return self.table.sequence_info(seq_id)

    def get_frames(self, seq_id: int, frame_ids: Sequence[int], anno: dict | None = None):
        """Frames ``frame_ids`` (0-based, repeats allowed) of sequence ``seq_id``.

        Returns ``(frames, anno_frames, meta)``: a list of HxWx3 uint8 RGB arrays (a repeated id is decoded
        once and shared: do not modify them in place), ``{key: [per-frame tensor, ...]}`` and ``meta``
        (:meth:`sequence_meta` plus ``sequence_name``).
        """
        rows = self._rows(seq_id, frame_ids)
        with self.timer.stage("decode"):
            decoded = {r: self.image_loader(str(self.frame_path(seq_id, r))) for r in dict.fromkeys(rows)}
        return [decoded[r] for r in rows], *self._frame_annotations(seq_id, rows, anno)

    def get_frame_refs(self, seq_id: int, frame_ids: Sequence[int], anno: dict | None = None):
        """Like :meth:`get_frames`, but each JPEG frame is a :class:`FrameRef` (size read from its header,
        decoded later, possibly reduced); a frame that is not a JPEG is decoded now. A repeated id gives
        the same object."""
        rows = self._rows(seq_id, frame_ids)
        with self.timer.stage("decode"):
            refs = {}
            for r in dict.fromkeys(rows):
                path = str(self.frame_path(seq_id, r))
                size = jpeg_size(path)
                refs[r] = FrameRef(path, *size, self.image_loader) if size else self.image_loader(path)
        return [refs[r] for r in rows], *self._frame_annotations(seq_id, rows, anno)

    def _rows(self, seq_id: int, frame_ids: Sequence[int]) -> list:
        """The annotation rows (= frame ids) asked for, checked; an image dataset's ids all mean its one frame."""
        self._check_sequence(seq_id)
        if not self.is_video:
            return [0] * len(frame_ids)
        num_frames = self.num_frames(seq_id)
        bad = [f for f in frame_ids if not 0 <= int(f) < num_frames]
        if bad:
            raise IndexError(f"frame ids {bad} out of range for '{self.sequence_name(seq_id)}' ({num_frames} frames)")
        return [int(f) for f in frame_ids]

    def _check_sequence(self, seq_id: int) -> None:
        if seq_id in self._frames_checked:
            return
        problem = self.incompleteness(seq_id)
        if problem:
            raise DatasetError(f"{self.name} sequence '{self.sequence_name(seq_id)}' is incomplete: {problem}")
        self._frames_checked.add(seq_id)

    def _frame_annotations(self, seq_id: int, rows: Sequence[int], anno: dict | None) -> tuple:
        """``(anno_frames, meta)`` of :meth:`get_frames`."""
        with self.timer.stage("annotations"):
            anno = self.get_sequence_info(seq_id) if anno is None else anno
            anno_frames = {key: [value[r, ...].clone() for r in rows] for key, value in anno.items()}
            meta = {**self.sequence_meta(seq_id), "sequence_name": self.sequence_name(seq_id)}
        return anno_frames, meta

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.name}, {self.get_num_sequences()} sequences, root={self.root})"
