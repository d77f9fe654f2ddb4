"""Running Loss/IoU means and the timed log line printed every ``LOG_INTERVAL_SAMPLES`` samples."""

from __future__ import annotations

import time

import torch

from lib.utils.distributed import DistInfo, all_reduce_sum
from lib.utils.logging_setup import format_hms

LEGACY_STAT_KEYS = ("Loss/total", "IoU")  # what checkpoints written before the meter kept its keys were summing


class StatMeter:
    """Sums of whatever per-sample statistics the actor returns (0-dim tensors), on the device, read back only
    when asked (no sync per step). The names are those of the first update, in its order.

    Sums are float64 and kept per process: reducing them only at read time keeps the additions in the
    same order whether or not a run was interrupted, so a resumed run's means are bitwise the same.
    """

    def __init__(self, device: torch.device, keys=None):
        self.device = device
        self.keys: tuple | None = None  # set by the first update (or a restored state)
        self.epoch = self.interval = None
        if keys is not None:
            self._start(tuple(keys))

    def _start(self, keys: tuple) -> None:
        self.keys = keys
        self.epoch = torch.zeros(len(keys) + 1, dtype=torch.float64, device=self.device)  # sums..., samples
        self.interval = torch.zeros(len(keys) + 1, dtype=torch.float64, device=self.device)

    def update(self, stats: dict, batch_size: int) -> None:
        if self.keys is None:
            self._start(tuple(stats))
        elif tuple(stats) != self.keys:
            raise ValueError(f"the actor returned stats {list(stats)} after {list(self.keys)}: one set per run")
        # (stat..., 1) x batch_size; the 1 is a stack of a device scalar: new_tensor([...]) would be a
        # blocking host-to-device copy on CUDA every step.
        first = stats[self.keys[0]]
        ones = torch.ones_like(first, dtype=torch.float64)
        update = torch.stack([stats[k].detach().to(torch.float64) for k in self.keys] + [ones]) * batch_size
        self.epoch += update
        self.interval += update

    def _means(self, sums: torch.Tensor, dist_info: DistInfo) -> dict:
        if self.keys is None:
            return {key: float("nan") for key in LEGACY_STAT_KEYS}
        *totals, count = all_reduce_sum(sums, dist_info).tolist()
        return {key: total / count if count else float("nan") for key, total in zip(self.keys, totals)}

    def epoch_means(self, dist_info: DistInfo) -> dict:
        """``{stat name: mean over the epoch so far}`` (all processes)."""
        return self._means(self.epoch, dist_info)

    def interval_means(self, dist_info: DistInfo) -> dict:
        """``{stat name: mean over the samples since the last log line}`` (all processes)."""
        return self._means(self.interval, dist_info)

    def reset_interval(self) -> None:
        if self.keys is not None:
            self.interval.zero_()

    def state_dict(self) -> dict:
        if self.keys is None:
            return {}
        return {"keys": list(self.keys), "epoch": self.epoch.cpu(), "interval": self.interval.cpu()}

    def load_state_dict(self, state: dict) -> None:
        if not state:
            self.keys = None
            return
        self._start(tuple(state.get("keys", LEGACY_STAT_KEYS)))
        self.epoch = state["epoch"].to(self.device)
        self.interval = state["interval"].to(self.device)


def format_stats(stats: dict) -> str:
    """``Loss/total: 0.12345 , IoU: 0.54321`` (five decimals, as the original logs them)."""
    return " , ".join(f"{name}: {value:.5f}" for name, value in stats.items())


class ProgressClock:
    """Decides when to log and formats the line of SEQTRACK.md §5.

    ``time left`` extrapolates from the samples this process has trained in this epoch, so a resumed run
    does not count the samples it skipped as if it had trained them.
    """

    def __init__(self, interval: int, run_start: float):
        self.interval = interval
        self.run_start = run_start
        self.last_log_samples = 0  # samples of the epoch at its last log line (checkpointed mid-epoch)

    def start_epoch(self, epoch: int, epoch_samples: int, start_samples: int, last_log_samples: int) -> None:
        self.epoch = epoch
        self.epoch_samples = epoch_samples
        self.start_samples = start_samples
        self.epoch_start = time.time()
        self.last_log_samples = last_log_samples
        self.last_log_time = self.epoch_start
        self.next_log = (start_samples // self.interval + 1) * self.interval

    def due(self, samples: int) -> bool:
        return samples >= self.next_log

    def line(self, samples: int, stats: dict) -> str:
        now = time.time()
        since_last = samples - self.last_log_samples
        done_here = samples - self.start_samples
        rate = done_here / max(now - self.epoch_start, 1e-9)
        left = (self.epoch_samples - samples) / rate if rate > 0 else 0.0
        text = (f"Epoch {self.epoch} : {samples} / {self.epoch_samples} samples , "
                f"time for last {since_last} samples : {format_hms(now - self.last_log_time)} hours , "
                f"time since beginning : {format_hms(now - self.run_start)} hours , "
                f"time left to finish the epoch : {format_hms(left)} hours , {format_stats(stats)}")
        self.last_log_samples = samples
        self.last_log_time = now
        self.next_log = (samples // self.interval + 1) * self.interval
        return text
