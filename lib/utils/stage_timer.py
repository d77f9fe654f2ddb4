"""Wall time per stage of a pipeline (the data path: annotations, decode, crop and augment, collate), for
benchmarks. A :class:`StageTimer` is handed to the parts it measures; everything else gets :data:`NO_TIMER`,
whose stages cost one method call. DataLoader workers would time their own copies: measure in one process.
"""

from __future__ import annotations

import time
from collections import defaultdict
from contextlib import contextmanager, nullcontext


class StageTimer:
    """Adds the wall time of each ``with timer.stage(name):`` body to that stage's total."""

    def __init__(self):
        self.seconds: defaultdict = defaultdict(float)

    @contextmanager
    def stage(self, name: str):
        start = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] += time.perf_counter() - start

    def totals(self) -> dict:
        """``{stage: seconds}`` since the timer was made or last reset."""
        return dict(self.seconds)

    def reset(self) -> None:
        self.seconds.clear()


class NoTimer:
    """The stand-in that measures nothing."""

    _context = nullcontext()

    def stage(self, name: str):
        return self._context

    def totals(self) -> dict:
        return {}


NO_TIMER = NoTimer()
