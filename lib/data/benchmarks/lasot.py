"""LaSOT and LaSOT_ext test sequences: ``<root>/<class>/<name>/{img/%08d.jpg, groundtruth.txt, full_occlusion.txt,
out_of_view.txt}``, frames 1 .. rows of ``groundtruth.txt``, visible = neither fully occluded nor out of view.

LaSOT's 280 test sequences are the official split (``lib/data/lasot/data_specs``); LaSOT_ext's 150 (15 classes
x 10) are the original's table (``tables/lasot_extension_subset.json``), in its order.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from pathlib import Path

from lib.data.benchmarks.sequence import TestSequence
from lib.data.errors import DatasetError
from lib.data.lasot.splits import sequence_class
from lib.data.lasot.test_set import load_test_sequence, test_sequence_names

TABLES = Path(__file__).resolve().parent / "tables"
LAYOUT = "<class>/<class>-<n>/{img/00000001.jpg ..., groundtruth.txt, full_occlusion.txt, out_of_view.txt}"


def list_lasot(root: Path, classes: Sequence[str] | None = None) -> list:
    """The official test sequences of ``classes`` (None or empty = all 70 classes: 280)."""
    return test_sequence_names(classes)


@functools.cache
def extension_names() -> tuple:
    """LaSOT_ext's 150 sequence names, in the original's order."""
    table = json.loads((TABLES / "lasot_extension_subset.json").read_text())
    return tuple(entry["name"] for entry in table["sequences"])


def list_extension(root: Path, classes: Sequence[str] | None = None) -> list:
    """LaSOT_ext's sequences (of ``classes`` when given: its own 15 classes, not LaSOT's)."""
    names = list(extension_names())
    if classes:
        known = sorted({sequence_class(n) for n in names})
        unknown = [c for c in classes if c not in known]
        if unknown:
            raise DatasetError(f"LaSOT_ext has no class {', '.join(unknown)}; its classes: {', '.join(known)}")
        names = [n for n in names if sequence_class(n) in set(classes)]
    return names


def _load(benchmark: str, root: Path, name: str, check_frames: bool) -> TestSequence:
    sequence = load_test_sequence(root, name, check_frames)
    return TestSequence(name, benchmark, sequence.frames, sequence.ground_truth, ~sequence.absent,
                        sequence.class_name)


def load_lasot(root: Path, name: str, check_frames: bool = True) -> TestSequence:
    return _load("lasot", root, name, check_frames)


def load_extension(root: Path, name: str, check_frames: bool = True) -> TestSequence:
    if name not in extension_names():
        raise DatasetError(f"{name!r} is not a LaSOT_ext sequence (names look like atv-1; see "
                           f"lib/data/benchmarks/tables/lasot_extension_subset.json)")
    return _load("lasot_extension_subset", root, name, check_frames)
