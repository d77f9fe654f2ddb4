"""The running means and the log line (lib/train/trainers/progress.py): whatever stats the actor returns."""

from __future__ import annotations

import math
import re

import torch

from lib.train.trainers.progress import ProgressClock, StatMeter, format_stats
from lib.utils.distributed import DistInfo


def test_the_meter_keeps_every_stat_the_actor_returns_in_its_order():
    meter = StatMeter(torch.device("cpu"))
    meter.update({"Loss/total": torch.tensor(2.0), "IoU": torch.tensor(0.5), "Loss/extra": torch.tensor(1.0)}, 4)
    meter.update({"Loss/total": torch.tensor(1.0), "IoU": torch.tensor(0.25), "Loss/extra": torch.tensor(3.0)}, 4)
    assert meter.epoch_means(DistInfo()) == {"Loss/total": 1.5, "IoU": 0.375, "Loss/extra": 2.0}
    meter.reset_interval()
    meter.update({"Loss/total": torch.tensor(4.0), "IoU": torch.tensor(1.0), "Loss/extra": torch.tensor(0.0)}, 2)
    assert meter.interval_means(DistInfo())["Loss/total"] == 4.0


def test_a_restored_meter_continues_the_same_sums():
    meter = StatMeter(torch.device("cpu"))
    meter.update({"Loss/total": torch.tensor(2.0), "IoU": torch.tensor(0.5)}, 3)
    restored = StatMeter(torch.device("cpu"))
    restored.load_state_dict(meter.state_dict())
    for m in (meter, restored):
        m.update({"Loss/total": torch.tensor(1.0), "IoU": torch.tensor(0.1)}, 1)
    assert restored.epoch_means(DistInfo()) == meter.epoch_means(DistInfo())
    legacy = StatMeter(torch.device("cpu"))  # a checkpoint written before the meter kept its stat names
    legacy.load_state_dict({"epoch": torch.tensor([2.0, 1.0, 2.0], dtype=torch.float64),
                            "interval": torch.zeros(3, dtype=torch.float64)})
    assert legacy.epoch_means(DistInfo()) == {"Loss/total": 1.0, "IoU": 0.5}


def test_no_samples_yet_gives_nan_means():
    means = StatMeter(torch.device("cpu")).epoch_means(DistInfo())
    assert list(means) == ["Loss/total", "IoU"] and all(math.isnan(v) for v in means.values())


def test_the_log_line_prints_every_stat_after_the_timings():
    clock = ProgressClock(50, run_start=0.0)
    clock.start_epoch(2, 1000, 0, 0)
    line = clock.line(56, {"Loss/total": 1.234567, "IoU": 0.5, "Loss/extra": 2.0})
    assert re.match(r"^Epoch 2 : 56 / 1000 samples , time for last 56 samples : \d+:\d\d:\d\d hours , "
                    r"time since beginning : \d+:\d\d:\d\d hours , time left to finish the epoch : \d+:\d\d:\d\d "
                    r"hours , Loss/total: 1\.23457 , IoU: 0\.50000 , Loss/extra: 2\.00000$", line)
    assert format_stats({"Loss/total": 0.1, "IoU": 0.2}) == "Loss/total: 0.10000 , IoU: 0.20000"
