"""Checks the benchmark readers share: the sequence is one of the benchmark's, its frame files are all there,
and ``classes`` is asked only of a benchmark that has classes."""

from __future__ import annotations

import os
from collections.abc import Callable, Collection, Sequence
from pathlib import Path

from lib.data.errors import DatasetError


def check_name(name: str, names: Collection, title: str, where: str) -> None:
    """``name`` must be one of the benchmark's ``names``; ``where`` says where the names come from."""
    if name not in names:
        raise DatasetError(f"{name!r} is not a {title} sequence (its {len(names)} sequences are listed by "
                           f"{where})")


def check_no_classes(classes: Sequence[str] | None, title: str) -> None:
    """Benchmarks without classes refuse a class selection rather than silently running everything."""
    if classes:
        raise DatasetError(f"{title} has no classes to select ({', '.join(classes)} asked); run all its "
                           f"sequences, or choose sequences by name")


def _missing_error(name: str, missing: list, total: int, where: str) -> DatasetError:
    return DatasetError(f"sequence {name} is incomplete: {len(missing)} of its {total} frames are missing from "
                        f"{where} (first: {missing[0]}); re-download or re-extract the sequence")


def check_frame_files(name: str, frames: Sequence[str]) -> None:
    """Every path of ``frames`` exists (one listing per folder, not one ``stat`` per frame)."""
    listings = {}
    missing = []
    for frame in frames:
        folder, file = os.path.split(frame)
        if folder not in listings:
            try:
                listings[folder] = set(os.listdir(folder))
            except OSError:  # missing, not a folder, unreadable: none of its frames can be read
                listings[folder] = set()
        if file not in listings[folder]:
            missing.append(frame)
    if missing:
        raise _missing_error(name, missing, len(frames), os.path.dirname(missing[0]))


def listed_files(folder: Path, suffix: str = "") -> list:
    """The names of the files in ``folder`` ending with ``suffix``, unsorted; none when it does not exist."""
    try:
        with os.scandir(folder) as entries:
            return [e.name for e in entries if e.name.endswith(suffix) and e.is_file()]
    except (FileNotFoundError, NotADirectoryError):
        return []


def numbered_frames(folder: Path, suffix: str) -> tuple:
    """The ``suffix`` files of ``folder`` (``0.jpg``, ``00000001.jpg`` ...) as paths, sorted by their number."""
    numbered = []
    for file in listed_files(folder, suffix):
        stem = file[:-len(suffix)]
        if not stem.isdigit():
            raise DatasetError(f"frame {folder / file}: frame files here are named by their number "
                               f"(e.g. 00000001{suffix}); move the other files out of {folder}")
        numbered.append((int(stem), file))
    return tuple(str(folder / file) for _, file in sorted(numbered))


def check_numbered_frames(name: str, folder: Path, frames: Sequence[str], rows: int, first: int,
                          frame_name: Callable[[int], str]) -> None:
    """Frames numbered ``first``, ``first + 1`` ... (from :func:`numbered_frames`) have no gap and cover the
    ``rows`` annotated frames (one row only: at least the first frame); ``frame_name(i)`` names frame ``i``."""
    present = {int(Path(frame).stem) for frame in frames}
    last = max(present | {first + rows - 1})
    missing = [frame_name(i) for i in range(first, last + 1) if i not in present]
    if missing:
        raise _missing_error(name, missing, last - first + 1, folder)


def check_frame_count(name: str, frames: Sequence[str], rows: int, folder: Path) -> None:
    """Frames without a numbering (TNL2K's, in name order) must be at least one, and one per annotated row;
    which are missing cannot be told, only how many."""
    expected = max(rows, 1)
    if len(frames) < expected:
        raise DatasetError(f"sequence {name} is incomplete: {expected - len(frames)} of its {expected} annotated "
                           f"frames are missing from {folder} (it holds {len(frames)}); re-download or re-extract "
                           f"the sequence")
