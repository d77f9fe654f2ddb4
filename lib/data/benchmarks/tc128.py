"""Temple-Color-128: every ``<root>/<sequence>/*_gt.txt`` is a sequence (``,``), named by its folder, with
frames ``<sequence>/img/%04d.jpg`` numbered over the ``start,end`` of ``<sequence>/<sequence>_frames.txt``
(row 0 of the ground truth is frame ``start``)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from lib.data.benchmarks.checks import check_frame_files, check_no_classes
from lib.data.benchmarks.sequence import TestSequence
from lib.data.errors import DatasetError
from lib.data.text_files import read_boxes, read_lines

LAYOUT = "<sequence>/{<sequence>_gt.txt, <sequence>_frames.txt ('start,end'), img/0001.jpg ...}, one per sequence"


def list_tc128(root: Path, classes: Sequence[str] | None = None) -> list:
    """The folders holding a ``*_gt.txt``, sorted."""
    check_no_classes(classes, "TC128")
    names = sorted({path.parent.name for path in Path(root).glob("*/*_gt.txt")})
    if not names:
        raise DatasetError(f"TC128 root {root} holds no <sequence>/*_gt.txt (is it the TC128 folder?); expected "
                           f"there: {LAYOUT}")
    return names


def read_frame_range(path: Path) -> range:
    """The frame numbers ``start .. end`` of a ``<sequence>_frames.txt``."""
    lines = read_lines(path)
    fields = lines[0].split(",") if lines else []
    if len(fields) != 2 or not all(f.strip().isdigit() for f in fields) or int(fields[0]) > int(fields[1]):
        shown = repr(lines[0]) if lines else "an empty file"
        raise DatasetError(f"{path}, line 1: expected 'start,end' (two frame numbers, start <= end), got {shown}")
    return range(int(fields[0]), int(fields[1]) + 1)


def load_tc128(root: Path, name: str, check_frames: bool = True) -> TestSequence:
    seq_dir = Path(root) / name
    if not seq_dir.is_dir():
        raise DatasetError(f"{name!r} is not a TC128 sequence: {seq_dir} is not a folder (the sequences are the "
                           f"folders of {root} holding a *_gt.txt)")
    gt_files = sorted(seq_dir.glob("*_gt.txt"))
    if not gt_files:
        raise DatasetError(f"sequence {name}: annotation file {seq_dir / f'{name}_gt.txt'} is missing")
    ground_truth = read_boxes(gt_files[0])
    frames = tuple(str(seq_dir / "img" / f"{n:04d}.jpg") for n in read_frame_range(seq_dir / f"{name}_frames.txt"))
    if check_frames:
        check_frame_files(name, frames)
    return TestSequence(name, "tc128", frames, ground_truth)
