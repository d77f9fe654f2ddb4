"""Per-stage wall time of the data path (decode, crop and augment, annotations, collate), for benchmarks.

Off by default: :func:`stage` then costs one attribute check. ``scripts/benchmark.py`` turns it on in its
own process (``enable()``), runs the pipeline, and reads :func:`totals`. Workers of a DataLoader keep their
own copies, so the split is measured in one process.
"""

from __future__ import annotations

import time
from contextlib import contextmanager

STAGES = ("annotations", "decode", "crop_augment", "collate")


class _StageTimes:
    def __init__(self):
        self.enabled = False
        self.seconds = dict.fromkeys(STAGES, 0.0)


_TIMES = _StageTimes()


def enable(on: bool = True) -> None:
    """Start (or stop) accumulating; the totals are reset either way."""
    _TIMES.enabled = on
    _TIMES.seconds = dict.fromkeys(STAGES, 0.0)


def totals() -> dict:
    """Seconds spent per stage since :func:`enable`."""
    return dict(_TIMES.seconds)


@contextmanager
def stage(name: str):
    """Add the wall time of the ``with`` body to stage ``name`` (when enabled)."""
    if not _TIMES.enabled:
        yield
        return
    start = time.perf_counter()
    try:
        yield
    finally:
        _TIMES.seconds[name] += time.perf_counter() - start


def add(name: str, seconds: float) -> None:
    """Add ``seconds`` to stage ``name`` (when enabled); for time measured by the caller."""
    if _TIMES.enabled:
        _TIMES.seconds[name] += seconds
