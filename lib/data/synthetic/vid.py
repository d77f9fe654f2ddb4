"""Generate a small ImageNet VID-layout dataset: ``Data/VID/train/<set>/<video>/%06d.JPEG`` and one XML per
frame under ``Annotations/VID/train/<set>/<video>/``, two videos per set.

One object per video, listed in a frame's XML unless it is out of view (``occluded`` 1 while hidden behind
the grey block). Odd videos' object enters late (its track starts after frame 0); the first video also lists
a second track whose first box fills the frame (dropped by the size rule). Same arguments -> byte-identical
files.
"""

from __future__ import annotations

import logging
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path

from lib.data.synthetic.file_tree import write_file_tree
from lib.data.synthetic.video import SyntheticVideo, check_at_least_one, checked_size, generator, name_key
from lib.data.vid.train_set import FRAME_PATH

logger = logging.getLogger(__name__)

WNIDS = ("n02691156", "n02958343", "n02084071", "n02121808")  # airplane, car, dog, domestic cat
VIDEOS_PER_SET = 2


def _object_xml(parent: ET.Element, trackid: int, wnid: str, box, occluded: bool) -> None:
    element = ET.SubElement(parent, "object")
    ET.SubElement(element, "trackid").text = str(trackid)
    ET.SubElement(element, "name").text = wnid
    x, y, w, h = (int(v) for v in box)
    bndbox = ET.SubElement(element, "bndbox")
    for tag, value in (("xmax", x + w), ("xmin", x), ("ymax", y + h), ("ymin", y)):
        ET.SubElement(bndbox, tag).text = str(value)
    ET.SubElement(element, "occluded").text = "1" if occluded else "0"
    ET.SubElement(element, "generated").text = "0"


def _frame_xml(folder: str, frame: int, size: tuple, objects: list) -> bytes:
    root = ET.Element("annotation")
    ET.SubElement(root, "folder").text = folder
    ET.SubElement(root, "filename").text = f"{frame:06d}"
    size_element = ET.SubElement(root, "size")
    ET.SubElement(size_element, "width").text = str(size[0])
    ET.SubElement(size_element, "height").text = str(size[1])
    for args in objects:
        _object_xml(root, *args)
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8") + b"\n"


def _video_files(index: int, frames: int, size: tuple, seed: int) -> dict:
    """The frames and XMLs of video ``index`` (paths relative to the dataset root)."""
    wnid = WNIDS[index % len(WNIDS)]
    video = SyntheticVideo(generator(seed, name_key(wnid), index), frames, size, wnid)
    if index % 2:
        video.out_of_view[:frames // 5] = True  # the object enters late
    relative = FRAME_PATH.format(set=index // VIDEOS_PER_SET, video=index, frame=0).rsplit("/", 1)[0]
    files = {}
    for frame in range(frames):
        objects = [] if video.out_of_view[frame] else [(0, wnid, video.boxes[frame], video.occlusion[frame])]
        if index == 0:
            objects.append((1, "n04468005", (0, 0, *size), False))  # as big as the frame: not a track
        files[f"Data/VID/train/{relative}/{frame:06d}.JPEG"] = video.jpeg(frame)
        files[f"Annotations/VID/train/{relative}/{frame:06d}.xml"] = _frame_xml(relative.split("/")[-1], frame,
                                                                                size, objects)
    return files


def make_synthetic_vid(out: str | Path, videos: int = 4, frames: int = 25, size: Sequence[int] = (96, 72),
                       seed: int = 0, overwrite: bool = False) -> Path:
    """Write ``videos`` ImageNet VID-layout videos of ``frames`` frames of ``size`` (width, height) under ``out``.

    Same arguments -> byte-identical files; ``out`` already holding exactly them is kept, holding anything else
    is an error unless ``overwrite``. Returns ``out``.
    """
    check_at_least_one(videos=videos, frames=frames)
    width, height = checked_size(size)
    files = {}
    for index in range(videos):
        files.update(_video_files(index, frames, (width, height), seed))
    root = Path(out)
    written = write_file_tree(root, files, "ImageNet VID", overwrite)
    logger.info("synthetic ImageNet VID in %s: %d videos x %d frames of %dx%d (%s)", root, videos, frames, width,
                height, "written" if written else "up to date")
    return root
