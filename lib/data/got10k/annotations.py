"""Read one GOT-10k training sequence's annotation files: boxes, absence and cover labels, visibility, metadata."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np

from lib.data.errors import DatasetError
from lib.data.text_files import read_boxes, read_labels

logger = logging.getLogger(__name__)

GROUNDTRUTH = "groundtruth.txt"  # one x,y,w,h per frame
ABSENCE = "absence.label"  # one 0/1 per frame: 1 = the object is not in the frame
COVER = "cover.label"  # one 0..8 per frame: the visible share of the object in eighths
META_INFO = "meta_info.ini"  # [METAINFO] then key: value lines (url, ..., object_class, ...)
ANNOTATION_FILES = (GROUNDTRUTH, ABSENCE, COVER, META_INFO)  # every file read per sequence
MAX_COVER = 8

# meta_info.ini: the value on line 5 + k (0-based) is the k-th key, as the original reads it (by position)
META_KEYS = ("object_class_name", "motion_class", "major_class", "root_class", "motion_adverb")
META_FIRST_LINE = 5


def no_meta() -> dict:
    return dict.fromkeys(META_KEYS)


def read_meta(path: str | Path) -> dict:
    """``{object_class_name, motion_class, major_class, root_class, motion_adverb}`` from ``meta_info.ini``;
    all None when there is no such file (or when it is too short to hold them: a warning names it)."""
    path = Path(path)
    try:
        # readlines keeps each line's newline (text mode makes "\r\n" one "\n"); see _meta_value
        with open(path, encoding="utf-8") as file:
            lines = file.readlines()
    except FileNotFoundError:
        return no_meta()
    except (OSError, UnicodeDecodeError) as exc:
        logger.warning("%s cannot be read (%s); the sequence has no class or motion metadata", path, exc)
        return no_meta()
    if len(lines) < META_FIRST_LINE + len(META_KEYS):
        logger.warning("%s has %d lines, fewer than the %d of GOT-10k's meta_info.ini; the sequence has no class "
                       "or motion metadata", path, len(lines), META_FIRST_LINE + len(META_KEYS))
        return no_meta()
    return {key: _meta_value(lines[META_FIRST_LINE + k]) for k, key in enumerate(META_KEYS)}


def _meta_value(line: str) -> str:
    """The text after the last ``': '`` with its last character dropped, exactly as the original does.

    That last character is the line's newline, which ``readlines`` keeps (the key lines are never the file's
    last, so they always end with one). Dropping it, rather than stripping, keeps values identical to the
    original's -- spaces included -- for every file where the original's rule is meaningful.
    """
    return line.rpartition(": ")[2][:-1]


def _check_range(path: Path, labels: np.ndarray, low: int, high: int) -> None:
    bad = np.flatnonzero((labels < low) | (labels > high))
    if len(bad):
        raise DatasetError(f"{path}, line {int(bad[0]) + 1}: label {int(labels[bad[0]])} is outside {low}..{high}")


def read_sequence_annotation(seq_dir: str | Path) -> tuple:
    """``(columns, meta)`` of the sequence folder ``seq_dir``: ``columns`` = ``{'boxes': (N, 4) float64,
    'valid', 'visible': (N,) bool, 'visible_ratio': (N,) float32}`` and ``meta`` = :func:`read_meta`.

    visible = not absent, cover > 0 and a box of positive size; visible_ratio = cover / 8.
    """
    seq_dir = Path(seq_dir)
    boxes = read_boxes(seq_dir / GROUNDTRUTH)
    absence = read_labels(seq_dir / ABSENCE, len(boxes), GROUNDTRUTH)
    _check_range(seq_dir / ABSENCE, absence, 0, 1)
    cover = read_labels(seq_dir / COVER, len(boxes), GROUNDTRUTH)
    _check_range(seq_dir / COVER, cover, 0, MAX_COVER)
    valid = (boxes[:, 2] > 0) & (boxes[:, 3] > 0)
    columns = {"boxes": boxes, "valid": valid, "visible": (absence == 0) & (cover > 0) & valid,
               "visible_ratio": (cover / MAX_COVER).astype(np.float32)}
    return columns, read_meta(seq_dir / META_INFO)
