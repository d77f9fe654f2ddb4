"""Success, precision and normalized-precision plots of several runs, drawn off-screen (Agg) into PNG files."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from lib.test.evaluation.metrics import CENTER_THRESHOLDS, NORM_CENTER_THRESHOLDS, OVERLAP_THRESHOLDS, Curves
from lib.utils.atomic_files import write_atomic

# (file stem, title, x label, x values, curve attribute, score attribute, score name)
PLOTS = (
    ("success_plot", "Success plot", "Overlap threshold", OVERLAP_THRESHOLDS, "success", "auc", "AUC"),
    ("precision_plot", "Precision plot", "Location error threshold [pixels]", CENTER_THRESHOLDS, "precision",
     "precision_20", "P@20"),
    ("norm_precision_plot", "Normalized precision plot", "Normalized location error threshold",
     NORM_CENTER_THRESHOLDS, "norm_precision", "norm_precision_20", "NP@0.2"),
)


def _save_atomic(figure: Figure, path: Path) -> None:
    """Write the PNG atomically, so a reader never sees half a file."""
    write_atomic(path, lambda handle: figure.savefig(handle, format="png", dpi=100), durable=False)


def plot_curves(runs: Mapping[str, Curves], out_dir: str | Path, title_suffix: str = "") -> list:
    """One PNG per kind of curve in ``out_dir``, a line per run, best score first in the legend.

    Returns the written paths.
    """
    if not runs:
        raise ValueError("no runs to plot")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for stem, title, x_label, x_values, curve_attr, score_attr, score_name in PLOTS:
        figure = Figure(figsize=(6.5, 5), layout="constrained")
        FigureCanvasAgg(figure)  # off-screen canvas: no pyplot state, no display needed
        axis = figure.subplots()
        ranked = sorted(runs.items(), key=lambda item: -getattr(item[1], score_attr))
        for index, (label, curves) in enumerate(ranked):
            score = getattr(curves, score_attr)
            axis.plot(x_values, getattr(curves, curve_attr) * 100, color=f"C{index % 10}", linewidth=2,
                      label=f"{label} [{score_name} {score:.1f}]")
        axis.set_title(f"{title}{title_suffix}")
        axis.set_xlabel(x_label)
        axis.set_ylabel("Success rate [%]" if curve_attr == "success" else "Precision [%]")
        axis.set_xlim(x_values[0], x_values[-1])
        axis.set_ylim(0, 100)
        axis.grid(True, alpha=0.3)
        axis.legend(loc="lower left" if curve_attr == "success" else "lower right", fontsize=8)
        path = out_dir / f"{stem}.png"
        _save_atomic(figure, path)
        written.append(path)
    return written
