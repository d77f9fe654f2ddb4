"""OTB100 (100 sequences, ``tables/otb100.json``): frames ``<folder>/img/%04d.jpg`` (Board: ``%05d``) over each
row's range, ground truth ``<folder>/groundtruth_rect*.txt`` read with ``,`` and, failing that, whitespace
(OTB ships both).

Rows the readers must get right: Tiger1 skips its first 5 frames and ground-truth rows (initOmit 5); BlurCar1,
BlurCar3, BlurCar4 and David start at frame 247, 3, 18, 300 (their ground truth's row 0 is that frame); Human4_2,
Jogging_1/_2 and Skating2_1/_2 share a folder, each with its own ``groundtruth_rect.<k>.txt``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from lib.data.benchmarks.sequence import TestSequence
from lib.data.benchmarks.table import list_table, load_table_sequence, plain_row, read_table

TABLE = "otb100.json"
TITLE = "OTB100"
LAYOUT = "<sequence>/img/0001.jpg ... and <sequence>/groundtruth_rect.txt (x,y,w,h per frame, ',' or whitespace)"
SEPARATORS = (",", None)  # None: any whitespace


def entries() -> dict:
    return read_table(TABLE, plain_row)


def list_otb(root: Path, classes: Sequence[str] | None = None) -> list:
    """The table's 100 sequences, in its order (of these object classes when ``classes`` is given)."""
    return list_table(entries(), classes, TITLE)


def load_otb(root: Path, name: str, check_frames: bool = True) -> TestSequence:
    return load_table_sequence("otb", TITLE, TABLE, entries(), root, name, check_frames, SEPARATORS)
