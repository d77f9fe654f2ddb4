"""Evaluate tracking results on LaSOT (AUC, precision, normalized precision): overall, per class, per sequence."""

from __future__ import annotations

import argparse
import json
import logging
import re
import sys
from pathlib import Path

from lib.cli import fail

EXAMPLES = """examples:
  python tracking/analysis_results.py --runs seqtrack/seqtrack_b256
  python tracking/analysis_results.py --runs seqtrack/seqtrack_tiny seqtrack/seqtrack_tiny:ep3 --baseline
  python tracking/analysis_results.py --runs ./output/test/tracking_results/seqtrack/seqtrack_tiny --per_sequence
  python tracking/analysis_results.py --baseline --config seqtrack_tiny

runs: 'tracker/config' = <results_dir>/tracker/config (what tracking/test.py writes), 'tracker/config:epN'
= <results_dir>/tracker/config_epNNNN (test.py --epoch N), or the path of a folder of result files.
--baseline adds the 'frozen box' baseline: the first ground-truth box repeated on every frame.

sequences: the official test sequences of --classes, else of --config's DATA.TRAIN.CLASSES, else every
test sequence with a result file in some run. All runs are compared on the sequences they all have (the
others are listed as missing).

protocol (the original's, i.e. pytracking's LaSOT rules): frame 1 = ground truth; a zero-size predicted box
takes the previous frame's; success = IoU > t for t = 0:0.05:1 (21 points), AUC = mean x 100 (a perfect
tracker scores 95.24, the t = 1 point being 0); P@20 = centre error <= 20 px; NP@0.2 = centre error /
ground-truth size <= 0.2; frames where the target is fully occluded or out of view are failures, counted in
the denominator; a frame with an empty box but no absence flag fails success and precision but passes
normalised precision. See lib/test/evaluation/metrics.py.

exit codes: 0 done, 2 bad input (no results, unknown class or config, unreadable annotations)
"""

RUN_SPEC = re.compile(r"^(?P<path>[^:]+?)(?::ep(?P<epoch>\d+))?$")
BASELINE_LABEL = "frozen-box baseline"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__, epilog=EXAMPLES,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", nargs="+", default=[], metavar="RUN",
                        help="runs to compare: tracker/config, tracker/config:epN, or a results folder")
    parser.add_argument("--baseline", action="store_true",
                        help="also evaluate the frozen-box baseline (first ground-truth box on every frame)")
    parser.add_argument("--classes", nargs="+", default=None, help="evaluate the test sequences of these classes")
    parser.add_argument("--config", default=None,
                        help="evaluate the test sequences of this config's DATA.TRAIN.CLASSES, e.g. seqtrack_tiny")
    parser.add_argument("--results_dir", default=None,
                        help="results root (default: local_settings.yaml, then <save_dir>/test/tracking_results)")
    parser.add_argument("--save_dir", default="./output", help="used for the default --results_dir (default: "
                                                               "%(default)s)")
    parser.add_argument("--lasot_dir", default=None,
                        help="LaSOT root for the annotations (default: $LASOT_DIR, local_settings.yaml, ./data/lasot)")
    parser.add_argument("--per_sequence", action="store_true", help="also print the per-sequence table")
    parser.add_argument("--plot_dir", default=None,
                        help="where the PNG plots go (default: <results_dir>/plots)")
    parser.add_argument("--no_plots", action="store_true", help="do not draw the plots")
    parser.add_argument("--json", default=None, metavar="PATH", help="also write every figure to this JSON file")
    return parser


def _run_dir(spec: str, results_dir: Path) -> Path:
    """The folder of result files a run spec names (see the examples)."""
    match = RUN_SPEC.match(spec)
    if match is None:
        raise ValueError(f"--runs {spec!r}: expected tracker/config, tracker/config:epN or a folder")
    path, epoch = match.group("path"), match.group("epoch")
    candidate = results_dir / (f"{path}_ep{int(epoch):04d}" if epoch else path)
    if candidate.is_dir():
        return candidate
    if epoch is None and Path(path).is_dir():
        return Path(path)
    tried = f"{candidate}" + ("" if epoch else f" nor {Path(path)}")
    raise ValueError(f"--runs {spec!r}: no results folder {tried} (run tracking/test.py first, or pass "
                     f"--results_dir)")


def _sequence_names(args, run_dirs: dict) -> list:
    from lib.config.seqtrack.config import config_path, load_config
    from lib.data.lasot.splits import split_sequences
    from lib.data.lasot.test_set import test_sequence_names

    if args.classes:
        return test_sequence_names(args.classes)
    if args.config:
        return test_sequence_names(load_config(config_path(args.config)).DATA.TRAIN.CLASSES)
    if not run_dirs:
        raise ValueError("--baseline alone needs --classes or --config to know which sequences to evaluate")
    found = {p.stem for d in run_dirs.values() for p in d.glob("*.txt")}
    names = [name for name in split_sequences("test") if name in found]
    if not names:
        raise ValueError(f"no result file of a LaSOT test sequence in {', '.join(map(str, run_dirs.values()))}")
    return names


def _load_predictions(run_dirs: dict, sequences: dict) -> tuple:
    """``({run: {sequence: (N, 4)}}, {run: [missing or unusable sequence, ...]})``."""
    from lib.test.evaluation.running import ResultsError, read_results

    predictions, missing = {}, {}
    for label, folder in run_dirs.items():
        predictions[label], missing[label] = {}, []
        for name, sequence in sequences.items():
            try:
                boxes = read_results(folder / f"{name}.txt")
            except ResultsError:
                missing[label].append(name)
                continue
            if len(boxes) < len(sequence):
                missing[label].append(name)  # a truncated file: tracking/test.py redoes it
            # (more lines than frames: cut to the ground truth's length by the evaluation, as the original)
            else:
                predictions[label][name] = boxes
    return predictions, missing


def _evaluate(args, run_dirs: dict, names: list, lasot_root) -> tuple:
    """``(per_sequence, missing)``: ``per_sequence[run][sequence] = Curves`` on the sequences all runs have."""
    from lib.data.lasot.test_set import load_test_sequence
    from lib.test.evaluation.metrics import frozen_box_predictions, sequence_curves

    sequences = {name: load_test_sequence(lasot_root, name, check_frames=False) for name in names}
    predictions, missing = _load_predictions(run_dirs, sequences)
    common = [n for n in names if all(n in predictions[run] for run in run_dirs)]
    if not common:
        raise ValueError("no sequence has results in every run: " +
                         "; ".join(f"{run}: {len(predictions[run])} of {len(names)}" for run in run_dirs))
    if args.baseline:
        predictions[BASELINE_LABEL] = {n: frozen_box_predictions(sequences[n].ground_truth) for n in common}
    per_sequence = {run: {n: sequence_curves(boxes[n], sequences[n].ground_truth, sequences[n].absent)
                          for n in common} for run, boxes in predictions.items()}
    return per_sequence, {run: names_ for run, names_ in missing.items() if names_}


def _report(args, per_sequence: dict, results_dir: Path) -> dict:
    from lib.test.evaluation.metrics import format_overall, format_table, group_by_class, mean_curves

    overall = {run: mean_curves(curves.values()) for run, curves in per_sequence.items()}
    per_class = {run: group_by_class(curves) for run, curves in per_sequence.items()}
    classes = sorted({c for cells in per_class.values() for c in cells})
    print(f"LaSOT test: {next(iter(overall.values())).sequences} sequences of {len(classes)} class(es)\n")
    print(format_overall(overall) + "\n")
    print(format_table({c: {run: per_class[run][c] for run in per_class} for c in classes}, "class") + "\n")
    if args.per_sequence:
        names = list(next(iter(per_sequence.values())))
        print(format_table({n: {run: per_sequence[run][n] for run in per_sequence} for n in names}, "sequence") + "\n")
    if not args.no_plots:
        from lib.test.evaluation.plots import plot_curves

        plot_dir = Path(args.plot_dir) if args.plot_dir else results_dir / "plots"
        written = plot_curves(overall, plot_dir, title_suffix=f" (LaSOT, {len(classes)} classes)")
        print("plots: " + ", ".join(str(p) for p in written))
    return {run: {"overall": overall[run].summary(),
                  "per_class": {c: v.summary() for c, v in per_class[run].items()},
                  "per_sequence": {n: v.summary() for n, v in per_sequence[run].items()}} for run in overall}


def main(argv: list | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    from lib.config.seqtrack.config import ConfigError
    from lib.data.errors import DatasetError
    from lib.data.lasot.splits import check_root
    from lib.data.local_settings import SettingsError, resolve_lasot_root
    from lib.test.evaluation.running import resolve_results_dir

    if not args.runs and not args.baseline:
        return fail("nothing to evaluate: give --runs and/or --baseline")
    try:
        results_dir = resolve_results_dir(args.results_dir, args.save_dir)
        run_dirs = {spec: _run_dir(spec, results_dir) for spec in args.runs}
        names = _sequence_names(args, run_dirs)
        lasot_root = check_root(resolve_lasot_root(args.lasot_dir))
        per_sequence, missing = _evaluate(args, run_dirs, names, lasot_root)
    except (ConfigError, DatasetError, SettingsError, ValueError) as exc:
        return fail(exc)
    for run, names_missing in missing.items():
        shown = ", ".join(names_missing[:8]) + (" ..." if len(names_missing) > 8 else "")
        print(f"warning: {run} lacks complete results for {len(names_missing)} sequence(s), left out of the "
              f"comparison: {shown}", file=sys.stderr)
    figures = _report(args, per_sequence, results_dir)
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps({"missing": missing, "runs": figures}, indent=2) + "\n")
        print(f"figures: {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
