"""Where TrackingNet's training data lives: the chunks ``TRAIN_0 ... TRAIN_11``, their annotation files and
frame folders, and the rule of completeness.

``<root>/TRAIN_<s>/anno/<video>.txt`` holds one ``x,y,w,h`` per frame; the frames are
``<root>/TRAIN_<s>/frames/<video>/<i>.jpg`` (``i`` 0-based, not zero-padded). Users often download only some
chunks: the chunks present are found on disk.
"""

from __future__ import annotations

import logging
import numbers
import os
from collections.abc import Iterable
from pathlib import Path

from lib.data.errors import DatasetError
from lib.data.frame_files import frames_problem
from lib.data.local_settings import check_data_root

logger = logging.getLogger(__name__)

SET_IDS = tuple(range(12))  # TRAIN_0 ... TRAIN_11
LAYOUT = "TRAIN_<s>/anno/<video>.txt and TRAIN_<s>/frames/<video>/0.jpg, 1.jpg, ... for chunks s of 0 ... 11"
FRAMES_FIX = ("extract the video's frames there (TrackingNet ships each chunk's videos as TRAIN_<s>/zips/<video>.zip "
              "to unpack into TRAIN_<s>/frames/<video>/)")


def set_name(set_id: int) -> str:
    return f"TRAIN_{set_id}"


def anno_dir(root: Path, set_id: int) -> Path:
    return root / set_name(set_id) / "anno"


def frames_dir(root: Path, set_id: int, video: str) -> Path:
    return root / set_name(set_id) / "frames" / video


def frame_path(root: Path, set_id: int, video: str, index: int) -> Path:
    """The file of 0-based frame ``index``: ``frames/<video>/<index>.jpg``."""
    return frames_dir(root, set_id, video) / f"{index}.jpg"


def check_root(root: str | Path) -> Path:
    return check_data_root("trackingnet", root, "TrackingNet", LAYOUT)


def _check_ids(set_ids: Iterable[int]) -> list:
    requested = list(set_ids)
    bad = [s for s in requested if isinstance(s, bool) or not isinstance(s, numbers.Integral) or s not in SET_IDS]
    if bad or not requested:
        raise DatasetError(f"TrackingNet training chunks are 0 ... 11 (TRAIN_0 ... TRAIN_11); got {requested}")
    return list(dict.fromkeys(int(s) for s in requested))


def present_sets(root: Path) -> list:
    """The chunks with an ``anno/`` folder under ``root``."""
    return [s for s in SET_IDS if anno_dir(root, s).is_dir()]


def choose_sets(root: Path, set_ids: Iterable[int] | None) -> list:
    """The chunks to read: ``set_ids`` (each must be on disk), or, for None, every chunk with an ``anno/``
    folder (the others are logged); no chunk at all is an error."""
    present = present_sets(root)
    if set_ids is not None:
        chosen = _check_ids(set_ids)
        missing = [s for s in chosen if s not in present]
        if missing:
            have = ", ".join(map(set_name, present)) or "none"
            raise DatasetError(f"TrackingNet chunk(s) {', '.join(map(set_name, missing))} requested but "
                               f"{anno_dir(root, missing[0])} is missing: download them, or choose among the "
                               f"chunks on disk ({have})")
        return chosen
    if not present:
        raise DatasetError(f"TrackingNet root {root} holds no training chunk (no TRAIN_<s>/anno/ folder for s in "
                           f"0 ... 11). Expected: {LAYOUT}")
    absent = [s for s in SET_IDS if s not in present]
    if absent:
        logger.info("TrackingNet: using the chunks on disk, %s; not found: %s", ", ".join(map(set_name, present)),
                    ", ".join(map(set_name, absent)))
    return present


def list_videos(root: Path, set_id: int) -> list:
    """The videos of a chunk: its ``anno/*.txt`` names without ``.txt``, **sorted** (not the file system's order)."""
    folder = anno_dir(root, set_id)
    videos = sorted(entry.name[:-4] for entry in os.scandir(folder) if entry.name.endswith(".txt"))
    if not videos:
        raise DatasetError(f"{folder} holds no <video>.txt annotation file: re-extract {set_name(set_id)}, or "
                           f"leave it out (set_ids)")
    return videos


def incompleteness(root: Path, set_id: int, video: str, count: int) -> str | None:
    """Why a video lacks some of its ``count`` annotated frames (one listing), or None when it has them."""
    return frames_problem(frames_dir(root, set_id, video), [f"{i}.jpg" for i in range(count)], FRAMES_FIX)
