"""A LaSOT sequence folder: ``img/00000001.jpg ...`` and its annotation files, and the one rule of completeness.

A sequence is complete when every frame its ``groundtruth.txt`` counts exists as ``img/%08d.jpg`` (more frames are
allowed: LaSOT's monkey-25 has one). Training, tracking and the downloader all apply this rule.
"""

from __future__ import annotations

from pathlib import Path

from lib.data.frame_files import missing_frame_files

FRAME_NAME = "{:08d}.jpg"  # 1-based: img/00000001.jpg is the first frame


def frame_path(seq_dir: Path, index: int) -> Path:
    """The file of 0-based frame ``index``."""
    return seq_dir / "img" / FRAME_NAME.format(index + 1)


def missing_frames(seq_dir: Path, count: int) -> list:
    """The 0-based indices among ``0 .. count - 1`` whose frame file is missing (one listing of ``img/``)."""
    missing = missing_frame_files(seq_dir / "img", [FRAME_NAME.format(i + 1) for i in range(count)])
    return list(range(count)) if missing is None else missing


def incompleteness(seq_dir: Path, count: int) -> str | None:
    """Why the sequence is incomplete for ``count`` annotated frames, or None when it is complete."""
    missing = missing_frames(seq_dir, count)
    if not missing:
        return None
    first = frame_path(seq_dir, missing[0])
    return f"{len(missing)} of its {count} annotated frames are missing from img/ (first: {first.name})"
