"""Read the annotation text files every dataset uses -- boxes, flag lines, one label per line -- with errors
that name the file, the line and what to do (shared by every training dataset and benchmark reader)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from lib.data.errors import DatasetError

_WHITESPACE = re.compile(r"\s+")


def read_lines(path: str | Path) -> list:
    """The lines of a text file, trailing blank lines dropped; missing, unreadable or non-UTF-8 files are
    :class:`DatasetError` s naming the file."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise DatasetError(f"annotation file {path} is missing") from None
    except IsADirectoryError:
        raise DatasetError(f"annotation file {path} is a folder, not a file") from None
    except OSError as exc:
        raise DatasetError(f"annotation file {path} cannot be read ({exc.strerror or exc})") from None
    try:
        lines = data.decode("utf-8").splitlines()
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise DatasetError(f"{path}, line {line}: not text (byte 0x{exc.object[exc.start]:02x} is not UTF-8); "
                           f"the file is damaged: re-download or re-extract the sequence") from None
    while lines and not lines[-1].strip():
        lines.pop()
    return lines


def _split(line: str, separator: str | None) -> list:
    text = line.strip()
    return _WHITESPACE.split(text) if separator is None else [v.strip() for v in text.split(separator)]


def _parse(lines: list, separator: str | None, allow_nan: bool) -> np.ndarray | None:
    """(N, 4) float64, or None when a line is not four numbers (NaN only where ``allow_nan``)."""
    try:
        rows = [[float(v) for v in _split(line, separator)] for line in lines]
    except ValueError:
        return None
    if any(len(row) != 4 for row in rows):
        return None
    boxes = np.array(rows, dtype=np.float64).reshape(-1, 4)
    if np.isinf(boxes).any() or (not allow_nan and np.isnan(boxes).any()):
        return None
    return boxes


def _first_bad_line(path: Path, lines: list, separators: Sequence, allow_nan: bool) -> DatasetError:
    shown = " or ".join("whitespace" if s is None else repr(s) for s in separators)
    for number, line in enumerate(lines, start=1):
        if all(_parse([line], s, allow_nan) is None for s in separators):
            return DatasetError(f"{path}, line {number}: expected 'x,y,w,h' (four numbers separated by {shown}), "
                                f"got {line!r}")
    return DatasetError(f"{path}: the lines do not all use the same separator ({shown})")


def read_boxes(path: str | Path, separators: Sequence = (",",), allow_nan: bool = False) -> np.ndarray:
    """A box file (one ``x,y,w,h`` per line) -> (N, 4) float64.

    ``separators`` are tried in order, each for the whole file (None = any whitespace), as the original's
    loader tries its delimiters. ``allow_nan``: NaN values are kept (UAV123 marks absent frames so). A line
    that is not four numbers is an error naming the file and the line; so is an empty file.
    """
    path = Path(path)
    lines = read_lines(path)
    if not lines:
        raise DatasetError(f"{path} holds no boxes")
    if len(separators) == 1 and separators[0] == ",":  # the common case: one conversion of the whole file
        try:
            values = np.array(",".join(lines).split(","), dtype=np.float64)
            if values.size == 4 * len(lines) and not np.isinf(values).any() and (allow_nan
                                                                                  or not np.isnan(values).any()):
                return values.reshape(-1, 4)
        except ValueError:
            pass
    for separator in separators:
        boxes = _parse(lines, separator, allow_nan)
        if boxes is not None:
            return boxes
    raise _first_bad_line(path, lines, separators, allow_nan)


def read_flag_line(path: str | Path, count: int, reference: str) -> np.ndarray:
    """A flag file of 0/1 values separated by commas or whitespace (LaSOT: one line) -> (count,) bool;
    another number of flags than ``count`` (the boxes of ``reference``) is an error."""
    path = Path(path)
    text = "\n".join(read_lines(path)).strip()
    fields = re.split(r"[,\s]+", text) if text else []
    bad = next((f for f in fields if f not in ("0", "1")), None)
    if bad is not None:
        raise DatasetError(f"{path}: expected comma-separated 0/1 flags, found {bad!r}")
    if len(fields) != count:
        raise DatasetError(f"{path}: {len(fields)} flags but {count} boxes in {reference}")
    return np.array(fields) == "1"


def read_labels(path: str | Path, count: int | None = None, reference: str = "groundtruth.txt") -> np.ndarray:
    """A label file of one integer per line (GOT-10k's ``absence.label``, ``cover.label``) -> (N,) int64;
    with ``count``, another number of lines than that is an error."""
    path = Path(path)
    lines = read_lines(path)
    try:  # one conversion of the whole file; a bad line is found by the slow path below
        labels = np.array(lines, dtype=np.int64) if lines else np.zeros(0, dtype=np.int64)
    except ValueError:
        labels = None
    try:
        if labels is None:
            labels = np.array([int(line.strip()) for line in lines], dtype=np.int64)
    except ValueError:
        number, line = next((n, li) for n, li in enumerate(lines, start=1) if not li.strip().lstrip("-").isdigit())
        raise DatasetError(f"{path}, line {number}: expected one integer per line, got {line!r}") from None
    if count is not None and len(labels) != count:
        raise DatasetError(f"{path}: {len(labels)} labels but {count} boxes in {reference}")
    return labels
