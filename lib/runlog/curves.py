"""Loss and IoU training curves of one or several runs, drawn off-screen (Agg) into a PNG file."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from lib.runlog.records import MetricsError, epoch_records, fractional_epoch, interval_records
from lib.utils.atomic_files import write_atomic

PANELS = (("loss", "Loss/total"), ("iou", "IoU"))


def plot_training_curves(runs: Mapping[str, Sequence[Mapping]], out_path: str | Path,
                         intervals: bool = False) -> Figure:
    """Draw Loss/total and IoU per epoch (two panels) for every run in ``runs`` (label -> records) and write
    ``out_path`` (replaced atomically, so a reader never sees half a file). With ``intervals``, each run also gets its
    per-interval curve at fractional epochs (the interval mean where recorded, else the running mean).

    Returns the figure: one line per run and panel, plus one per run and panel with ``intervals``.
    Raises :class:`MetricsError` when no run has anything to draw.
    """
    figure = Figure(figsize=(11, 4.5), layout="constrained")
    FigureCanvasAgg(figure)  # an off-screen canvas: no pyplot state, no display needed, safe in a training loop
    axes = figure.subplots(1, len(PANELS))
    drawn = 0
    for index, (label, records) in enumerate(runs.items()):
        colour = f"C{index % 10}"
        drawn += _draw_epochs(axes, label, epoch_records(records), colour)
        if intervals:
            drawn += _draw_intervals(axes, label, interval_records(records), colour)
    if drawn == 0:
        what = "epoch or interval" if intervals else "epoch"
        raise MetricsError(f"no {what} records to plot for {', '.join(runs) or 'any run'}")
    for axis, (_, title) in zip(axes, PANELS):
        axis.set_title(title)
        axis.set_xlabel("epoch")
        axis.grid(True, alpha=0.3)
        if axis.lines:
            axis.legend(fontsize="small")
    _save_atomically(figure, Path(out_path))
    return figure


def _draw_epochs(axes, label: str, records: list[dict], colour: str) -> int:
    if not records:
        return 0
    epochs = [r["epoch"] for r in records]
    for axis, (key, _) in zip(axes, PANELS):
        axis.plot(epochs, [r[key] for r in records], "o-", color=colour, markersize=4, label=f"{label} (epoch)")
    return len(records)


def _draw_intervals(axes, label: str, records: list[dict], colour: str) -> int:
    if not records:
        return 0
    x = [fractional_epoch(r) for r in records]
    for axis, (key, _) in zip(axes, PANELS):
        # The interval mean shows the noise the running mean smooths away; text logs only have the running mean.
        per_interval = all(f"{key}_interval" in r for r in records)
        values = [r[f"{key}_interval"] if per_interval else r[key] for r in records]
        what = "interval mean" if per_interval else "running mean"
        axis.plot(x, values, "-", color=colour, linewidth=0.8, alpha=0.6, label=f"{label} ({what})")
    return len(records)


def _save_atomically(figure: Figure, out_path: Path) -> None:
    image_format = out_path.suffix.lstrip(".") or "png"
    write_atomic(out_path, lambda handle: figure.savefig(handle, format=image_format, dpi=100), durable=False)
