"""Pack tracking results of GOT-10k test or TrackingNet test (no public ground truth) into the archive their
evaluation servers accept."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from lib.cli import fail

EXAMPLES = """examples:
  python tracking/pack_submission.py --runs seqtrack/seqtrack_b256_got --dataset_name got10k_test
  python tracking/pack_submission.py --runs seqtrack/seqtrack_b256 --dataset_name trackingnet --out tn.zip

what it writes (the original's layouts; boxes as integers, comma-separated, one line per frame):
  got10k_test:  <run>/got10k_submit.zip with <seq>/<seq>_001.txt and <seq>/<seq>_time.txt per sequence
                (upload at http://got-10k.aitestunion.com)
  trackingnet:  <run>/trackingnet_submit.zip with <seq>.txt per sequence, flat
                (upload at https://eval.ai, TrackingNet challenge)
<run> is the folder of the config (<results_dir>/seqtrack/<config>), next to the results' <tag>/ folder.
The results are read from what tracking/test.py --dataset_name got10k_test / trackingnet wrote; every sequence
of the benchmark (listed from --dataset_dir) must have complete results, else nothing is written unless
--allow_missing. Unlike the original's scripts, the results folder is left as it is and the zip is kept.

exit codes: 0 written, 2 bad input (no results, missing or incomplete sequences, unknown run)
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__, epilog=EXAMPLES,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", required=True, metavar="RUN",
                        help="tracker/config, tracker/config:epN (as tracking/analysis_results.py), or a folder of "
                             "result files")
    parser.add_argument("--dataset_name", required=True, choices=["got10k_test", "trackingnet"],
                        help="the benchmark whose results to pack")
    parser.add_argument("--dataset_dir", default=None,
                        help="root of the benchmark, to check every sequence has results (default: $GOT10K_DIR / "
                             "$TRACKINGNET_DIR, local_settings.yaml, ./data/<folder>); without it, every result file "
                             "found is packed")
    parser.add_argument("--results_dir", default=None,
                        help="results root (default: local_settings.yaml, then <save_dir>/test/tracking_results)")
    parser.add_argument("--save_dir", default="./output", help="used for the default --results_dir")
    parser.add_argument("--out", default=None, help="the zip to write (default: see above)")
    parser.add_argument("--allow_missing", action="store_true",
                        help="pack what there is even when sequences are missing (the server may refuse it)")
    return parser


def main(argv: list | None = None) -> int:
    args = build_parser().parse_args(argv)
    from lib.data.benchmarks.registry import BENCHMARKS
    from lib.data.errors import DatasetError
    from lib.data.local_settings import SettingsError, resolve_data_root, resolve_results_dir
    from lib.test.evaluation.running import ResultsError, resolve_run_folder
    from lib.test.evaluation.submission import pack_submission

    benchmark = BENCHMARKS[args.dataset_name]
    try:
        results_dir = resolve_results_dir(args.results_dir, args.save_dir)
        folder = resolve_run_folder(args.runs, results_dir, benchmark.result_tag)
        root = resolve_data_root(benchmark.root_key, args.dataset_dir)
        expected = benchmark.list_sequences(benchmark.check_root(root), None) if root.is_dir() else None
        if expected is None:
            print(f"note: no {benchmark.title} root at {root}: packing every result file found, without checking "
                  f"that all sequences are there (pass --dataset_dir to check)", file=sys.stderr)
        packed = pack_submission(benchmark.name, folder, expected, Path(args.out) if args.out else None,
                                 allow_missing=args.allow_missing)
    except (DatasetError, ResultsError, SettingsError, ValueError) as exc:
        return fail(exc)
    for warning in packed.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print(f"wrote {packed.path}: {packed.sequences} sequences, {packed.frames:,} frames")
    return 0


if __name__ == "__main__":
    sys.exit(main())
