"""Need for Speed, 30 fps (100 sequences, ``tables/nfs.json``): frames ``<B>/30/<B>/%05d.jpg``, ground truth
``<B>/30/<B>_pytracking.txt`` (``,``), where B is the last part of the table's ``path``.

The table's own ``path`` (``sequences/<B>``) and ``anno_path`` (``anno/nfs_<B>.txt``) are not where the files
are: the original rewrites them to the layout above, the one NfS unpacks to. ``<B>_pytracking.txt`` is not in
NfS's download (its own ``<B>.txt`` has another format): it is the conversion to one ``x,y,w,h`` per frame
that pytracking-based trackers use.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from lib.data.benchmarks.sequence import TestSequence
from lib.data.benchmarks.table import TableSequence, list_table, load_table_sequence, plain_row, read_table

TABLE = "nfs.json"
TITLE = "NfS"
LAYOUT = "<sequence>/30/<sequence>/00001.jpg ... and <sequence>/30/<sequence>_pytracking.txt (x,y,w,h per frame)"


def nfs_row(row: dict) -> TableSequence:
    """A table row with its paths rewritten the original's way."""
    base = row["path"].rsplit("/", 1)[-1]
    anno_name = row["anno_path"].split("nfs_", 1)[1].removesuffix(".txt")
    return replace(plain_row(row), frame_dir=f"{base}/30/{base}", gt_file=f"{base}/30/{anno_name}_pytracking.txt")


def entries() -> dict:
    return read_table(TABLE, nfs_row)


def list_nfs(root: Path, classes: Sequence[str] | None = None) -> list:
    """The table's 100 sequences, in its order (of these object classes when ``classes`` is given)."""
    return list_table(entries(), classes, TITLE)


def load_nfs(root: Path, name: str, check_frames: bool = True) -> TestSequence:
    return load_table_sequence("nfs", TITLE, TABLE, entries(), root, name, check_frames)
