"""Benchmarks whose sequences are a table of the original's (UAV123, NfS, OTB100: ``tables/*.json``): each row
gives a frame folder, its first and last frame number, the zero padding and extension, the ground-truth file
and ``initOmit``, the frames (and ground-truth rows) skipped at the start.

A sequence is frames ``{folder}/{n:0{nz}d}.{ext}`` for n = startFrame + initOmit .. endFrame, and the rows of
its ground-truth file from ``initOmit`` on (row 0 = the first tracked frame). Sub-sequences sharing a folder
(UAV's bird1_1, bird1_2 ...; OTB's Jogging_1, Jogging_2) are separate rows, so separate sequences. Each reader
says how a row becomes paths (:class:`TableSequence`); NfS rewrites the table's paths.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from lib.data.benchmarks.checks import check_frame_files, check_name
from lib.data.benchmarks.sequence import TestSequence
from lib.data.errors import DatasetError
from lib.data.text_files import read_boxes

TABLES = Path(__file__).resolve().parent / "tables"


@dataclass(frozen=True)
class TableSequence:
    """Where one table row's files are, relative to the benchmark root."""

    name: str  # 'uav_bike1', 'nfs_Gymnastics', 'Tiger1'
    frame_dir: str  # 'data_seq/UAV123/bike1'
    first_frame: int  # number of the first tracked frame (startFrame + initOmit)
    last_frame: int  # endFrame (inclusive)
    digits: int  # zero padding of the frame numbers (nz)
    ext: str  # 'jpg'
    gt_file: str  # 'anno/UAV123/bike1.txt'
    gt_rows_dropped: int  # initOmit: rows before the first tracked frame
    object_class: str

    def frame_file(self, number: int) -> str:
        return f"{self.frame_dir}/{number:0{self.digits}d}.{self.ext}"

    @property
    def frame_numbers(self) -> range:
        return range(self.first_frame, self.last_frame + 1)


def table_rows(table_file: str) -> list:
    """The raw rows of ``tables/<table_file>`` (a copy of the original's sequence table), in its order."""
    return json.loads((TABLES / table_file).read_text())["sequences"]


def plain_row(row: dict) -> TableSequence:
    """A row read as written (UAV123, OTB100): ``path``, ``anno_path``, ``startFrame``, ``initOmit``."""
    omit = int(row.get("initOmit", 0))
    return TableSequence(row["name"], row["path"], int(row["startFrame"]) + omit, int(row["endFrame"]),
                         int(row["nz"]), row["ext"], row["anno_path"], omit, row["object_class"])


@functools.cache
def read_table(table_file: str, rule: Callable[[dict], TableSequence]) -> dict:
    """{name: TableSequence} of a table, in its order, each row turned into paths by ``rule``."""
    return {entry.name: entry for entry in map(rule, table_rows(table_file))}


def list_table(entries: dict, classes: Sequence[str] | None, title: str) -> list:
    """The table's names, in its order; with ``classes``, only those of these object classes."""
    if not classes:
        return list(entries)
    known = sorted({e.object_class for e in entries.values()})
    unknown = [c for c in classes if c not in known]
    if unknown:
        raise DatasetError(f"{title} has no object class {', '.join(unknown)}; its classes: {', '.join(known)}")
    return [name for name, e in entries.items() if e.object_class in classes]


def load_table_sequence(benchmark: str, title: str, table_file: str, entries: dict, root: Path, name: str,
                        check_frames: bool, separators: Sequence = (",",), allow_nan: bool = False) -> TestSequence:
    """Sequence ``name`` of the table: its frame paths under ``root`` and ground truth (``separators`` tried in
    order; NaN rows kept where ``allow_nan``). ``check_frames``: every frame file must exist."""
    check_name(name, entries, title, f"lib/data/benchmarks/tables/{table_file}")
    entry = entries[name]
    root = Path(root)
    ground_truth = read_boxes(root / entry.gt_file, separators, allow_nan)
    if len(ground_truth) <= entry.gt_rows_dropped:
        raise DatasetError(f"{root / entry.gt_file}: {len(ground_truth)} boxes, but {name} skips its first "
                           f"{entry.gt_rows_dropped} frames (initOmit): the file is cut short; re-download it")
    frames = tuple(str(root / entry.frame_file(n)) for n in entry.frame_numbers)
    if check_frames:
        check_frame_files(name, frames)
    return TestSequence(name, benchmark, frames, ground_truth[entry.gt_rows_dropped:],
                        object_class=entry.object_class)
