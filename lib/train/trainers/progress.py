"""Running Loss/IoU means and the timed log line printed every ``LOG_INTERVAL_SAMPLES`` samples."""

from __future__ import annotations

import time

import torch

from lib.utils.distributed import DistInfo, all_reduce_sum
from lib.utils.logging_setup import format_hms

STAT_KEYS = ("Loss/total", "IoU")


class StatMeter:
    """Sums of per-sample Loss and IoU on the device, read back only when asked (no sync per step).

    Sums are float64 and kept per process: reducing them only at read time keeps the additions in the
    same order whether or not a run was interrupted, so a resumed run's means are bitwise the same.
    """

    def __init__(self, device: torch.device):
        self.device = device
        self.epoch = torch.zeros(3, dtype=torch.float64, device=device)  # loss sum, IoU sum, samples
        self.interval = torch.zeros(3, dtype=torch.float64, device=device)

    def update(self, stats: dict, batch_size: int) -> None:
        # (loss, IoU, 1) x batch_size; the 1 is a stack of a device scalar: new_tensor([...]) would be a
        # blocking host-to-device copy on CUDA every step.
        ones = torch.ones_like(stats[STAT_KEYS[0]], dtype=torch.float64)
        update = torch.stack([stats[k].detach().to(torch.float64) for k in STAT_KEYS] + [ones]) * batch_size
        self.epoch += update
        self.interval += update

    @staticmethod
    def _means(sums: torch.Tensor, dist_info: DistInfo) -> tuple:
        loss_sum, iou_sum, count = all_reduce_sum(sums, dist_info).tolist()
        return (loss_sum / count, iou_sum / count) if count else (float("nan"), float("nan"))

    def epoch_means(self, dist_info: DistInfo) -> tuple:
        return self._means(self.epoch, dist_info)

    def interval_means(self, dist_info: DistInfo) -> tuple:
        return self._means(self.interval, dist_info)

    def reset_interval(self) -> None:
        self.interval.zero_()

    def state_dict(self) -> dict:
        return {"epoch": self.epoch.cpu(), "interval": self.interval.cpu()}

    def load_state_dict(self, state: dict) -> None:
        self.epoch = state["epoch"].to(self.device)
        self.interval = state["interval"].to(self.device)


class ProgressClock:
    """Decides when to log and formats the line of SEQTRACK.md §5.

    ``time left`` extrapolates from the samples this process has trained in this epoch, so a resumed run
    does not count the samples it skipped as if it had trained them.
    """

    def __init__(self, interval: int, run_start: float):
        self.interval = interval
        self.run_start = run_start

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

    def line(self, samples: int, loss: float, iou: float) -> str:
        now = time.time()
        since_last = samples - self.last_log_samples
        done_here = samples - self.start_samples
        rate = done_here / max(now - self.epoch_start, 1e-9)
        left = (self.epoch_samples - samples) / rate if rate > 0 else 0.0
        text = (f"Epoch {self.epoch} : {samples} / {self.epoch_samples} samples , "
                f"time for last {since_last} samples : {format_hms(now - self.last_log_time)} hours , "
                f"time since beginning : {format_hms(now - self.run_start)} hours , "
                f"time left to finish the epoch : {format_hms(left)} hours , "
                f"Loss/total: {loss:.5f} , IoU: {iou:.5f}")
        self.last_log_samples = samples
        self.last_log_time = now
        self.next_log = (samples // self.interval + 1) * self.interval
        return text
