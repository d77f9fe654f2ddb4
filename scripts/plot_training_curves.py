"""Plot Loss/total and IoU per epoch (and, with --intervals, per log interval) of one or several training runs,
overlaid, into a PNG file."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from lib.cli import run_reporting_errors
from lib.runlog.curves import plot_training_curves
from lib.runlog.records import MetricsError, locate_run, read_metrics

EXAMPLE = """example:
  python scripts/plot_training_curves.py output/run1
      -> output/run1/curves.png
  python scripts/plot_training_curves.py output/run1 output/run2 --labels straight resumed --intervals --out cmp.png

Each RUN is a run directory (the --save_dir of a training run), a metrics.jsonl file or a text log (used when a
run has no metrics file). Exit codes: 0 written, 2 bad input."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__, epilog=EXAMPLE,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("runs", nargs="+", metavar="RUN", help="run directory, metrics.jsonl file or text log")
    parser.add_argument("--out", default=None,
                        help="PNG file to write (default: <first RUN>/curves.png, or next to a file RUN)")
    parser.add_argument("--labels", nargs="+", default=None,
                        help="legend label of each RUN, in order (default: the run directory's name)")
    parser.add_argument("--intervals", action="store_true",
                        help="also draw the per-interval curves at fractional epochs")
    return parser


def default_label(path: Path) -> str:
    """The run directory's name: ``RUN`` itself, or ``<run>`` for ``<run>/logs/<file>``."""
    path = path.resolve()
    if path.is_dir():
        return path.name
    return path.parent.parent.name if path.parent.name == "logs" else path.name


def unique_labels(labels: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    unique = []
    for label in labels:
        seen[label] = seen.get(label, 0) + 1
        unique.append(label if seen[label] == 1 else f"{label} ({seen[label]})")
    return unique


def run(args: argparse.Namespace) -> int:
    paths = [Path(p) for p in args.runs]
    if args.labels is not None and len(args.labels) != len(paths):
        raise MetricsError(f"--labels gives {len(args.labels)} labels for {len(paths)} runs")
    labels = unique_labels(args.labels or [default_label(p) for p in paths])
    runs = {}
    for label, path in zip(labels, paths):
        records = read_metrics(path)
        if not records:
            raise MetricsError(f"{locate_run(path).records_path} holds no metrics")
        runs[label] = records
    first = paths[0]
    out = Path(args.out) if args.out else (first if first.is_dir() else first.parent) / "curves.png"
    plot_training_curves(runs, out, intervals=args.intervals)
    print(f"wrote {out}")
    return 0


def main(argv: list[str] | None = None) -> int:
    return run_reporting_errors("plot_training_curves", run, build_parser().parse_args(argv), (MetricsError,))


if __name__ == "__main__":
    sys.exit(main())
