"""GOT-10k test and val sequences: ``<root>/<split>/list.txt`` names them, ``<split>/<name>/`` holds the frames
(``00000001.jpg`` ..., ordered by their number) and ``groundtruth.txt`` (``,``).

The test split's ground truth holds only the first box (the rest is scored by GOT-10k's server). The val split
also ships ``absence.label`` and ``cover.label`` (one integer per frame) and ``meta_info.ini``, whose
``resolution: (W, H)`` the GOT-10k evaluation needs: read into ``labels['absence']``, ``labels['cover']`` and
``resolution`` where present. ``object_class`` comes from ``meta_info.ini``'s ``object_class:`` line.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from lib.data.benchmarks.checks import check_name, check_no_classes, check_numbered_frames, numbered_frames
from lib.data.benchmarks.sequence import TestSequence
from lib.data.errors import DatasetError
from lib.data.text_files import read_boxes, read_labels, read_lines

LAYOUT_TEST = "test/list.txt and test/GOT-10k_Test_000001/{00000001.jpg ..., groundtruth.txt (first box)}, ..."
LAYOUT_VAL = ("val/list.txt and val/GOT-10k_Val_000001/{00000001.jpg ..., groundtruth.txt, absence.label, "
              "cover.label, meta_info.ini}, ...")
LABELS = ("absence", "cover")  # <label>.label files read into TestSequence.labels
_RESOLUTION = re.compile(r"\(\s*(\d+)\s*,\s*(\d+)\s*\)")


def sequence_names(root: Path, split: str) -> list:
    """The names in ``<root>/<split>/list.txt``, in its order (blank lines skipped)."""
    list_file = Path(root) / split / "list.txt"
    names = [line.strip() for line in read_lines(list_file) if line.strip()]
    if not names:
        raise DatasetError(f"{list_file} lists no sequences; re-download or re-extract GOT-10k's {split} split")
    return names


def read_meta_info(path: Path) -> tuple:
    """``(object_class, (width, height))`` from a ``meta_info.ini``; None for a field it lacks."""
    object_class = resolution = None
    for number, line in enumerate(read_lines(path), start=1):
        key, _, value = line.partition(":")
        key, value = key.strip(), value.strip()
        if key == "object_class" and value:
            object_class = value
        elif key == "resolution":
            match = _RESOLUTION.fullmatch(value)
            if not match:
                raise DatasetError(f"{path}, line {number}: expected 'resolution: (width, height)', got {line!r}")
            resolution = (int(match[1]), int(match[2]))
    return object_class, resolution


def _load(split: str, benchmark: str, root: Path, name: str, check_frames: bool) -> TestSequence:
    check_name(name, sequence_names(root, split), f"GOT-10k {split}", str(Path(root) / split / "list.txt"))
    seq_dir = Path(root) / split / name
    gt_file = seq_dir / "groundtruth.txt"
    ground_truth = read_boxes(gt_file)
    labels = {label: read_labels(seq_dir / f"{label}.label", len(ground_truth), str(gt_file))
              for label in LABELS if (seq_dir / f"{label}.label").is_file()}
    meta_file = seq_dir / "meta_info.ini"
    object_class, resolution = read_meta_info(meta_file) if meta_file.is_file() else (None, None)
    frames = numbered_frames(seq_dir, ".jpg")
    if check_frames:
        check_numbered_frames(name, seq_dir, frames, len(ground_truth), 1, lambda i: f"{i:08d}.jpg")
    return TestSequence(name, benchmark, frames, ground_truth, object_class=object_class, labels=labels,
                        resolution=resolution)


def list_got10k_test(root: Path, classes: Sequence[str] | None = None) -> list:
    check_no_classes(classes, "GOT-10k test")
    return sequence_names(root, "test")


def list_got10k_val(root: Path, classes: Sequence[str] | None = None) -> list:
    check_no_classes(classes, "GOT-10k val")
    return sequence_names(root, "val")


def load_got10k_test(root: Path, name: str, check_frames: bool = True) -> TestSequence:
    """A test sequence: its frames and first box (the only one GOT-10k publishes)."""
    return _load("test", "got10k_test", root, name, check_frames)


def load_got10k_val(root: Path, name: str, check_frames: bool = True) -> TestSequence:
    """A val sequence: frames, every box, and the absence and cover labels and resolution where present."""
    return _load("val", "got10k_val", root, name, check_frames)
