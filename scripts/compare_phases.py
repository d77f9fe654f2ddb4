"""Show that a resumed run (phase 2) reproduces the straight run (phase 1): per epoch and per log interval, Loss and
IoU are compared exactly (or within a tolerance), then the model weights of the last epoch both runs saved."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from lib.cli import run_reporting_errors
from lib.runlog.compare import RecordComparison, compare_records
from lib.runlog.records import MetricsError, format_epochs, locate_run, read_metrics
from lib.runlog.weights import compare_state_dicts, epoch_checkpoints, load_net_state

EXAMPLE = """example:
  python scripts/compare_phases.py output/phase1 output/phase2
  python scripts/compare_phases.py run1/logs/seqtrack-seqtrack_b256.metrics.jsonl run2 --epochs-only --tolerance 1e-6

Each argument is a run directory (the --save_dir of a training run), a metrics.jsonl file or a text log.
Exit codes: 0 the runs agree, 1 they differ (the first difference is printed), 2 bad input."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__, epilog=EXAMPLE,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("phase1", help="the straight run: run directory, metrics.jsonl or text log")
    parser.add_argument("phase2", help="the resumed run: run directory, metrics.jsonl or text log")
    parser.add_argument("--tolerance", type=float, default=0.0,
                        help="accept |a - b| <= T for metrics and weights (default 0: exact equality)")
    parser.add_argument("--no-weights", dest="weights", action="store_false",
                        help="do not compare the model weights of the checkpoints")
    granularity = parser.add_mutually_exclusive_group()
    granularity.add_argument("--intervals", dest="intervals", action="store_true", default=True,
                             help="compare every log interval as well as every epoch (the default)")
    granularity.add_argument("--epochs-only", dest="intervals", action="store_false",
                             help="compare the per-epoch records only")
    parser.add_argument("--diff-only", action="store_true",
                        help="print only the table rows that differ (the summary is unchanged)")
    return parser


def _dash() -> str:
    encoding = getattr(sys.stdout, "encoding", None) or "ascii"
    try:
        "\u2013".encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return "-"
    return "\u2013"


def training_epochs(records: list[dict]) -> set[int]:
    return {r["epoch"] for r in records if r.get("kind") in ("epoch", "interval")}


def print_table(comparisons: list[RecordComparison], diff_only: bool) -> None:
    print(f"{'epoch':>5} {'samples':>8} {'kind':<8} {'loss1':>22} {'loss2':>22} {'iou1':>22} {'iou2':>22}  match")
    for c in comparisons:
        if diff_only and not c.differing:
            continue
        status = "ok" if not c.differing else "DIFF " + ",".join(c.differing)
        print(f"{c.epoch:>5} {c.samples:>8} {c.kind:<8} {c.first['loss']!r:>22} {c.second['loss']!r:>22} "
              f"{c.first['iou']!r:>22} {c.second['iou']!r:>22}  {status}")


def describe_first_difference(comparisons: list[RecordComparison]) -> str | None:
    for c in comparisons:
        if c.differing:
            metric = c.differing[0]
            a, b = c.first[metric], c.second[metric]
            return (f"First difference: epoch {c.epoch}, samples {c.samples} ({c.kind} record), metric {metric}: "
                    f"phase 1 = {a!r}, phase 2 = {b!r}, difference = {b - a!r}")
    return None


def compare_weights(first: Path | None, second: Path | None, tolerance: float) -> tuple[bool, str]:
    """(weights agree or could not be compared, a sentence saying which)."""
    if first is not None and second is not None and first.resolve() == second.resolve():
        return True, "Weights: not compared (both phases use the same checkpoint directory)"
    checkpoints1, checkpoints2 = epoch_checkpoints(first), epoch_checkpoints(second)
    common = set(checkpoints1) & set(checkpoints2)
    if not common:
        return True, "Weights: not compared (no epoch checkpoint present in both runs)"
    epoch = max(common)
    result = compare_state_dicts(load_net_state(checkpoints1[epoch]), load_net_state(checkpoints2[epoch]), tolerance)
    if not result.match:
        return False, f"Weights at epoch {epoch} DIFFER: {result.problem}"
    how = "identical" if result.max_abs_diff == 0 else f"equal within {tolerance!r} (max |difference| " \
                                                       f"{result.max_abs_diff!r})"
    return True, f"Weights at epoch {epoch}: {how} ({result.tensors} tensors, {result.values:,} values)"


def run(args: argparse.Namespace) -> int:
    if args.tolerance < 0:
        raise MetricsError(f"--tolerance must be >= 0, got {args.tolerance}")
    runs = [locate_run(args.phase1), locate_run(args.phase2)]
    records = [read_metrics(r.records_path) for r in runs]
    for index, (files, recs) in enumerate(zip(runs, records), start=1):
        if not training_epochs(recs):
            raise MetricsError(f"phase {index}: {files.records_path} holds no epoch or interval metrics")
    comparisons = compare_records(records[0], records[1], args.tolerance, args.intervals)
    dash = _dash()
    if not comparisons:
        covered = [format_epochs(training_epochs(recs), dash) for recs in records]
        what = "epochs or log intervals" if args.intervals else "epochs"
        raise MetricsError(f"the runs have no overlapping {what} to compare: phase 1 covers epochs {covered[0]}, "
                           f"phase 2 covers epochs {covered[1]}")
    print_table(comparisons, args.diff_only)
    print()
    compared = {c.epoch for c in comparisons}
    first_difference = describe_first_difference(comparisons)
    if first_difference is None:
        counts = {kind: sum(c.kind == kind for c in comparisons) for kind in ("epoch", "interval")}
        how = "exactly" if args.tolerance == 0 else f"within {args.tolerance!r}"
        print(f"Phase 2 matches Phase 1 for epochs {format_epochs(compared, dash)} "
              f"({counts['epoch']} epoch and {counts['interval']} interval records compared {how})")
    else:
        differing = sum(bool(c.differing) for c in comparisons)
        print(f"{first_difference}\n{differing} of {len(comparisons)} compared records differ")
    for index, recs in enumerate(records, start=1):
        alone = training_epochs(recs) - compared
        if alone:
            print(f"Epochs only in phase {index} (not compared): {format_epochs(alone, dash)}")
    weights_ok = True
    if args.weights:
        weights_ok, sentence = compare_weights(runs[0].checkpoint_dir, runs[1].checkpoint_dir, args.tolerance)
        print(sentence)
    return 0 if first_difference is None and weights_ok else 1


def main(argv: list[str] | None = None) -> int:
    return run_reporting_errors("compare_phases", run, build_parser().parse_args(argv), (MetricsError,))


if __name__ == "__main__":
    sys.exit(main())
