"""Generate "your own videos" in the FOLDER layout (:mod:`lib.data.folder.train_set`): one folder per video
with its frames, ``groundtruth.txt``, ``class.txt`` and (optionally) ``absent.txt``.

The videos vary what the reader must handle: frames in ``img/`` with unpadded integer names (1.jpg ... 10.jpg)
or in the sequence folder with padded ones, PNG frames, comma- or space-separated boxes. With
``absent_flags`` the frames without a visible target are listed in ``absent.txt``; without, their box is
``0,0,0,0``. Same arguments -> byte-identical files.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np

from lib.data.synthetic.file_tree import write_file_tree
from lib.data.synthetic.video import SyntheticVideo, check_at_least_one, checked_size, generator, name_key

logger = logging.getLogger(__name__)

CLASSES = ("toy car", "cup", "dog", "ball", "drone")


def _frame_file(sequence: int, index: int) -> str:
    """Where frame ``index`` of video ``sequence`` goes: four naming styles in turn."""
    return (f"img/{index + 1}.jpg", f"{index + 1:05d}.jpg", f"img/frame_{index:04d}.jpg",
            f"img/{index}.png")[sequence % 4]


def _encode(image_bgr: np.ndarray, name: str, video: SyntheticVideo, index: int) -> bytes:
    if name.endswith(".png"):
        ok, encoded = cv2.imencode(".png", image_bgr)
        assert ok, "OpenCV could not encode a PNG"
        return encoded.tobytes()
    return video.jpeg(index)


def _sequence_files(sequence: int, frames: int, size: tuple, seed: int, absent_flags: bool) -> dict:
    """The files of video ``sequence``, relative to its folder."""
    cls = CLASSES[sequence % len(CLASSES)]
    video = SyntheticVideo(generator(seed, name_key(cls), sequence), frames, size, cls)
    absent = video.occlusion | video.out_of_view
    boxes = video.boxes.copy()
    if not absent_flags:
        boxes[absent] = 0  # the user's way to say "not visible" without absent.txt
    separator = "," if sequence % 2 == 0 else " "
    files = {"groundtruth.txt": "".join(separator.join(str(v) for v in box) + "\n" for box in boxes.tolist()),
             "class.txt": f"{cls}\n"}
    if absent_flags:
        files["absent.txt"] = "".join("1\n" if flag else "0\n" for flag in absent)
    files = {name: text.encode() for name, text in files.items()}
    for index in range(frames):
        name = _frame_file(sequence, index)
        files[name] = _encode(video.frame(index), name, video, index)
    return files


def make_synthetic_folder(out: str | Path, sequences: int = 4, frames: int = 30, size: Sequence[int] = (96, 72),
                          seed: int = 0, overwrite: bool = False, absent_flags: bool = True) -> Path:
    """Write ``sequences`` videos ``video_01 ...`` of ``frames`` frames of ``size`` (width, height) under ``out``.

    Same arguments -> byte-identical files; ``out`` already holding exactly them is kept, holding anything else
    is an error unless ``overwrite``. Returns ``out``.
    """
    check_at_least_one(sequences=sequences, frames=frames)
    width, height = checked_size(size)
    files = {}
    for sequence in range(sequences):
        for name, data in _sequence_files(sequence, frames, (width, height), seed, absent_flags).items():
            files[f"video_{sequence + 1:02d}/{name}"] = data
    root = Path(out)
    written = write_file_tree(root, files, "FOLDER dataset", overwrite)
    logger.info("synthetic FOLDER videos in %s: %d x %d frames of %dx%d (%s)", root, sequences, frames, width,
                height, "written" if written else "up to date")
    return root
