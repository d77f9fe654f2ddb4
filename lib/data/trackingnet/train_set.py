"""The TrackingNet training dataset: the videos of the chosen chunks, their annotations and frames.

Two choices differ from the original, on purpose:

- Videos are listed per chunk in **sorted** order of their annotation file names. The original takes
  ``os.listdir``'s order, which depends on the file system, so that a sequence id (and with it every sampled
  epoch) would differ between two copies of the same data.
- A video missing from the class map has the class None and is kept. The original counts it as 'Unknown' but
  raises a KeyError when it samples it, and so silently drops every sample drawn from it.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

from lib.data.annotation_cache import CachedAnnotations, cached_annotations
from lib.data.errors import DatasetError
from lib.data.image_loader import ImageLoader
from lib.data.text_files import read_boxes
from lib.data.trackingnet.classmap import CLASSMAP_FILE, class_map
from lib.data.trackingnet.layout import (
    anno_dir,
    check_root,
    choose_sets,
    frame_path,
    incompleteness,
    list_videos,
    set_name,
)
from lib.data.video_dataset import AnnotationTable, VideoDataset
from lib.utils.stage_timer import NO_TIMER

logger = logging.getLogger(__name__)

VERSION = 1  # of the parsing below: bump it when it changes, so that cached annotations are rebuilt
META_KEYS = ("motion_class", "major_class", "root_class", "motion_adverb")  # TrackingNet has none of these


def _read_boxes(path: Path, set_id: int):
    try:
        return read_boxes(path)
    except DatasetError as exc:
        raise DatasetError(f"TrackingNet {set_name(set_id)}: {exc}; re-extract the chunk's annotations, or "
                           f"delete the file to leave the video out") from None


def _read_table(root: Path, videos: Sequence[tuple]) -> CachedAnnotations:
    classes = class_map()
    sequences = []
    for set_id, video in videos:
        boxes = _read_boxes(anno_dir(root, set_id) / f"{video}.txt", set_id)
        valid = (boxes[:, 2] > 0) & (boxes[:, 3] > 0)
        sequences.append({"boxes": boxes, "valid": valid, "visible": valid})
    names = [f"{set_name(s)}/{video}" for s, video in videos]
    return CachedAnnotations(AnnotationTable.from_sequences(sequences), names,
                             [classes.get(video) for _, video in videos], [])


class TrackingNet(VideoDataset):
    """TrackingNet training videos of the chunks ``set_ids`` (None = those of TRAIN_0 ... TRAIN_11 on disk).

    A sequence is named ``TRAIN_<s>/<video>``; its class comes from the shipped class map (None when the map
    lacks the video). visible = the box has a positive size. Annotations are read once (or taken from
    :mod:`lib.data.annotation_cache`) and kept in memory; a video's frames are checked the first time they are
    read.
    """

    name = "TRACKINGNET"

    def __init__(self, root: str | Path, set_ids: Iterable[int] | None = None, image_loader: ImageLoader | None = None,
                 timer=NO_TIMER, use_cache: bool = True):
        start = time.perf_counter()
        root = check_root(root)
        self.set_ids = choose_sets(root, set_ids)
        videos = [(s, video) for s in self.set_ids for video in list_videos(root, s)]
        # the cache entry's identity (None: the chunks on disk); the videos enter its fingerprint as file paths, so
        # a chunk or video added or removed rebuilds this entry instead of adding one (~20 bytes per frame)
        parameters = {"root": str(root.resolve()), "set_ids": None if set_ids is None else self.set_ids}
        # plain strings: built much faster than 30,000 Path objects (the same fingerprint)
        folders = {s: str(anno_dir(root, s)) for s in self.set_ids}
        files = [os.path.join(folders[s], f"{video}.txt") for s, video in videos] + [CLASSMAP_FILE]
        cached = cached_annotations("trackingnet", VERSION, parameters, files, lambda: _read_table(root, videos),
                                    use_cache)
        super().__init__(root, cached.names, cached.table, cached.classes, image_loader, timer)
        self._videos = videos
        logger.info("TrackingNet %s: %d sequences, %d frames (annotations read in %.2f s)",
                    ", ".join(map(set_name, self.set_ids)), self.get_num_sequences(), self.table.total_frames,
                    time.perf_counter() - start)

    def frame_path(self, seq_id: int, frame_id: int) -> Path:
        """Path of 0-based frame ``frame_id``: ``TRAIN_<s>/frames/<video>/<frame_id>.jpg``."""
        return frame_path(self.root, *self._videos[seq_id], frame_id)

    def incompleteness(self, seq_id: int) -> str | None:
        """The frames folder missing, or frames of the annotated ones missing from it, with what to do."""
        return incompleteness(self.root, *self._videos[seq_id], self.num_frames(seq_id))

    def sequence_meta(self, seq_id: int) -> dict:
        """``{'object_class_name': the class map's class or None}``, the other meta keys None."""
        return {"object_class_name": self.sequence_classes[seq_id], **dict.fromkeys(META_KEYS)}
