"""Evaluate tracking results on a benchmark (success AUC, precision, normalised precision; GOT-10k val also AO and
SR): overall, per class, per sequence."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from lib.cli import fail
from lib.data.benchmarks.registry import BENCHMARKS

EXAMPLES = """examples:
  python tracking/analysis_results.py --runs seqtrack/seqtrack_b256
  python tracking/analysis_results.py --runs seqtrack/seqtrack_tiny seqtrack/seqtrack_tiny:ep3 --baseline
  python tracking/analysis_results.py --runs ./output/test/tracking_results/seqtrack/seqtrack_tiny --per_sequence
  python tracking/analysis_results.py --baseline --config seqtrack_tiny
  python tracking/analysis_results.py --runs seqtrack/seqtrack_b256 --dataset_name uav
  python tracking/analysis_results.py --runs seqtrack/seqtrack_b256_got --dataset_name got10k_val

runs: 'tracker/config' = <results_dir>/tracker/config/<tag> (what tracking/test.py writes for the benchmark),
'tracker/config:epN' = <results_dir>/tracker/config_epNNNN/<tag> (test.py --epoch N), or the path of a folder
of result files. --baseline adds the 'frozen box' baseline: the first ground-truth box repeated on every frame.

sequences: on lasot the official test sequences of --classes, else of --config's DATA.TRAIN.CLASSES; else
every sequence of the benchmark with a result file in some run. All runs are compared on the sequences they
all have (the others are listed as missing). got10k_test and trackingnet have no public ground truth: pack
them for their servers with tracking/pack_submission.py.

protocol (the original's, i.e. pytracking's rules): frame 1 = ground truth; a zero-size predicted box takes
the previous frame's; success = IoU > t for t = 0:0.05:1 (21 points), AUC = mean x 100 (a perfect tracker
scores 95.24, the t = 1 point being 0); P@20 = centre error <= 20 px; NP@0.2 = centre error / ground-truth
size <= 0.2; on LaSOT and LaSOT_ext frames where the target is fully occluded or out of view are failures,
counted in the denominator; a frame with an empty box (UAV123: NaN) fails success but passes normalised
precision (UAV123: precision too). got10k_val adds GOT-10k's AO, SR0.5, SR0.75 (frames 2..N with cover > 0,
boxes clipped to the image, pooled over sequences). See lib/test/evaluation/metrics.py and got10k_metrics.py.

exit codes: 0 done, 2 bad input (no results, unknown class or config, unreadable annotations)
"""

BASELINE_LABEL = "frozen-box baseline"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__, epilog=EXAMPLES,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", nargs="+", default=[], metavar="RUN",
                        help="runs to compare: tracker/config, tracker/config:epN, or a results folder")
    parser.add_argument("--baseline", action="store_true",
                        help="also evaluate the frozen-box baseline (first ground-truth box on every frame)")
    parser.add_argument("--dataset_name", default="lasot", choices=[n for n, b in BENCHMARKS.items()
                                                                     if b.public_ground_truth],
                        help="benchmark the results are of (default: %(default)s)")
    parser.add_argument("--classes", nargs="+", default=None,
                        help="lasot: evaluate the test sequences of these classes")
    parser.add_argument("--config", default=None,
                        help="lasot: evaluate the test sequences of this config's DATA.TRAIN.CLASSES, e.g. "
                             "seqtrack_tiny")
    parser.add_argument("--results_dir", default=None,
                        help="results root (default: local_settings.yaml, then <save_dir>/test/tracking_results)")
    parser.add_argument("--save_dir", default="./output", help="used for the default --results_dir (default: "
                                                               "%(default)s)")
    parser.add_argument("--dataset_dir", default=None,
                        help="root of the benchmark, for its annotations (default: $<KEY>_DIR, local_settings.yaml, "
                             "./data/<folder>; see tracking/test.py --help)")
    parser.add_argument("--lasot_dir", default=None, help="LaSOT root, for --dataset_name lasot (as --dataset_dir)")
    parser.add_argument("--per_sequence", action="store_true", help="also print the per-sequence table")
    parser.add_argument("--plot_dir", default=None,
                        help="where the PNG plots go (default: <results_dir>/plots)")
    parser.add_argument("--no_plots", action="store_true", help="do not draw the plots")
    parser.add_argument("--json", default=None, metavar="PATH", help="also write every figure to this JSON file")
    return parser


def _sequence_names(args, benchmark, root, run_dirs: dict) -> list:
    from lib.config.seqtrack.config import config_path, load_config

    if (args.classes or args.config) and benchmark.name != "lasot":
        raise ValueError("--classes and --config choose LaSOT classes: use them with --dataset_name lasot")
    if args.classes:
        return benchmark.list_sequences(root, args.classes)
    if args.config:
        return benchmark.list_sequences(root, list(load_config(config_path(args.config)).DATA.TRAIN.CLASSES))
    if not run_dirs:
        if benchmark.name == "lasot":
            raise ValueError("--baseline alone needs --classes or --config to know which sequences to evaluate")
        return benchmark.list_sequences(root, None)
    found = {p.stem for d in run_dirs.values() for p in d.glob("*.txt")}
    names = [name for name in benchmark.list_sequences(root, None) if name in found]
    if not names:
        raise ValueError(f"no result file of a {benchmark.title} test sequence in "
                         f"{', '.join(map(str, run_dirs.values()))}")
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


def _evaluate(args, benchmark, run_dirs: dict, names: list, root) -> tuple:
    """``(sequences, predictions, missing)`` on the sequences all runs have (``predictions[run][name]``)."""
    from lib.test.evaluation.metrics import frozen_box_predictions

    sequences = {name: benchmark.load_sequence(root, name, False) for name in names}
    predictions, missing = _load_predictions(run_dirs, sequences)
    common = [n for n in names if all(n in predictions[run] for run in run_dirs)]
    if not common:
        raise ValueError("no sequence has results in every run: " +
                         "; ".join(f"{run}: {len(predictions[run])} of {len(names)}" for run in run_dirs))
    if args.baseline:
        predictions[BASELINE_LABEL] = {n: frozen_box_predictions(sequences[n].ground_truth) for n in common}
    predictions = {run: {n: boxes[n] for n in common} for run, boxes in predictions.items()}
    return {n: sequences[n] for n in common}, predictions, {run: m for run, m in missing.items() if m}


def _curves(benchmark, sequences: dict, predictions: dict) -> dict:
    """``{run: {sequence: Curves}}`` by the benchmark's rules."""
    from lib.test.evaluation.metrics import rules_for, sequence_curves

    rules = rules_for(benchmark.name)
    return {run: {n: sequence_curves(boxes[n], sequences[n].ground_truth, sequences[n].absent, rules)
                  for n in sequences} for run, boxes in predictions.items()}


def _resolution(sequence):
    """(width, height) for GOT-10k's clipping: the sequence's meta_info.ini, else its first frame's header."""
    from lib.data.image_loader import jpeg_size

    if sequence.resolution is not None:
        return sequence.resolution
    first = Path(sequence.frames[0]) if sequence.frames else None
    return jpeg_size(str(first)) if first is not None and first.is_file() else None


def _got10k_scores(sequences: dict, predictions: dict) -> dict:
    """``{run: Got10kScores}`` (AO, SR0.5, SR0.75 in percent)."""
    from lib.test.evaluation.got10k_metrics import got10k_scores, sequence_overlaps

    resolutions = {n: _resolution(s) for n, s in sequences.items()}
    return {run: got10k_scores(sequence_overlaps(boxes[n], s.ground_truth, s.labels.get("cover"), resolutions[n])
                               for n, s in sequences.items()) for run, boxes in predictions.items()}


def _report(args, benchmark, sequences: dict, per_sequence: dict, results_dir: Path, got10k: dict) -> dict:
    from lib.test.evaluation.metrics import format_overall, format_table, group_by_class, mean_curves

    overall = {run: mean_curves(curves.values()) for run, curves in per_sequence.items()}
    class_of = {n: s.object_class for n, s in sequences.items()}
    per_class = {run: group_by_class(curves, class_of) for run, curves in per_sequence.items()}
    classes = sorted({c for cells in per_class.values() for c in cells})
    print(f"{benchmark.title}: {len(sequences)} sequences" + (f" of {len(classes)} class(es)" if classes else "")
          + "\n")
    print(format_overall(overall) + "\n")
    if got10k:
        print(_format_got10k(got10k) + "\n")
    if classes:
        print(format_table({c: {run: per_class[run][c] for run in per_class} for c in classes}, "class") + "\n")
    if args.per_sequence:
        names = list(sequences)
        print(format_table({n: {run: per_sequence[run][n] for run in per_sequence} for n in names}, "sequence") + "\n")
    if not args.no_plots:
        from lib.test.evaluation.plots import plot_curves

        plot_dir = Path(args.plot_dir) if args.plot_dir else results_dir / "plots" / benchmark.name
        suffix = f" ({benchmark.title}" + (f", {len(classes)} classes)" if classes else ")")
        written = plot_curves(overall, plot_dir, title_suffix=suffix)
        print("plots: " + ", ".join(str(p) for p in written))
    return {run: {"overall": overall[run].summary(),
                  **({"got10k": got10k[run].summary()} if got10k else {}),
                  "per_class": {c: v.summary() for c, v in per_class[run].items()},
                  "per_sequence": {n: v.summary() for n, v in per_sequence[run].items()}} for run in overall}


def _format_got10k(scores: dict) -> str:
    width = max([3] + [len(run) for run in scores]) + 2
    lines = ["run".ljust(width) + f"{'AO':>8}{'SR0.5':>8}{'SR0.75':>8}{'frames':>9}   (GOT-10k's rules)"]
    lines += [run.ljust(width) + f"{s.ao:>8.2f}{s.sr50:>8.2f}{s.sr75:>8.2f}{s.frames:>9,}" for run, s in scores.items()]
    return "\n".join(lines)


def _write_scores(benchmark, sequences: dict, run_dirs: dict, figures: dict) -> None:
    """Each run's overall scores into its results folder (``scores.json``), with the checkpoint they come from
    (its ``run_info.json``): the model card's results section reads them (scripts/upload_checkpoint.py
    --card_only refreshes a card)."""
    from lib.hub.model_card import SCORES_FILE
    from lib.test.evaluation.running import RUN_INFO
    from lib.utils.atomic_files import write_text_atomic

    classes = sorted({s.object_class for s in sequences.values() if s.object_class})
    for run, folder in run_dirs.items():
        info_file = folder / RUN_INFO
        try:
            info = json.loads(info_file.read_text()) if info_file.is_file() else {}
        except (OSError, json.JSONDecodeError):
            info = {}
        scores = {"benchmark": benchmark.name, "title": benchmark.title, "sequences": len(sequences),
                  "classes": classes, "overall": figures[run]["overall"], "got10k": figures[run].get("got10k"),
                  "checkpoint": {k: info.get(k) for k in ("config", "epoch", "checkpoint", "checkpoint_sha256")}}
        try:
            write_text_atomic(folder / SCORES_FILE, json.dumps(scores, indent=2) + "\n")
        except OSError as exc:
            print(f"warning: could not write {folder / SCORES_FILE}: {exc}", file=sys.stderr)


def main(argv: list | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    from lib.config.seqtrack.config import ConfigError
    from lib.data.errors import DatasetError
    from lib.data.local_settings import SettingsError, resolve_data_root, resolve_results_dir
    from lib.test.evaluation.running import ResultsError, resolve_run_folder

    if not args.runs and not args.baseline:
        return fail("nothing to evaluate: give --runs and/or --baseline")
    benchmark = BENCHMARKS[args.dataset_name]
    try:
        results_dir = resolve_results_dir(args.results_dir, args.save_dir)
        run_dirs = {spec: resolve_run_folder(spec, results_dir, benchmark.result_tag) for spec in args.runs}
        explicit = args.dataset_dir or (args.lasot_dir if benchmark.name == "lasot" else None)
        root = benchmark.check_root(resolve_data_root(benchmark.root_key, explicit))
        names = _sequence_names(args, benchmark, root, run_dirs)
        sequences, predictions, missing = _evaluate(args, benchmark, run_dirs, names, root)
        per_sequence = _curves(benchmark, sequences, predictions)
        got10k = _got10k_scores(sequences, predictions) if benchmark.name == "got10k_val" else {}
    except (ConfigError, DatasetError, ResultsError, SettingsError, ValueError) as exc:
        return fail(exc)
    for run, names_missing in missing.items():
        shown = ", ".join(names_missing[:8]) + (" ..." if len(names_missing) > 8 else "")
        print(f"warning: {run} lacks complete results for {len(names_missing)} sequence(s), left out of the "
              f"comparison: {shown}", file=sys.stderr)
    figures = _report(args, benchmark, sequences, per_sequence, results_dir, got10k)
    _write_scores(benchmark, sequences, run_dirs, figures)
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps({"benchmark": benchmark.name, "missing": missing, "runs": figures},
                                              indent=2) + "\n")
        print(f"figures: {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
