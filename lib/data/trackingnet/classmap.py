"""TrackingNet's class of each training video, from the class map the original ships (``<video>\\t<class>``)."""

from __future__ import annotations

import functools
from pathlib import Path

from lib.data.errors import DatasetError
from lib.data.text_files import read_lines

CLASSMAP_FILE = Path(__file__).resolve().parent / "data_specs" / "trackingnet_classmap.txt"  # 30,134 videos


@functools.cache
def class_map(path: Path = CLASSMAP_FILE) -> dict:
    """``{video: class}`` of a class map file; a line that is not ``<video>\\t<class>`` is an error."""
    classes = {}
    for number, line in enumerate(read_lines(path), start=1):
        video, tab, name = line.partition("\t")
        if not tab or not video or not name.strip():
            raise DatasetError(f"{path}, line {number}: expected '<video>\\t<class>', got {line!r}")
        classes[video] = name.strip()
    return classes
