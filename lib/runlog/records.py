"""A training run's metric records: write them (``metrics.jsonl``), find a run's files, read them back (or parse the
text log), select them. Two runs' records are compared in :mod:`lib.runlog.compare`, their checkpoint weights in
:mod:`lib.runlog.weights`; files holding several phases are split by :mod:`lib.runlog.phases`.

A record is a dict with a ``kind``. The trainer writes three kinds:

- ``interval``: ``epoch``, ``samples`` (done so far in the epoch), ``epoch_samples``, ``global_step``, ``loss`` and
  ``iou`` (running means over the epoch so far), ``loss_interval`` and ``iou_interval`` (means over the last
  interval), ``lr``, ``time``;
- ``epoch``: ``epoch``, ``samples``, ``global_step``, ``loss``, ``iou`` (epoch means), ``lr``, ``epoch_time``, ``time``;
- ``resume``: ``epoch``, ``samples`` (where the checkpoint resumed from was taken), ``path``, ``time``.

Unknown kinds and keys are carried along and ignored. A run resumed into its own directory re-writes some records:
for one ``(kind, epoch, samples)`` the last record in the file wins.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

METRICS_SUFFIX = ".metrics.jsonl"
LOG_SUFFIX = ".log"
_REQUIRED_KEYS = {"interval": ("epoch", "samples", "loss", "iou"), "epoch": ("epoch", "samples", "loss", "iou"),
                  "resume": ("epoch", "samples")}
_PHASE_SUFFIX = re.compile(r"\.phase\d+$")


class MetricsError(ValueError):
    """Metric records or run files that are missing, malformed or cannot be compared."""


# ---------------------------------------------------------------------------------------------------- writing


class MetricsWriter:
    """Appends one JSON line per :meth:`write`, flushed and fsynced, so a crash loses at most the line being written.
    One process writes a file (rank 0 in distributed training).

    Floats are written with ``repr`` precision (what :mod:`json` does), so reading them back gives the same bits.
    A line left incomplete by a crash (no trailing newline) is cut off when the file is opened again.
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        _drop_incomplete_last_line(self.path)
        self._file = open(self.path, "a", encoding="utf-8")

    def write(self, record: Mapping[str, Any] | None = None, /, **fields: Any) -> None:
        """Append ``record`` (and/or keyword fields) as one line; it must have a string ``kind``."""
        merged = {**(record or {}), **fields}
        if not isinstance(merged.get("kind"), str):
            raise ValueError(f"a metrics record needs a string 'kind', got {merged!r}")
        line = json.dumps(merged, default=_to_json_scalar) + "\n"
        self._file.write(line)
        self._file.flush()
        os.fsync(self._file.fileno())

    def close(self) -> None:
        if not self._file.closed:
            self._file.close()

    def __enter__(self) -> MetricsWriter:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def _to_json_scalar(value: Any) -> Any:
    # Tensors and NumPy scalars of one element become Python numbers; anything else is a caller's mistake.
    if hasattr(value, "item"):
        return value.item()
    raise TypeError(f"cannot write {type(value).__name__} {value!r} to a metrics file")


def _drop_incomplete_last_line(path: Path) -> None:
    if not path.is_file() or path.stat().st_size == 0:
        return
    with open(path, "rb+") as handle:
        handle.seek(-1, os.SEEK_END)
        if handle.read(1) == b"\n":
            return
        handle.seek(0)
        data = handle.read()
        keep = data.rfind(b"\n") + 1
        logger.warning("%s: dropping an incomplete last line (%d bytes) left by an interrupted write",
                       path, len(data) - keep)
        handle.truncate(keep)
        handle.flush()
        os.fsync(handle.fileno())


# ---------------------------------------------------------------------------------------------------- locating


@dataclass(frozen=True)
class RunFiles:
    """Where one run's records come from, and where its epoch checkpoints are (None when unknown)."""

    records_path: Path
    checkpoint_dir: Path | None


def _single(candidates: list[Path], what: str, directory: Path) -> Path | None:
    if len(candidates) > 1:
        names = ", ".join(p.name for p in candidates)
        raise MetricsError(f"{directory} holds several {what} ({names}); pass the one you mean")
    return candidates[0] if candidates else None


def find_metrics_file(run_dir: str | Path) -> Path | None:
    """``<run>/logs/<script>-<config>.metrics.jsonl`` (or one directly in ``run_dir``); None when there is none."""
    run_dir = Path(run_dir)
    for directory in (run_dir / "logs", run_dir):
        found = sorted(directory.glob("*" + METRICS_SUFFIX)) if directory.is_dir() else []
        if found:
            return _single(found, "metrics files", directory)
    return None


def find_log_file(run_dir: str | Path) -> Path | None:
    """``<run>/logs/<script>-<config>.log`` (or one directly in ``run_dir``), split phase logs excluded."""
    run_dir = Path(run_dir)
    for directory in (run_dir / "logs", run_dir):
        found = sorted(p for p in directory.glob("*" + LOG_SUFFIX)
                       if not _PHASE_SUFFIX.search(p.name[:-len(LOG_SUFFIX)])) if directory.is_dir() else []
        if found:
            return _single(found, "log files", directory)
    return None


def locate_run(path: str | Path) -> RunFiles:
    """Resolve a run directory, a metrics file or a text log to its records file and checkpoint directory."""
    path = Path(path)
    if not path.exists():
        raise MetricsError(f"{path} does not exist")
    if path.is_dir():
        records_path = find_metrics_file(path) or find_log_file(path)
        if records_path is None:
            raise MetricsError(f"{path} holds no metrics file (logs/*{METRICS_SUFFIX}) and no text log (logs/*.log)")
    else:
        records_path = path
    return RunFiles(records_path, _checkpoint_dir_for(records_path))


def _checkpoint_dir_for(records_path: Path) -> Path | None:
    # <run>/logs/<script>-<config>[.metrics.jsonl | .log | .phaseN.log] -> <run>/checkpoints/train/<script>/<config>
    stem = records_path.name
    for suffix in (".jsonl", LOG_SUFFIX):
        if stem.endswith(suffix):
            stem = stem[:-len(suffix)]
    stem = _PHASE_SUFFIX.sub("", stem)
    stem = stem[:-len(".metrics")] if stem.endswith(".metrics") else stem
    script, dash, config = stem.partition("-")
    if not dash or records_path.parent.name != "logs":
        return None
    directory = records_path.parent.parent / "checkpoints" / "train" / script / config
    return directory if directory.is_dir() else None


# ---------------------------------------------------------------------------------------------------- reading


def read_metrics(path_or_run_dir: str | Path) -> list[dict]:
    """All records of a run directory, a ``.jsonl`` metrics file or a text log, in file order (no de-duplication)."""
    records_path = locate_run(path_or_run_dir).records_path
    if records_path.suffix == ".jsonl":
        return _read_jsonl(records_path)
    return parse_log(records_path)


def _read_jsonl(path: Path) -> list[dict]:
    try:
        lines = path.read_text(encoding="utf-8").split("\n")  # not splitlines: it also splits at U+2028 etc.
    except UnicodeDecodeError as exc:
        raise MetricsError(f"{path} is not a UTF-8 text file ({exc.reason} at byte {exc.start})") from None
    records = []
    for line_number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise MetricsError(f"{path}:{line_number}: malformed JSON line ({exc.msg} at column {exc.colno})") \
                from None
        _check_record(record, f"{path}:{line_number}")
        records.append(record)
    return records


def _check_record(record: Any, where: str) -> None:
    if not isinstance(record, dict) or not isinstance(record.get("kind"), str):
        raise MetricsError(f"{where}: expected a JSON object with a string 'kind', got {record!r:.80}")
    for key in _REQUIRED_KEYS.get(record["kind"], ()):
        value = record.get(key)
        wanted_int = key in ("epoch", "samples")
        if isinstance(value, bool) or not isinstance(value, int if wanted_int else (int, float)):
            raise MetricsError(f"{where}: {record['kind']} record has {key}={value!r}; expected "
                               f"{'an integer' if wanted_int else 'a number'}")


_NUMBER = r"([-+]?(?:nan|inf|(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?))"
_DURATION = r"(?:(\d+) days?, )?(\d+):(\d\d):(\d\d(?:\.\d+)?)"
_INTERVAL_LINE = re.compile(r"Epoch (\d+) : (\d+) / (\d+) samples ,")
_EPOCH_LINE = re.compile(r"Epoch (\d+) done : (\d+) samples ,")
RESUME_LINE = re.compile(r"Resumed from (.+?) at epoch (\d+), sample (\d+)")
_LOSS = re.compile(r"Loss/total: " + _NUMBER, re.IGNORECASE)
_IOU = re.compile(r"IoU: " + _NUMBER, re.IGNORECASE)
_LR = re.compile(r"\blr: " + _NUMBER, re.IGNORECASE)
_EPOCH_TIME = re.compile(r"epoch time : " + _DURATION)


def parse_log(path: str | Path) -> list[dict]:
    """The records a text log holds (interval, epoch and resume lines), as dicts shaped like ``metrics.jsonl``'s.

    The log prints losses with five decimals: records parsed from it are only as precise as that.
    """
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError as exc:
        raise MetricsError(f"cannot read {path}: {exc.strerror}") from None
    return [record for record in map(parse_log_line, lines) if record is not None]


def parse_log_line(line: str) -> dict | None:
    """The record one log line holds, or None for any other line."""
    if match := RESUME_LINE.search(line):
        return {"kind": "resume", "epoch": int(match[2]), "samples": int(match[3]), "path": match[1]}
    loss, iou = _LOSS.search(line), _IOU.search(line)
    if loss is None or iou is None:
        return None
    stats = {"loss": float(loss[1]), "iou": float(iou[1])}
    if match := _EPOCH_LINE.search(line):
        record = {"kind": "epoch", "epoch": int(match[1]), "samples": int(match[2]), **stats}
        if lr := _LR.search(line):
            record["lr"] = float(lr[1])
        if duration := _EPOCH_TIME.search(line):
            days, hours, minutes, seconds = duration.groups()
            record["epoch_time"] = ((int(days or 0) * 24 + int(hours)) * 60 + int(minutes)) * 60 + float(seconds)
        return record
    if match := _INTERVAL_LINE.search(line):
        return {"kind": "interval", "epoch": int(match[1]), "samples": int(match[2]),
                "epoch_samples": int(match[3]), **stats}
    return None


# ---------------------------------------------------------------------------------------------------- selecting


def latest_records(records: Iterable[Mapping], kind: str) -> list[dict]:
    """Records of one kind, the last one winning for each ``(epoch, samples)``, sorted by ``(epoch, samples)``."""
    latest = {}
    for record in records:
        if record.get("kind") == kind:
            latest[(record["epoch"], record["samples"])] = dict(record)
    return [latest[key] for key in sorted(latest)]


def epoch_records(records: Iterable[Mapping]) -> list[dict]:
    """One ``epoch`` record per epoch (the last written), by epoch."""
    return latest_records(records, "epoch")


def interval_records(records: Iterable[Mapping]) -> list[dict]:
    """One ``interval`` record per ``(epoch, samples)`` (the last written), in training order."""
    return latest_records(records, "interval")


def fractional_epoch(record: Mapping) -> float:
    """Position in training in epochs: ``epoch - 1 + samples / epoch_samples`` (an epoch record sits at ``epoch``)."""
    if record.get("kind") == "epoch" or not record.get("epoch_samples"):
        return float(record["epoch"])
    return record["epoch"] - 1 + record["samples"] / record["epoch_samples"]


def format_epochs(epochs: Iterable[int], dash: str = "\u2013") -> str:
    """``[3, 4, 5, 7]`` -> ``"3–5, 7"``."""
    ranges: list[list[int]] = []
    for epoch in sorted(set(epochs)):
        if ranges and epoch == ranges[-1][1] + 1:
            ranges[-1][1] = epoch
        else:
            ranges.append([epoch, epoch])
    return ", ".join(str(a) if a == b else f"{a}{dash}{b}" for a, b in ranges)
