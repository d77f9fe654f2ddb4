"""Run the tracker over a benchmark's test sequences: find the checkpoint, track, write and read result files.

Result files (``<results_dir>/<tracker>/<config>[_epNNNN]/<tag>/``, the tag being the benchmark's as the
original names it: ``lasot``, ``got10k``, ``uav`` ...), one pair per sequence:

- ``<sequence>.txt``: one line per frame, ``x<TAB>y<TAB>w<TAB>h`` in frame pixels; line 1 is the ground
  truth the tracker was initialised with. As the original writes them (and as the paper's AUCs were
  computed): every value **truncated to an integer** (``astype(int)``, towards zero) and tab-separated.
  ``float_results`` writes 3 decimals instead (full precision; the scores then differ slightly from the
  original's). Our reader also takes comma-separated files.
- ``<sequence>_time.txt``: seconds spent on each frame (line 1: the initialisation).
- ``run_info.json`` once per folder: the config, the checkpoint (path, epoch, SHA-256) and the result format
  the results come from, so that results of another checkpoint or format are never mistaken for done work.

Both files of a sequence are written atomically (temporary file + rename), the time file first; a sequence
counts as done only when both exist with one valid line per ground-truth frame.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import multiprocessing
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from lib.checkpoint.io import checkpoint_name, local_checkpoint
from lib.checkpoint.paths import RunPaths
from lib.config.seqtrack.config import ConfigError, config_path, load_config
from lib.data.benchmarks.registry import Benchmark
from lib.data.benchmarks.sequence import TestSequence
from lib.data.errors import DatasetError
from lib.data.frames import decode_frame
from lib.models.seqtrack.loading import LoadedNetwork, load_network
from lib.test.tracker.seqtrack import SeqTrackTracker, TrackerParams
from lib.utils.atomic_files import write_text_atomic
from lib.utils.logging_setup import format_hms
from lib.utils.precision import resolve_precision

logger = logging.getLogger(__name__)

TRACKER_NAME = "seqtrack"
RUN_INFO = "run_info.json"


class ResultsError(ValueError):
    """A results folder or file that cannot be used (malformed, or made with another checkpoint)."""


# ----------------------------------------------------------------------------------------------- network
def run_checkpoint_path(save_dir: str | Path, config_name: str, epoch: int) -> Path:
    """``<save_dir>/checkpoints/train/seqtrack/<config>/SEQTRACK_ep%04d.pth.tar``, as training writes it."""
    return RunPaths(Path(save_dir), config_name, TRACKER_NAME).checkpoint_dir / checkpoint_name(epoch)


def resolve_checkpoint(config_name: str, checkpoint: str | None = None, epoch: int | None = None,
                       save_dir: str | Path = "./output") -> Path:
    """The checkpoint to track with: ``checkpoint`` itself (an ``hf://`` path is downloaded into the Hub cache),
    else the run's file of ``epoch`` (default TEST.EPOCH)."""
    if checkpoint is not None:
        if epoch is not None:
            raise ConfigError("give either a checkpoint path or an epoch, not both")
        return Path(local_checkpoint(str(checkpoint)))
    if epoch is None:
        epoch = load_config(config_path(config_name)).TEST.EPOCH
    return run_checkpoint_path(save_dir, config_name, epoch)


def file_sha256(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 22), b""):
            digest.update(block)
    return digest.hexdigest()


# ----------------------------------------------------------------------------------------------- results
def run_results_dir(results_dir: str | Path, config_name: str, epoch: int | None = None) -> Path:
    """``<results_dir>/seqtrack/<config>``, or ``.../<config>_ep%04d`` for an explicitly chosen epoch."""
    name = config_name if epoch is None else f"{config_name}_ep{epoch:04d}"
    return Path(results_dir) / TRACKER_NAME / name


RUN_SPEC = re.compile(r"^(?P<path>[^:]+?)(?::ep(?P<epoch>\d+))?$")


def resolve_run_folder(spec: str, results_dir: str | Path, tag: str) -> Path:
    """The folder of result files a run spec names: ``tracker/config`` = ``<results_dir>/tracker/config/<tag>``,
    ``tracker/config:epN`` = ``<results_dir>/tracker/config_epNNNN/<tag>``, or a folder given as a path.
    LaSOT results written before the per-benchmark subfolders (straight into ``<config>/``) are found too."""
    match = RUN_SPEC.match(spec)
    if match is None:
        raise ResultsError(f"--runs {spec!r}: expected tracker/config, tracker/config:epN or a folder")
    path, epoch = match.group("path"), match.group("epoch")
    run = Path(results_dir) / (f"{path}_ep{int(epoch):04d}" if epoch else path)
    if (run / tag).is_dir():
        return run / tag
    if tag == "lasot" and run.is_dir() and any(run.glob("*.txt")):
        return run  # the earlier layout
    if epoch is None and Path(path).is_dir():
        return Path(path)
    tried = f"{run / tag}" + ("" if epoch else f" nor {Path(path)}")
    raise ResultsError(f"--runs {spec!r}: no results folder {tried} (run tracking/test.py with that --dataset_name "
                       f"first, or pass --results_dir)")


RESULT_FORMATS = {False: "x<TAB>y<TAB>w<TAB>h per frame, frame pixels truncated to integers (as the original); "
                         "line 1 = ground truth",
                  True: "x<TAB>y<TAB>w<TAB>h per frame, frame pixels with 3 decimals; line 1 = ground truth"}


def format_result_lines(boxes: np.ndarray, float_results: bool = False) -> str:
    """(N, 4) xywh boxes -> the text of a result file: tab-separated, truncated to integers as the original
    writes them (``astype(int)``), or with 3 decimals when ``float_results``."""
    boxes = np.asarray(boxes, dtype=np.float64)
    if float_results:
        return "".join("\t".join(f"{v:.3f}" for v in row) + "\n" for row in boxes)
    return "".join("\t".join(str(v) for v in row) + "\n" for row in boxes.astype(np.int64).tolist())


def write_results(out_dir: str | Path, name: str, boxes: np.ndarray, times: np.ndarray,
                  float_results: bool = False) -> Path:
    """Write ``<name>_time.txt`` then ``<name>.txt`` (the 'done' marker), each atomically."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    write_text_atomic(out_dir / f"{name}_time.txt", "".join(f"{t:.6f}\n" for t in np.asarray(times, dtype=float)))
    write_text_atomic(out_dir / f"{name}.txt", format_result_lines(boxes, float_results))
    return out_dir / f"{name}.txt"


def _read_rows(path: Path, columns: int) -> np.ndarray:
    lines = [line for line in path.read_text().splitlines() if line.strip()]
    rows = []
    for number, line in enumerate(lines, start=1):
        fields = re.split(r"[,\s]+", line.strip())
        try:
            values = [float(v) for v in fields]
        except ValueError:
            values = []
        if len(values) != columns or not np.isfinite(values).all():
            raise ResultsError(f"{path}, line {number}: expected {columns} numbers, got {line!r}")
        rows.append(values)
    return np.array(rows, dtype=np.float64).reshape(-1, columns)


def read_results(path: str | Path) -> np.ndarray:
    """A result file (tab- or comma-separated x,y,w,h per line) -> (N, 4) float64."""
    path = Path(path)
    if not path.is_file():
        raise ResultsError(f"result file {path} does not exist")
    return _read_rows(path, 4)


def results_done(out_dir: str | Path, name: str, num_frames: int) -> bool:
    """Both files of sequence ``name`` exist and hold exactly ``num_frames`` valid lines."""
    out_dir = Path(out_dir)
    try:
        return (len(read_results(out_dir / f"{name}.txt")) == num_frames
                and len(_read_rows(out_dir / f"{name}_time.txt", 1)) == num_frames)
    except (ResultsError, FileNotFoundError):
        return False


def _results_differ(previous: dict, info: dict) -> str | None:
    """Why the results recorded in ``previous`` (a run_info) cannot be mixed with this run's, or None."""
    if previous.get("checkpoint_sha256") != info["checkpoint_sha256"]:
        if previous.get("checkpoint") == info["checkpoint"]:
            return (f"results of an earlier content of {info['checkpoint']} (the file has changed since they were "
                    f"written: retrained or replaced)")
        return (f"results of another checkpoint ({previous.get('checkpoint')}, epoch {previous.get('epoch')}); "
                f"this run uses {info['checkpoint']}")
    if previous.get("format", info["format"]) != info["format"]:  # older folders record no format of their own
        return f"results written as '{previous.get('format')}'; this run writes '{info['format']}'"
    if previous.get("precision", "fp32") != info.get("precision", "fp32"):  # older folders: fp32, the only one
        return (f"results tracked in {previous.get('precision', 'fp32')}; this run tracks in "
                f"{info.get('precision', 'fp32')}")
    return None


def check_run_info(out_dir: Path, info: dict, overwrite: bool) -> None:
    """Keep one checkpoint and one result format per results folder, then record ``info`` in its
    ``run_info.json``.

    Results of another checkpoint or format are an error; with ``overwrite`` they are deleted (all of them,
    so the folder never mixes two runs' sequences). Result files without a ``run_info.json`` are trusted.
    """
    path = out_dir / RUN_INFO
    try:
        previous = json.loads(path.read_text()) if path.is_file() else None
    except json.JSONDecodeError:
        previous = {}
    reason = None if previous is None else _results_differ(previous, info)
    if reason is not None:
        if not overwrite:
            raise ResultsError(f"{out_dir} holds {reason}. Pass --overwrite to replace them, or choose another "
                               f"--results_dir")
        stale = sorted(out_dir.glob("*.txt"))
        for result_file in stale:
            result_file.unlink()
        logger.warning("--overwrite: removed %d result files (%s) from %s", len(stale), reason, out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    write_text_atomic(path, json.dumps(info, indent=2) + "\n")


# ----------------------------------------------------------------------------------------------- tracking
def track_sequence(tracker: SeqTrackTracker, sequence: TestSequence) -> tuple:
    """Track ``sequence`` from its first ground-truth box -> ``(boxes (N, 4) xywh, seconds (N,))``.

    Frame 1's box is the ground truth itself; the times cover the tracker only, not frame decoding.
    """
    boxes = np.zeros((len(sequence), 4), dtype=np.float64)
    times = np.zeros(len(sequence), dtype=np.float64)
    for index, path in enumerate(sequence.frames):
        image = decode_frame(path)
        start = time.perf_counter()
        if index == 0:
            tracker.initialize(image, sequence.ground_truth[0])
            box = sequence.ground_truth[0]
        else:
            box = tracker.track(image).box
        times[index] = time.perf_counter() - start
        boxes[index] = box
    return boxes, times


@dataclass(frozen=True)
class RunSpec:
    """What a worker process needs to build its own tracker (picklable)."""

    checkpoint: str
    config_name: str
    device: str
    dataset_name: str
    use_cache: bool
    out_dir: str
    float_results: bool = False
    amp: bool = False  # bf16 autocast (TEST.AMP / --amp) where the device computes bf16 natively

    def tracker(self, loaded: LoadedNetwork) -> SeqTrackTracker:
        precision = resolve_precision(self.amp, self.device, "TEST.AMP / --amp")
        return SeqTrackTracker(loaded.net, loaded.cfg, self.device, self.dataset_name, self.use_cache, precision)


@dataclass(frozen=True)
class SequenceOutcome:
    name: str
    frames: int
    seconds: float  # tracker time over all frames
    error: str | None = None


@dataclass
class RunReport:
    """What :func:`run_dataset` did: sequences tracked, already done (skipped), failed (name -> reason)."""

    out_dir: Path
    tracked: list = field(default_factory=list)
    skipped: list = field(default_factory=list)
    failed: dict = field(default_factory=dict)


def _run_one(tracker: SeqTrackTracker, sequence: TestSequence, spec: RunSpec) -> SequenceOutcome:
    try:
        boxes, times = track_sequence(tracker, sequence)
    except ValueError as exc:  # DatasetError (a frame that cannot be decoded) or an unusable first box
        return SequenceOutcome(sequence.name, len(sequence), 0.0, str(exc))
    write_results(spec.out_dir, sequence.name, boxes, times, spec.float_results)
    return SequenceOutcome(sequence.name, len(sequence), float(times.sum()))


_worker_tracker: SeqTrackTracker | None = None  # one tracker per worker process, built on its first sequence


def _worker_run(spec: RunSpec, sequence: TestSequence) -> SequenceOutcome:
    global _worker_tracker
    if _worker_tracker is None:
        torch.set_num_threads(1)
        loaded = load_network(spec.checkpoint, spec.config_name, spec.device)
        _worker_tracker = spec.tracker(loaded)
    return _run_one(_worker_tracker, sequence, spec)


def _outcomes(loaded: LoadedNetwork, spec: RunSpec, todo: Sequence[TestSequence], threads: int):
    """Yield one SequenceOutcome per sequence, in process (threads <= 1) or from ``threads`` worker processes."""
    if threads <= 1 or len(todo) <= 1:
        tracker = spec.tracker(loaded)
        for sequence in todo:
            yield _run_one(tracker, sequence, spec)
        return
    # 'spawn': fresh interpreters, safe with CUDA and with the parent's torch threads.
    with multiprocessing.get_context("spawn").Pool(min(threads, len(todo))) as pool:
        yield from pool.imap_unordered(functools.partial(_worker_run, spec), todo)


def _select(benchmark: Benchmark, sequence_names: Sequence[str], root: Path, out_dir: Path, overwrite: bool,
            report: RunReport):
    """Load every sequence; a broken one goes to ``report.failed``, a finished one to ``report.skipped``."""
    todo = []
    for name in sequence_names:
        try:
            sequence = benchmark.load_sequence(root, name, True)
        except DatasetError as exc:
            logger.warning("skipping %s: %s", name, exc)
            report.failed[name] = str(exc)
            continue
        if not overwrite and results_done(out_dir, name, len(sequence)):
            report.skipped.append(name)
        else:
            if (out_dir / f"{name}.txt").exists():
                logger.info("%s: the existing result file is incomplete or malformed; tracking it again", name)
            todo.append(sequence)
    return todo


def run_dataset(loaded: LoadedNetwork, config_name: str, benchmark: Benchmark, sequence_names: Sequence[str],
                root: str | Path, out_dir: str | Path, threads: int = 0, device: str | torch.device = "cpu",
                overwrite: bool = False, use_cache: bool = True, on_progress: Callable[[str], None] | None = None,
                float_results: bool = False, amp: bool = False) -> RunReport:
    """Track every sequence of ``sequence_names`` (of ``benchmark``, under ``root``) not yet done and write its
    results into ``out_dir`` (integer boxes as the original writes them, or 3 decimals with ``float_results``),
    in fp32 or, with ``amp``, in bf16 where the device computes it natively (the folder records which).

    Sequences that cannot be read are reported in ``RunReport.failed`` (and logged), the others still run.
    One progress line per sequence goes to ``logging`` (or ``on_progress``): its tracker FPS and the ETA.
    """
    root, out_dir = Path(root), Path(out_dir)
    dataset_key = benchmark.config_key
    TrackerParams.from_config(loaded.cfg, dataset_key)  # a config that does not fit fails before any work
    precision = resolve_precision(amp, device, "TEST.AMP / --amp")
    logger.info("Precision: %s (%s)", precision.name, precision.reason)
    info = {"tracker": TRACKER_NAME, "config": config_name, "checkpoint": str(loaded.checkpoint.absolute()),
            "epoch": loaded.epoch, "checkpoint_sha256": file_sha256(loaded.checkpoint), "dataset": benchmark.name,
            "format": RESULT_FORMATS[float_results], "precision": precision.name}
    check_run_info(out_dir, info, overwrite)
    report = RunReport(out_dir)
    todo = _select(benchmark, sequence_names, root, out_dir, overwrite, report)
    if report.skipped:
        logger.info("%d sequence(s) already done in %s: skipped", len(report.skipped), out_dir)
    spec = RunSpec(str(loaded.checkpoint), config_name, str(device), dataset_key, use_cache, str(out_dir),
                   float_results, amp)
    total_frames, done_frames, start = sum(len(s) for s in todo), 0, time.perf_counter()
    say = on_progress or logger.info
    for count, outcome in enumerate(_outcomes(loaded, spec, todo, threads), start=1):
        done_frames += outcome.frames
        if outcome.error is not None:
            logger.warning("sequence %s failed: %s", outcome.name, outcome.error)
            report.failed[outcome.name] = outcome.error
            continue
        report.tracked.append(outcome.name)
        rate = done_frames / max(time.perf_counter() - start, 1e-9)  # frames per wall second, all workers
        say(f"[{count}/{len(todo)}] {outcome.name}: {outcome.frames} frames, "
            f"{outcome.frames / max(outcome.seconds, 1e-9):.1f} FPS, "
            f"ETA {format_hms((total_frames - done_frames) / rate)}")
    return report
