"""Which of a sequence's frame files are on disk: one listing of its frame folder, shared by every dataset's rule
of completeness (LaSOT, GOT-10k, TrackingNet)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path


def missing_frame_files(folder: Path, names: Sequence[str]) -> list | None:
    """The indices into ``names`` of the files missing from ``folder``; None when the folder itself is missing."""
    try:
        present = {entry.name for entry in os.scandir(folder)}
    except (FileNotFoundError, NotADirectoryError):
        return None
    return [i for i, name in enumerate(names) if name not in present]


def frames_problem(folder: Path, names: Sequence[str], fix: str) -> str | None:
    """Why ``folder`` lacks some of the annotated frames ``names`` (with ``fix``, what to do), or None."""
    missing = missing_frame_files(folder, names)
    if missing is None:
        return f"its frames folder {folder} is missing; {fix}"
    if not missing:
        return None
    return (f"{len(missing)} of its {len(names)} annotated frames are missing from {folder} (first: "
            f"{names[missing[0]]}); {fix}")
