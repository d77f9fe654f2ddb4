"""Compare two runs' metric records: the figures that must reproduce, record by record, exactly or within a
tolerance."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from lib.runlog.records import latest_records

COMPARED_METRICS = ("loss", "iou", "loss_interval", "iou_interval", "lr")


def values_match(a: float, b: float, tolerance: float = 0.0) -> bool:
    """``a == b`` when ``tolerance`` is 0, else ``|a - b| <= tolerance``; two NaNs match (the same outcome)."""
    if a == b or (math.isnan(a) and math.isnan(b)):
        return True
    return tolerance > 0 and abs(a - b) <= tolerance


@dataclass
class RecordComparison:
    """One record both runs hold, and the metrics on which they disagree (empty when they agree)."""

    kind: str
    epoch: int
    samples: int
    first: dict
    second: dict
    differing: list[str] = field(default_factory=list)


def compare_records(first: Iterable[Mapping], second: Iterable[Mapping], tolerance: float = 0.0,
                    intervals: bool = True) -> list[RecordComparison]:
    """Compare the epoch (and interval) records both runs hold, in training order (an epoch's intervals first).

    Each metric of :data:`COMPARED_METRICS` present in both records is compared with :func:`values_match`.
    """
    first, second = list(first), list(second)
    kinds = ("interval", "epoch") if intervals else ("epoch",)
    comparisons = []
    for kind in kinds:
        by_key = {(r["epoch"], r["samples"]): r for r in latest_records(second, kind)}
        for record in latest_records(first, kind):
            other = by_key.get((record["epoch"], record["samples"]))
            if other is None:
                continue
            differing = [name for name in COMPARED_METRICS if name in record and name in other
                         and not values_match(record[name], other[name], tolerance)]
            comparisons.append(RecordComparison(kind, record["epoch"], record["samples"], record, other, differing))
    comparisons.sort(key=lambda c: (c.epoch, kinds.index(c.kind), c.samples))
    return comparisons
