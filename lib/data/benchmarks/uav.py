"""UAV123 (123 sequences, ``tables/uav123.json``): frames ``data_seq/UAV123/<folder>/%06d.jpg`` over each row's
range, ground truth ``anno/UAV123/<name>.txt`` (``,``), whose NaN rows mark frames without the target.

The long videos are cut into sub-sequences sharing a folder (``uav_bird1_1`` frames 1-253, ``uav_bird1_2``
775-1477 ...), each with its own ground-truth file whose row 0 is its first frame.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from lib.data.benchmarks.sequence import TestSequence
from lib.data.benchmarks.table import list_table, load_table_sequence, plain_row, read_table

TABLE = "uav123.json"
TITLE = "UAV123"
LAYOUT = "data_seq/UAV123/<sequence>/000001.jpg ... and anno/UAV123/<sequence>.txt (x,y,w,h per frame, NaN rows)"


def entries() -> dict:
    return read_table(TABLE, plain_row)


def list_uav(root: Path, classes: Sequence[str] | None = None) -> list:
    """The table's 123 sequences, in its order (of these object classes when ``classes`` is given)."""
    return list_table(entries(), classes, TITLE)


def load_uav(root: Path, name: str, check_frames: bool = True) -> TestSequence:
    return load_table_sequence("uav", TITLE, TABLE, entries(), root, name, check_frames, (",",), allow_nan=True)
