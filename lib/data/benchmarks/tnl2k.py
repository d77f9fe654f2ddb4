"""TNL2K test sequences: every folder of the root is one, holding ``groundtruth.txt`` (``,``), ``language.txt``
(the sentence; not used for tracking, but the original requires it) and ``imgs/``, whose files are the frames
in name order.

The original takes the folders in file-system order, which differs between copies of the same data; here they
are sorted, so every copy runs in the same order.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from lib.data.benchmarks.checks import check_frame_count, check_no_classes, listed_files
from lib.data.benchmarks.sequence import TestSequence
from lib.data.errors import DatasetError
from lib.data.text_files import read_boxes

LAYOUT = "<sequence>/{groundtruth.txt, language.txt, imgs/<frames, in name order>}, one folder per sequence"


def list_tnl2k(root: Path, classes: Sequence[str] | None = None) -> list:
    """The sequences: the folders of ``root``, sorted by name."""
    check_no_classes(classes, "TNL2K")
    if not Path(root).is_dir():
        raise DatasetError(f"TNL2K root {root} is not a folder; expected there: {LAYOUT}")
    with os.scandir(root) as entries:
        names = sorted(e.name for e in entries if e.is_dir())
    if not names:
        raise DatasetError(f"TNL2K root {root} holds no sequence folders; expected there: {LAYOUT}")
    return names


def load_tnl2k(root: Path, name: str, check_frames: bool = True) -> TestSequence:
    seq_dir = Path(root) / name
    if not seq_dir.is_dir():
        raise DatasetError(f"{name!r} is not a TNL2K sequence: {seq_dir} is not a folder (the sequences are the "
                           f"folders of {root})")
    ground_truth = read_boxes(seq_dir / "groundtruth.txt")
    language = seq_dir / "language.txt"
    if not language.is_file():
        raise DatasetError(f"sequence {name}: {language} is missing; every TNL2K sequence ships its sentence "
                           f"there (the original refuses a sequence without it): re-download or re-extract it")
    frame_dir = seq_dir / "imgs"
    frames = tuple(str(frame_dir / file) for file in sorted(listed_files(frame_dir)))
    if check_frames:
        check_frame_count(name, frames, len(ground_truth), frame_dir)
    return TestSequence(name, "tnl2k", frames, ground_truth)
