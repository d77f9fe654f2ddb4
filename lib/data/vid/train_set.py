"""ImageNet VID (ILSVRC 2015) training videos: one sequence per object track, as the original's
``ImagenetVID`` builds them from ``Annotations/VID/train/<set>/<video>/*.xml`` (one XML per frame).

The rules: sets, videos and each video's XMLs are sorted; an XML's position is its frame number. A track
(trackid) starts at the frame it first appears in and runs until before the first frame that lacks it (a
re-appearance is not part of it). Box = [xmin, ymin, xmax - xmin, ymax - ymin]; visible = ``occluded`` is 0
and the box is valid. A track is kept when sqrt(first box area / image area) < 1. Tracks of a video are taken
in trackid order. The class is the WordNet id (``name``) of the track's first frame; meta has it as
``object_class``, the original's key, and as ``object_class_name``, the key of every other dataset.

Deviation: the original writes its parsed annotations to ``root/cache.json`` inside the dataset folder; here
they go to the annotation cache (:mod:`lib.data.annotation_cache`), so the dataset folder may be read-only.
"""

from __future__ import annotations

import logging
import math
import os
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lib.data.annotation_cache import CachedAnnotations, cached_annotations
from lib.data.errors import DatasetError
from lib.data.image_loader import ImageLoader
from lib.data.local_settings import check_data_root
from lib.data.video_dataset import AnnotationTable, VideoDataset
from lib.utils.stage_timer import NO_TIMER

logger = logging.getLogger(__name__)

READER_VERSION = 1  # bump when the parsing changes: cached entries of older versions are rebuilt
ANNOTATIONS = Path("Annotations/VID/train")
DATA = Path("Data/VID/train")
# the frame of a track: set and video are the numbers ending their annotation folders' names, start_frame the
# XML position where the track begins
FRAME_PATH = "ILSVRC2015_VID_train_{set:04d}/ILSVRC2015_train_{video:08d}/{frame:06d}.JPEG"
LAYOUT = "Annotations/VID/train/<set>/<video>/<frame>.xml and Data/VID/train/<set>/<video>/<frame>.JPEG"


@dataclass(frozen=True)
class _Object:
    trackid: int
    name: str
    box: tuple  # x, y, w, h
    occluded: bool  # <occluded> is not 0


def _text(element: ET.Element, tag: str, path: Path) -> str:
    found = element.find(tag)
    if found is None or found.text is None:
        raise DatasetError(f"{path}: <{tag}> is missing; not an ImageNet VID annotation? Re-extract it")
    return found.text.strip()


def _number(element: ET.Element, tag: str, path: Path) -> float:
    value = _text(element, tag, path)
    try:
        return float(value)
    except ValueError:
        raise DatasetError(f"{path}: <{tag}> is {value!r}, not a number") from None


def read_frame_xml(path: Path) -> tuple:
    """``(width, height, objects)`` of one frame's XML."""
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as exc:
        raise DatasetError(f"{path}: not valid XML ({exc}); re-extract the annotations") from None
    width, height = _number(root, "size/width", path), _number(root, "size/height", path)
    if width <= 0 or height <= 0:
        raise DatasetError(f"{path}: the image size is {width:g}x{height:g}; re-extract the annotations")
    objects = []
    for element in root.findall("object"):
        x0, y0, x1, y1 = (_number(element, f"bndbox/{side}", path) for side in ("xmin", "ymin", "xmax", "ymax"))
        objects.append(_Object(int(_number(element, "trackid", path)), _text(element, "name", path),
                               (x0, y0, x1 - x0, y1 - y0), _text(element, "occluded", path) != "0"))
    return width, height, objects


def _tracks(frames: list) -> list:
    """``(trackid, start_frame, objects, image area)`` per track of a video kept by the size rule."""
    first = {}
    for index, (_, _, objects) in enumerate(frames):
        for obj in objects:
            first.setdefault(obj.trackid, index)
    tracks = []
    for trackid in sorted(first):
        rows = []
        for _, _, objects in frames[first[trackid]:]:
            match = next((obj for obj in objects if obj.trackid == trackid), None)
            if match is None:
                break
            rows.append(match)
        width, height, _ = frames[first[trackid]]
        box = rows[0].box
        if math.sqrt(box[2] * box[3] / (width * height)) < 1:
            tracks.append((trackid, first[trackid], rows))
    return tracks


def _folder_number(path: Path) -> int:
    tail = path.name.rsplit("_", 1)[-1]
    if not tail.isdigit():
        raise DatasetError(f"ImageNet VID folder {path} does not end in _<number> (as ILSVRC2015_VID_train_0000 and "
                           f"ILSVRC2015_train_00000000 do); move it out of {path.parent}")
    return int(tail)


def list_videos(root: Path) -> list:
    """``(set folder, video folder, sorted XML names)`` of every video, in sorted order; the folders' names
    must end in their numbers."""
    annotations = root / ANNOTATIONS
    if not annotations.is_dir():
        raise DatasetError(f"ImageNet VID annotation folder {annotations} is missing; expected {LAYOUT}")
    videos = []
    for set_dir in sorted(p for p in annotations.iterdir() if p.is_dir()):
        _folder_number(set_dir)
        for video_dir in sorted(p for p in set_dir.iterdir() if p.is_dir()):
            _folder_number(video_dir)
            xml_names = sorted(name for name in os.listdir(video_dir) if name.endswith(".xml"))
            videos.append((set_dir.name, video_dir.name, xml_names))
    if not videos:
        raise DatasetError(f"ImageNet VID annotation folder {annotations} holds no video; expected {LAYOUT}")
    return videos


def _read_all(root: Path, videos: list) -> CachedAnnotations:
    sequences, names, classes, meta = [], [], [], []
    for set_name, video_name, xml_names in videos:
        video_dir = root / ANNOTATIONS / set_name / video_name
        frames = [read_frame_xml(video_dir / name) for name in xml_names]
        for trackid, start, rows in _tracks(frames):
            boxes = np.array([obj.box for obj in rows], np.float32)
            valid = (boxes[:, 2] > 0) & (boxes[:, 3] > 0)
            visible = valid & np.array([not obj.occluded for obj in rows])
            sequences.append({"boxes": boxes, "valid": valid, "visible": visible})
            names.append(f"{set_name}/{video_name}/{trackid}")
            classes.append(rows[0].name)
            meta.append({"set": _folder_number(video_dir.parent), "video": _folder_number(video_dir),
                         "start_frame": start})
    return CachedAnnotations(AnnotationTable.from_sequences(sequences), names, classes, meta)


class ImagenetVID(VideoDataset):
    """The object tracks of ImageNet VID's training videos (rules in the module docstring)."""

    name = "VID"

    def __init__(self, root: str | Path, image_loader: ImageLoader | None = None, timer=NO_TIMER,
                 use_cache: bool = True):
        start = time.perf_counter()
        root = check_data_root("vid", root, "ImageNet VID", LAYOUT)
        videos = list_videos(root)
        files = [root / ANNOTATIONS / s / v / name for s, v, xml_names in videos for name in xml_names]
        cached = cached_annotations("vid", READER_VERSION, {"root": str(root.resolve())}, files,
                                    lambda: _read_all(root, videos), use_cache)
        self._places = [(m["set"], m["video"], m["start_frame"]) for m in cached.meta]
        super().__init__(root, cached.names, cached.table, cached.classes, image_loader, timer)
        logger.info("ImageNet VID: %d videos, %d tracks, %d frames (%.2f s)", len(videos), self.get_num_sequences(),
                    self.table.total_frames, time.perf_counter() - start)

    def frame_path(self, seq_id: int, frame_id: int) -> Path:
        """``Data/VID/train/ILSVRC2015_VID_train_{set:04d}/ILSVRC2015_train_{video:08d}/{frame:06d}.JPEG``, frame =
        the track's start frame + ``frame_id``."""
        set_number, video, start_frame = self._places[seq_id]
        return self.root / DATA / FRAME_PATH.format(set=set_number, video=video, frame=start_frame + frame_id)

    def incompleteness(self, seq_id: int) -> str | None:
        """Frames of the track missing from its data folder."""
        folder = self.frame_path(seq_id, 0).parent
        present = set(os.listdir(folder)) if folder.is_dir() else set()
        missing = [f for f in range(self.num_frames(seq_id)) if self.frame_path(seq_id, f).name not in present]
        if not missing:
            return None
        return (f"{len(missing)} of its {self.num_frames(seq_id)} frames are missing from {folder} (first: "
                f"{self.frame_path(seq_id, missing[0]).name}); re-extract the video")

    def sequence_meta(self, seq_id: int) -> dict:
        wnid = self.sequence_classes[seq_id]
        return {"object_class": wnid, "object_class_name": wnid, "motion_class": None, "major_class": None,
                "root_class": None, "motion_adverb": None}
