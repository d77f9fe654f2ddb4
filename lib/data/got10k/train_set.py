"""The GOT-10k training dataset: the sequences of one split of the train folder, their annotations and frames."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Sequence
from pathlib import Path

from lib.data.annotation_cache import CachedAnnotations, cached_annotations
from lib.data.errors import DatasetError
from lib.data.got10k.annotations import ANNOTATION_FILES, no_meta, read_sequence_annotation
from lib.data.got10k.layout import (
    FIX,
    LIST_FILE,
    frame_path,
    incompleteness,
    read_sequence_list,
    select_sequences,
    train_folder,
)
from lib.data.got10k.splits import check_split, dataset_name, read_split_file, split_indices
from lib.data.image_loader import ImageLoader
from lib.data.video_dataset import AnnotationTable, VideoDataset
from lib.utils.stage_timer import NO_TIMER

logger = logging.getLogger(__name__)

VERSION = 1  # of the parsing below: bump it when it changes, so that cached annotations are rebuilt


def _read_one(folder: Path, name: str) -> tuple:
    seq_dir = folder / name
    try:
        return read_sequence_annotation(seq_dir)
    except DatasetError as exc:
        if not seq_dir.is_dir():
            raise DatasetError(f"GOT-10k sequence folder {seq_dir} (listed in {LIST_FILE}) is missing; "
                               f"{FIX}") from None
        raise DatasetError(f"GOT-10k sequence {name}: {exc}; {FIX}") from None


def _read_table(folder: Path, sequences: Sequence[str]) -> CachedAnnotations:
    read = [_read_one(folder, name) for name in sequences]
    meta = [m for _, m in read]
    return CachedAnnotations(AnnotationTable.from_sequences([columns for columns, _ in read]), list(sequences),
                             [m["object_class_name"] for m in meta], meta)


class Got10k(VideoDataset):
    """The GOT-10k train folder's sequences of ``split`` ('vottrain', 'votval', 'train_full', 'train', 'val').

    ``root``: the GOT-10k folder holding ``train/`` (as for the test side), or the train folder itself.
    ``split_file``: a file of 0-based ``list.txt`` indices, one per line, used instead of the official split
    (for a partial copy of GOT-10k); the dataset keeps the split's name. Sequences follow the split file's order.

    Annotations are read once (or taken from :mod:`lib.data.annotation_cache`) and kept in memory.
    visible = not absent, cover > 0 and a box of positive size; the extra column ``visible_ratio`` is cover / 8.
    :meth:`sequence_meta` gives meta_info.ini's classes and motion (None without the file); the sequence's
    class is its object class. A sequence's frames are checked the first time they are read.
    """

    name = "GOT10K"

    def __init__(self, root: str | Path, split: str = "vottrain", image_loader: ImageLoader | None = None,
                 timer=NO_TIMER, use_cache: bool = True, split_file: str | Path | None = None):
        start = time.perf_counter()
        self.split = check_split(split)
        self.name = dataset_name(split)
        folder = train_folder(root)
        indices = read_split_file(split_file) if split_file is not None else split_indices(split)
        label = f"'{split}'" + (f" (from {split_file})" if split_file is not None else "")
        sequences = select_sequences(read_sequence_list(folder), indices, label, folder / LIST_FILE)
        # the cache entry's identity; the sequences and their order enter its fingerprint through the file paths
        parameters = {"root": str(folder.resolve()), "split": split,
                      "split_file": str(Path(split_file).resolve()) if split_file is not None else None}
        # plain strings: 4 paths per sequence, built much faster than Path objects (the same fingerprint)
        files = [os.path.join(folder, name, file) for name in sequences for file in ANNOTATION_FILES]
        cached = cached_annotations("got10k", VERSION, parameters, files, lambda: _read_table(folder, sequences),
                                    use_cache)
        super().__init__(folder, cached.names, cached.table, cached.classes, image_loader, timer)
        self._meta = cached.meta
        logger.info("GOT-10k %s: %d sequences, %d frames (annotations read in %.2f s)", split,
                    self.get_num_sequences(), self.table.total_frames, time.perf_counter() - start)

    def frame_path(self, seq_id: int, frame_id: int) -> Path:
        """Path of 0-based frame ``frame_id``: ``<train>/<sequence>/{frame_id + 1:08d}.jpg``."""
        return frame_path(self.root / self.sequence_list[seq_id], frame_id)

    def incompleteness(self, seq_id: int) -> str | None:
        """Frames missing from the sequence folder, with what to do."""
        return incompleteness(self.root / self.sequence_list[seq_id], self.num_frames(seq_id))

    def sequence_meta(self, seq_id: int) -> dict:
        """``{object_class_name, motion_class, major_class, root_class, motion_adverb}`` of meta_info.ini."""
        return {**no_meta(), **self._meta[seq_id]}

