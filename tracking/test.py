"""Run a trained SeqTrack on a benchmark's test sequences (LaSOT: those of its classes) and write one result file
per sequence."""

from __future__ import annotations

import argparse
import os
import sys

from lib.cli import fail
from lib.data.benchmarks.registry import BENCHMARKS

EXAMPLES = """examples:
  python tracking/test.py seqtrack seqtrack_b256 --dataset_name lasot --threads 4
  python tracking/test.py seqtrack seqtrack_tiny --dataset_name lasot --save_dir ./output --epoch 6
  python tracking/test.py seqtrack seqtrack_tiny --checkpoint ./downloaded/SEQTRACK_ep0006.pth.tar
  python tracking/test.py seqtrack seqtrack_tiny --sequence mouse-1 --device cpu
  python tracking/test.py seqtrack seqtrack_b256_got --dataset_name got10k_test --threads 4
  python tracking/test.py seqtrack seqtrack_b256 --dataset_name uav --dataset_dir /data/UAV123

benchmarks (--dataset_name, their roots' keys in local_settings.yaml / $<KEY>_DIR):
  lasot (lasot_dir), lasot_extension_subset, got10k_test and got10k_val (got10k_dir: the folder holding test/
  and val/), trackingnet (its TEST/ folder's parent), tnl2k, uav (UAV123), nfs, otb (OTB100), tc128.
what it tracks: on lasot the 4 official test sequences of every class of the checkpoint's config
(DATA.TRAIN.CLASSES; empty = all 70 classes, 280 sequences); on the others all their sequences; or those
given with --sequence.

checkpoint: --checkpoint PATH, else <save_dir>/checkpoints/train/seqtrack/<config>/SEQTRACK_ep%04d.pth.tar
of --epoch (default: the config's TEST.EPOCH). The network is built from the config stored in the
checkpoint (the YAML is used only for checkpoints without one).

outputs: <results_dir>/seqtrack/<config>/<tag>/ (with --epoch N: <config>_ep%04d/<tag>/), the tag named as the
original names it (lasot, lasot_extension_subset, got10k for both GOT-10k splits, trackingnet, tnl2k, uav, nfs,
otb; tc128):
  <sequence>.txt        x<TAB>y<TAB>w<TAB>h per frame (pixels, truncated to integers as the original
                        writes them; --float_results: 3 decimals); line 1 = the ground truth
  <sequence>_time.txt   seconds per frame
  run_info.json         the checkpoint (path, epoch, SHA-256) the results come from
Sequences already done are skipped (an incomplete file is tracked again); results of another checkpoint
in the same folder are an error unless --overwrite. results_dir: --results_dir, else local_settings.yaml,
else <save_dir>/test/tracking_results. Then: python tracking/analysis_results.py --runs seqtrack/<config>
--dataset_name <benchmark>, or for got10k_test and trackingnet (no public ground truth):
python tracking/pack_submission.py --runs seqtrack/<config> --dataset_name <benchmark>

exit codes: 0 all done, 1 some sequences could not be tracked (listed at the end), 2 bad input
(config, checkpoint, dataset root, arguments), 130 interrupted (finished sequences are kept)
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__, epilog=EXAMPLES,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("tracker_name", choices=["seqtrack"], help="tracker (only seqtrack)")
    parser.add_argument("tracker_param", help="config name: experiments/seqtrack/<config>.yaml, e.g. seqtrack_b256")
    parser.add_argument("--dataset_name", default="lasot", choices=list(BENCHMARKS),
                        help="benchmark to track (default: %(default)s)")
    parser.add_argument("--sequence", nargs="+", default=None, metavar="NAME",
                        help="track only these test sequences, e.g. mouse-1")
    parser.add_argument("--threads", type=int, default=0,
                        help="worker processes over sequences (1 torch thread each); 0 or 1 = in this process")
    parser.add_argument("--checkpoint", default=None,
                        help="checkpoint to track with (instead of --epoch): a file (SEQTRACK_ep*.pth.tar, a "
                             "model.safetensors with its config.json, the original's), hf://<user>/<repo>[@revision] "
                             "(the repo's latest inference weights) or an hf:// file")
    parser.add_argument("--epoch", type=int, default=None,
                        help="epoch of the run's checkpoint to load (default: the config's TEST.EPOCH)")
    parser.add_argument("--save_dir", default="./output",
                        help="the training run's --save_dir, where checkpoints are found (default: %(default)s)")
    parser.add_argument("--dataset_dir", default=None,
                        help="root of the benchmark (default: $<KEY>_DIR, then local_settings.yaml, then "
                             "./data/<folder>; see above)")
    parser.add_argument("--lasot_dir", default=None, help="LaSOT root, for --dataset_name lasot (as --dataset_dir)")
    parser.add_argument("--results_dir", default=None,
                        help="results root (default: local_settings.yaml, then <save_dir>/test/tracking_results)")
    parser.add_argument("--device", default="auto", help="cpu, cuda, cuda:N or auto (default: %(default)s)")
    parser.add_argument("--amp", action="store_true",
                        help="track in bf16 (autocast) where the device computes it natively: CUDA, or a CPU with "
                             "AVX512-BF16 / AMX / Arm BF16 (about 2x faster there); the results folder records it. "
                             "Default: fp32, as the original (or TEST.AMP of the checkpoint's config)")
    parser.add_argument("--float_results", action="store_true",
                        help="write boxes with 3 decimals instead of truncating them to integers as the original "
                             "does (its published AUCs come from integer files)")
    parser.add_argument("--overwrite", action="store_true",
                        help="track the chosen sequences again; results of another checkpoint in the folder "
                             "are deleted first (all of them)")
    return parser


def _sequence_names(args, cfg, benchmark, root) -> list:
    from lib.data.errors import DatasetError

    classes = list(cfg.DATA.TRAIN.CLASSES) if benchmark.name == "lasot" else None
    names = benchmark.list_sequences(root, classes)
    if args.sequence is None:
        return names
    known = set(names) if benchmark.name != "lasot" else set(benchmark.list_sequences(root, None))
    unknown = [name for name in args.sequence if name not in known]
    if unknown:
        example = next(iter(names), "?")
        raise DatasetError(f"--sequence {' '.join(unknown)}: not a {benchmark.title} test sequence (names look like "
                           f"{example})")
    return list(args.sequence)


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
    from lib.data.local_settings import SettingsError, resolve_data_root, resolve_results_dir
    from lib.models.seqtrack.loading import load_network
    from lib.test.evaluation.running import (
        ResultsError,
        resolve_checkpoint,
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
        benchmark = BENCHMARKS[args.dataset_name]
        explicit = args.dataset_dir or (args.lasot_dir if benchmark.name == "lasot" else None)
        root = benchmark.check_root(resolve_data_root(benchmark.root_key, explicit))
        names = _sequence_names(args, loaded.cfg, benchmark, root)
        out_dir = run_results_dir(resolve_results_dir(args.results_dir, args.save_dir), args.tracker_param,
                                  args.epoch) / benchmark.result_tag
        report = run_dataset(loaded, args.tracker_param, benchmark, names, root, out_dir, threads=args.threads,
                             device=device, overwrite=args.overwrite, float_results=args.float_results,
                             amp=args.amp or bool(loaded.cfg.TEST.AMP))
    except (ConfigError, CheckpointError, DatasetError, ResultsError, SettingsError) as exc:
        return fail(exc)
    except KeyboardInterrupt:
        print("interrupted: finished sequences are kept; run the same command again to continue", file=sys.stderr)
        return 130
    print(_summary(report, len(names)))
    run = f"seqtrack/{args.tracker_param}" + (f":ep{args.epoch}" if args.epoch is not None else "")
    run += f" --results_dir {args.results_dir}" if args.results_dir else ""
    if benchmark.public_ground_truth:
        print(f"next: python tracking/analysis_results.py --runs {run} --dataset_name {benchmark.name}")
    else:
        print(f"next: python tracking/pack_submission.py --runs {run} --dataset_name {benchmark.name} (scored by the "
              f"{benchmark.title} server)")
    return 1 if report.failed else 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
