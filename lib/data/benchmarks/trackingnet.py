"""TrackingNet test sequences: ``<root>/TEST/anno/<name>.txt`` holds the first box (``,``; the rest is scored
by TrackingNet's server), ``TEST/frames/<name>/`` the frames ``0.jpg``, ``1.jpg`` ... (ordered by number).

The sequences are the annotation files. The original takes them in ``os.listdir`` order, which is the file
system's and differs between copies of the same data; here they are sorted, so every copy runs (and packs
its submission) in the same order.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from lib.data.benchmarks.checks import check_no_classes, check_numbered_frames, listed_files, numbered_frames
from lib.data.benchmarks.sequence import TestSequence
from lib.data.errors import DatasetError
from lib.data.text_files import read_boxes

LAYOUT = "TEST/anno/<sequence>.txt (first box) and TEST/frames/<sequence>/0.jpg, 1.jpg, ..."


def list_trackingnet(root: Path, classes: Sequence[str] | None = None) -> list:
    """The test sequences: one per ``TEST/anno/*.txt``, sorted by name."""
    check_no_classes(classes, "TrackingNet")
    anno_dir = Path(root) / "TEST" / "anno"
    if not anno_dir.is_dir():
        raise DatasetError(f"TrackingNet test annotations {anno_dir} do not exist; expected under {root}: {LAYOUT}")
    names = sorted(file.removesuffix(".txt") for file in listed_files(anno_dir, ".txt"))
    if not names:
        raise DatasetError(f"TrackingNet test annotations {anno_dir} hold no <sequence>.txt; expected under "
                           f"{root}: {LAYOUT}")
    return names


def load_trackingnet(root: Path, name: str, check_frames: bool = True) -> TestSequence:
    """A test sequence: its frames and first box."""
    gt_file = Path(root) / "TEST" / "anno" / f"{name}.txt"
    if not gt_file.is_file():
        raise DatasetError(f"{name!r} is not a TrackingNet test sequence: its annotation {gt_file} does not exist "
                           f"(the sequences are the files of {gt_file.parent})")
    ground_truth = read_boxes(gt_file)
    frame_dir = Path(root) / "TEST" / "frames" / name
    frames = numbered_frames(frame_dir, ".jpg")
    if check_frames:
        check_numbered_frames(name, frame_dir, frames, len(ground_truth), 0, lambda i: f"{i}.jpg")
    return TestSequence(name, "trackingnet", frames, ground_truth)
