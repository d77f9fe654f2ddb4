"""Submission archives for the benchmarks scored by their servers: GOT-10k test and TrackingNet test.

Layouts (the original's ``transform_got10k`` / ``transform_trackingnet``), boxes as integers (``%d``, the tab
files' values truncated), comma-separated:

- GOT-10k: ``<seq>/<seq>_001.txt`` (the first of the toolkit's repetitions) and ``<seq>/<seq>_time.txt`` (the
  time file as tracked) per sequence, with a folder entry ``<seq>/`` each;
- TrackingNet: ``<seq>.txt`` per sequence, at the top of the archive.

The original writes the files into ``<name>_submit/``, zips it and deletes both that folder and the results;
on Python >= 3.10 its zip lands inside the deleted folder, so nothing is left. Here the zip is written next to
the results (atomically) and nothing is deleted. The original also skips every file whose name contains
``all`` (meant for summary files), which would drop a TrackingNet video whose id contains it; here every
sequence of the benchmark is packed and a missing one is an error.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from lib.test.evaluation.running import ResultsError, read_results
from lib.utils.atomic_files import write_atomic

ARCHIVE_NAMES = {"got10k_test": "got10k_submit.zip", "trackingnet": "trackingnet_submit.zip"}
_GOT10K_TEST = re.compile(r"^GOT-10k_Test_\d+$")


@dataclass
class Packed:
    path: Path
    sequences: int
    frames: int
    warnings: list = field(default_factory=list)


def _integer_lines(boxes: np.ndarray) -> str:
    """(N, 4) boxes -> ``x,y,w,h`` integer lines (truncated towards zero, as ``%d`` writes a float)."""
    return "".join(",".join(str(v) for v in row) + "\n" for row in np.trunc(boxes).astype(np.int64).tolist())


def _result_names(folder: Path, benchmark: str) -> list:
    names = sorted(p.stem for p in folder.glob("*.txt") if not p.stem.endswith("_time"))
    return [n for n in names if _GOT10K_TEST.match(n)] if benchmark == "got10k_test" else names


def _entries(benchmark: str, folder: Path, name: str) -> list:
    """``[(archive name, bytes or None for a folder entry), ...]`` of one sequence."""
    boxes = read_results(folder / f"{name}.txt")
    if benchmark == "trackingnet":
        return [(f"{name}.txt", _integer_lines(boxes).encode())]
    time_file = folder / f"{name}_time.txt"
    if not time_file.is_file():
        raise ResultsError(f"{time_file} is missing: track {name} again (tracking/test.py writes both files)")
    return [(f"{name}/", None), (f"{name}/{name}_001.txt", _integer_lines(boxes).encode()),
            (f"{name}/{name}_time.txt", time_file.read_bytes())]


def pack_submission(benchmark: str, folder: Path, expected: Sequence[str] | None = None, out: Path | None = None,
                    allow_missing: bool = False) -> Packed:
    """Write the submission zip of ``benchmark`` ('got10k_test' or 'trackingnet') from the result files in
    ``folder``; ``expected`` (the benchmark's sequence names) makes a missing sequence an error (a warning with
    ``allow_missing``). The default ``out`` is ``folder``'s parent / ``got10k_submit.zip`` or
    ``trackingnet_submit.zip``."""
    if benchmark not in ARCHIVE_NAMES:
        raise ValueError(f"no submission format for {benchmark!r}; choose one of {', '.join(ARCHIVE_NAMES)}")
    found = _result_names(folder, benchmark)
    names = list(expected) if expected is not None else found
    warnings = []
    missing = [n for n in names if n not in set(found)]
    if missing:
        message = (f"{len(missing)} of {len(names)} sequences have no results in {folder} (first: {missing[0]}); "
                   f"run tracking/test.py on them")
        if not allow_missing:
            raise ResultsError(message + ", or pass --allow_missing")
        warnings.append(message)
        names = [n for n in names if n not in set(missing)]
    if not names:
        raise ResultsError(f"no result files of {benchmark} in {folder}")
    entries, frames = [], 0
    for name in names:
        sequence_entries = _entries(benchmark, folder, name)
        frames += sequence_entries[-2 if benchmark == "got10k_test" else -1][1].count(b"\n")
        entries += sequence_entries
    path = Path(out) if out is not None else folder.parent / ARCHIVE_NAMES[benchmark]

    def write(handle) -> None:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for entry, data in entries:
                if data is None:
                    archive.writestr(zipfile.ZipInfo(entry), b"")
                else:
                    archive.writestr(entry, data)
        handle.write(buffer.getvalue())

    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, write)
    return Packed(path, len(names), frames, warnings)
