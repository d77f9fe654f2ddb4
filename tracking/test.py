"""Run a trained SeqTrack on the LaSOT test sequences of its classes and write one result file per sequence."""

from __future__ import annotations

import argparse
import os
import sys

from lib.cli import fail

EXAMPLES = """examples:
  python tracking/test.py seqtrack seqtrack_b256 --dataset_name lasot --threads 4
  python tracking/test.py seqtrack seqtrack_tiny --dataset_name lasot --save_dir ./output --epoch 6
  python tracking/test.py seqtrack seqtrack_tiny --checkpoint ./downloaded/SEQTRACK_ep0006.pth.tar
  python tracking/test.py seqtrack seqtrack_tiny --sequence mouse-1 --device cpu

what it tracks: the 4 official test sequences of every class of the checkpoint's config
(DATA.TRAIN.CLASSES; empty = all 70 classes, 280 sequences), or the one given with --sequence.

checkpoint: --checkpoint PATH, else <save_dir>/checkpoints/train/seqtrack/<config>/SEQTRACK_ep%04d.pth.tar
of --epoch (default: the config's TEST.EPOCH). The network is built from the config stored in the
checkpoint (the YAML is used only for checkpoints without one).

outputs: <results_dir>/seqtrack/<config>/ (with --epoch N: <config>_ep%04d/):
  <sequence>.txt        x<TAB>y<TAB>w<TAB>h per frame (pixels, truncated to integers as the original
                        writes them; --float_results: 3 decimals); line 1 = the ground truth
  <sequence>_time.txt   seconds per frame
  run_info.json         the checkpoint (path, epoch, SHA-256) the results come from
Sequences already done are skipped (an incomplete file is tracked again); results of another checkpoint
in the same folder are an error unless --overwrite. results_dir: --results_dir, else local_settings.yaml,
else <save_dir>/test/tracking_results. Then: python tracking/analysis_results.py --runs seqtrack/<config>

exit codes: 0 all done, 1 some sequences could not be tracked (listed at the end), 2 bad input
(config, checkpoint, dataset root, arguments), 130 interrupted (finished sequences are kept)
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__, epilog=EXAMPLES,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("tracker_name", choices=["seqtrack"], help="tracker (only seqtrack)")
    parser.add_argument("tracker_param", help="config name: experiments/seqtrack/<config>.yaml, e.g. seqtrack_b256")
    parser.add_argument("--dataset_name", default="lasot", choices=["lasot"],
                        help="benchmark (only lasot: the official test split; default: %(default)s)")
    parser.add_argument("--sequence", default=None, help="track only this test sequence, e.g. mouse-1")
    parser.add_argument("--threads", type=int, default=0,
                        help="worker processes over sequences (1 torch thread each); 0 or 1 = in this process")
    parser.add_argument("--checkpoint", default=None, help="checkpoint file to track with (instead of --epoch)")
    parser.add_argument("--epoch", type=int, default=None,
                        help="epoch of the run's checkpoint to load (default: the config's TEST.EPOCH)")
    parser.add_argument("--save_dir", default="./output",
                        help="the training run's --save_dir, where checkpoints are found (default: %(default)s)")
    parser.add_argument("--lasot_dir", default=None,
                        help="LaSOT root (default: $LASOT_DIR, then local_settings.yaml, then ./data/lasot)")
    parser.add_argument("--results_dir", default=None,
                        help="results root (default: local_settings.yaml, then <save_dir>/test/tracking_results)")
    parser.add_argument("--device", default="auto", help="cpu, cuda, cuda:N or auto (default: %(default)s)")
    parser.add_argument("--float_results", action="store_true",
                        help="write boxes with 3 decimals instead of truncating them to integers as the original "
                             "does (its published AUCs come from integer files)")
    parser.add_argument("--overwrite", action="store_true",
                        help="track the chosen sequences again; results of another checkpoint in the folder "
                             "are deleted first (all of them)")
    return parser


def _sequence_names(args, cfg) -> list:
    from lib.data.errors import DatasetError
    from lib.data.lasot.splits import split_sequences
    from lib.data.lasot.test_set import test_sequence_names

    if args.sequence is None:
        return test_sequence_names(cfg.DATA.TRAIN.CLASSES)
    if args.sequence not in split_sequences("test"):
        raise DatasetError(f"--sequence {args.sequence!r} is not a LaSOT test sequence (names look like mouse-1; "
                           f"see lib/data/lasot/data_specs/lasot_test_split.txt)")
    return [args.sequence]


def _summary(report, total: int) -> str:
    lines = [f"{len(report.tracked)} tracked, {len(report.skipped)} already done, {len(report.failed)} failed "
             f"of {total} sequences; results in {report.out_dir}"]
    lines += [f"  FAILED {name}: {reason}" for name, reason in sorted(report.failed.items())]
    return "\n".join(lines)


def main(argv: list | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.threads < 0:
        return fail("--threads must be 0 or more")

    from lib.checkpoint.io import CheckpointError
    from lib.config.seqtrack.config import ConfigError
    from lib.data.errors import DatasetError
    from lib.data.lasot.splits import check_root
    from lib.data.local_settings import SettingsError, resolve_lasot_root
    from lib.models.seqtrack.loading import load_network
    from lib.test.evaluation.running import (
        ResultsError,
        resolve_checkpoint,
        resolve_results_dir,
        run_dataset,
        run_results_dir,
    )
    from lib.utils.device import resolve_device
    from lib.utils.logging_setup import setup_logging
    from lib.utils.malloc_tuning import keep_freed_memory

    setup_logging()
    keep_freed_memory()  # every frame is a full-size decode: reuse its buffer instead of faulting in new pages
    try:
        device = resolve_device(args.device)
        checkpoint = resolve_checkpoint(args.tracker_param, args.checkpoint, args.epoch, args.save_dir)
        loaded = load_network(checkpoint, args.tracker_param, device)
        names = _sequence_names(args, loaded.cfg)
        lasot_root = check_root(resolve_lasot_root(args.lasot_dir))
        out_dir = run_results_dir(resolve_results_dir(args.results_dir, args.save_dir), args.tracker_param,
                                  args.epoch)
        report = run_dataset(loaded, args.tracker_param, names, lasot_root, out_dir, threads=args.threads,
                             device=device, dataset_name=args.dataset_name.upper(), overwrite=args.overwrite,
                             float_results=args.float_results)
    except (ConfigError, CheckpointError, DatasetError, ResultsError, SettingsError) as exc:
        return fail(exc)
    except KeyboardInterrupt:
        print("interrupted: finished sequences are kept; run the same command again to continue", file=sys.stderr)
        return 130
    print(_summary(report, len(names)))
    return 1 if report.failed else 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
