"""Your own videos as a training dataset (``DATASETS_NAME: FOLDER``): one sub-folder of the root per video.

Layout of ``root/<sequence>/``:

- ``groundtruth.txt``: one ``x,y,w,h`` per frame (pixels, top-left corner; commas or whitespace). A frame
  where the target cannot be annotated is ``0,0,0,0``: not valid, not visible.
- the frames: image files (``.jpg``, ``.jpeg``, ``.png``) in ``img/`` if that folder exists, else in the
  sequence folder itself; in the order of their integer names when all are integers (``1.jpg, 2.jpg,
  10.jpg``), else by name. One box per frame.
- optional ``absent.txt``: one 0/1 per frame, 1 = the target is not visible in that frame.
- optional ``class.txt``: the class name (first line).

visible = valid (w > 0 and h > 0) and not absent. Sub-folders without ``groundtruth.txt`` are skipped with a
warning. Prepare a video (frames from any source; ``boxes`` holds your n rows of x, y, w, h)::

    import pathlib, cv2, numpy as np
    img = pathlib.Path("data/folder/my_video/img"); img.mkdir(parents=True, exist_ok=True)
    video, n = cv2.VideoCapture("my_video.mp4"), 0
    while (frame := video.read()[1]) is not None: n += 1; cv2.imwrite(str(img / f"{n}.jpg"), frame)
    np.savetxt(img.parent / "groundtruth.txt", boxes, fmt="%d", delimiter=",")  # one x,y,w,h per frame

Annotations are read once and kept in the annotation cache (:mod:`lib.data.annotation_cache`); the frame
folders are listed at every start, so added or removed frames are noticed.
"""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

import numpy as np

from lib.data.annotation_cache import CachedAnnotations, cached_annotations
from lib.data.errors import DatasetError
from lib.data.image_loader import ImageLoader
from lib.data.local_settings import check_data_root
from lib.data.text_files import read_boxes, read_labels, read_lines
from lib.data.video_dataset import AnnotationTable, VideoDataset
from lib.utils.stage_timer import NO_TIMER

logger = logging.getLogger(__name__)

READER_VERSION = 1  # bump when the parsing changes: cached entries of older versions are rebuilt
GROUNDTRUTH, ABSENT, CLASS, FRAME_DIR = "groundtruth.txt", "absent.txt", "class.txt", "img"
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")
LAYOUT = ("one folder per video, <sequence>/groundtruth.txt (one x,y,w,h per frame) and its frames in "
          "<sequence>/img/ or <sequence>/ (optional absent.txt: one 0/1 per frame; class.txt: the class name)")


def frame_dir(seq_dir: Path) -> Path:
    """Where the frames of a sequence are: ``img/`` if it exists, else the sequence folder."""
    return seq_dir / FRAME_DIR if (seq_dir / FRAME_DIR).is_dir() else seq_dir


def frame_names(folder: Path) -> list:
    """The image files of ``folder`` in frame order: by integer stem when every stem is one, else by name."""
    names = [e.name for e in os.scandir(folder) if e.is_file() and Path(e.name).suffix.lower() in IMAGE_SUFFIXES]
    if names and all(Path(n).stem.isdigit() for n in names):
        return sorted(names, key=lambda n: (int(Path(n).stem), n))
    return sorted(names)


def sequence_names(root: Path) -> list:
    """Sorted sub-folders of ``root`` holding a groundtruth.txt; the others are skipped with one warning."""
    folders = sorted(e.name for e in os.scandir(root) if e.is_dir() and not e.name.startswith("."))
    names = [name for name in folders if (root / name / GROUNDTRUTH).is_file()]
    skipped = [name for name in folders if name not in set(names)]
    if skipped:
        logger.warning("FOLDER %s: skipping %d sub-folder(s) without %s: %s", root, len(skipped), GROUNDTRUTH,
                       ", ".join(skipped))
    if not names:
        hint = f"; {root} is one video: point to its parent folder" if (root / GROUNDTRUTH).is_file() else ""
        raise DatasetError(f"FOLDER root {root} holds no video{hint}: expected {LAYOUT}")
    return names


def _absent_flags(path: Path, count: int, groundtruth: Path) -> np.ndarray:
    labels = read_labels(path, count, str(groundtruth))
    bad = np.flatnonzero((labels != 0) & (labels != 1))
    if len(bad):
        raise DatasetError(f"{path}, line {bad[0] + 1}: expected 0 (visible) or 1 (absent), got {labels[bad[0]]}")
    return labels == 1


def _class_name(path: Path) -> str | None:
    """The first line of ``class.txt``; None without the file or when it is empty."""
    lines = read_lines(path) if path.is_file() else []
    return (lines[0].strip() or None) if lines else None


def _read_sequence(seq_dir: Path) -> dict:
    groundtruth = seq_dir / GROUNDTRUTH
    boxes = read_boxes(groundtruth, separators=(",", None))
    valid = (boxes[:, 2] > 0) & (boxes[:, 3] > 0)
    absent = np.zeros(len(boxes), bool)
    if (seq_dir / ABSENT).is_file():
        absent = _absent_flags(seq_dir / ABSENT, len(boxes), groundtruth)
    return {"boxes": boxes, "valid": valid, "visible": valid & ~absent}


def _read_all(root: Path, names: list) -> CachedAnnotations:
    table = AnnotationTable.from_sequences([_read_sequence(root / name) for name in names])
    return CachedAnnotations(table, list(names), [_class_name(root / name / CLASS) for name in names], [])


class FolderDataset(VideoDataset):
    """Every video under ``root`` (layout in the module docstring), as training sequences."""

    name = "FOLDER"

    def __init__(self, root: str | Path, image_loader: ImageLoader | None = None, timer=NO_TIMER,
                 use_cache: bool = True):
        start = time.perf_counter()
        root = check_data_root("folder", root, "FOLDER (your own videos)", LAYOUT)
        names = sequence_names(root)
        files = [root / name / f for name in names for f in (GROUNDTRUTH, ABSENT, CLASS)]
        cached = cached_annotations("folder", READER_VERSION, {"root": str(root.resolve()), "sequences": names},
                                    files, lambda: _read_all(root, names), use_cache)
        super().__init__(root, cached.names, cached.table, cached.classes, image_loader, timer)
        self._frames = [self._frame_files(seq_id) for seq_id in range(len(names))]
        logger.info("FOLDER %s: %d sequences, %d frames (%.2f s)", root, self.get_num_sequences(),
                    self.table.total_frames, time.perf_counter() - start)

    def _frame_files(self, seq_id: int) -> tuple:
        """``(folder, names)`` of the sequence's frames, as many as its boxes."""
        seq_dir = self.root / self.sequence_list[seq_id]
        folder = frame_dir(seq_dir)
        names = frame_names(folder)
        if len(names) != self.num_frames(seq_id):
            raise DatasetError(f"FOLDER sequence '{self.sequence_list[seq_id]}': {len(names)} frames "
                               f"({', '.join(IMAGE_SUFFIXES)} files) in {folder} but {self.num_frames(seq_id)} "
                               f"boxes in {seq_dir / GROUNDTRUTH}; it needs one x,y,w,h line per frame "
                               f"(0,0,0,0 where the target cannot be annotated)")
        return folder, names

    def frame_path(self, seq_id: int, frame_id: int) -> Path:
        folder, names = self._frames[seq_id]
        return folder / names[frame_id]
