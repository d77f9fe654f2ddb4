"""Generate a small dataset in the layout of LaSOT or of any other dataset or benchmark this project reads
(textured objects moving over textured backgrounds), for demos and tests."""

from __future__ import annotations

import argparse
import logging
import sys
import time

from lib.cli import fail
from lib.data.errors import DatasetError
from lib.data.synthetic.benchmarks import LAYOUTS as BENCHMARK_LAYOUTS
from lib.data.synthetic.benchmarks import make_synthetic_benchmark
from lib.data.synthetic.lasot import make_synthetic_lasot

EXAMPLE = """example:
  python scripts/make_synthetic_lasot.py --out ./data/lasot --classes mouse electricfan
  python scripts/make_synthetic_lasot.py --out /tmp/lasot --classes zebra --sequences 20 --frames 300 --size 640x480
  python scripts/make_synthetic_lasot.py --out /tmp/bench --classes zebra --sequences 4 --size 1280x720 --realistic
  python scripts/make_synthetic_lasot.py --layout got10k --out ./data/got10k --sequences 8
  python scripts/make_synthetic_lasot.py --layout uav --out ./data/UAV123 --sequences 2

layouts (--layout): lasot (default); the training datasets got10k (train/), trackingnet (TRAIN_0/), coco (one
image per --sequences), vid, folder (your own videos' layout); the benchmarks lasot_extension_subset,
got10k_test, got10k_val, trackingnet_test, tnl2k, uav, nfs, otb, tc128 (the table-driven uav, nfs and otb
write whole table sequences, so --frames does not apply to them). --classes and --realistic are LaSOT's.

Sequences are named <class>-1 ... <class>-N like LaSOT's, so the official split puts 16 of 20 in train.
--realistic frames cost what real LaSOT frames cost to decode (~115 KB JPEGs at 1280x720) and hold objects sized
like LaSOT's, for speed benchmarks.
Same arguments -> byte-identical files. Exit codes: 0 done, 2 bad arguments or an output folder holding other data."""


def _size(text: str) -> tuple:
    try:
        width, height = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected WIDTHxHEIGHT such as 320x240, got {text!r}") from None
    return width, height


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__, epilog=EXAMPLE,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--layout", default="lasot", choices=list(LAYOUTS),
                        help="dataset layout to write (default: %(default)s)")
    parser.add_argument("--out", required=True, help="root folder to write (LaSOT layout: OUT/<class>/<class>-<n>)")
    parser.add_argument("--classes", nargs="+", default=None,
                        help="LaSOT class names, e.g. mouse electricfan (needed for --layout lasot)")
    parser.add_argument("--sequences", type=int, default=None,
                        help="sequences (LaSOT: per class, 1-20, default 20; other layouts: default 3)")
    parser.add_argument("--frames", type=int, default=120, help="frames per sequence (default: %(default)s)")
    parser.add_argument("--size", type=_size, default=(320, 240), help="frame size WIDTHxHEIGHT (default: 320x240)")
    parser.add_argument("--seed", type=int, default=0, help="seed of every random choice (default: %(default)s)")
    parser.add_argument("--workers", type=int, default=None,
                        help="processes to use (default: the CPU count, at most 8)")
    parser.add_argument("--overwrite", action="store_true",
                        help="replace sequences that hold other data instead of stopping")
    parser.add_argument("--realistic", action="store_true",
                        help="natural-image-like scenes (JPEG size and decoding cost like real LaSOT footage) and "
                             "LaSOT-like object sizes, for speed benchmarks (default: small smooth frames)")
    return parser


def _write_training_layout(args, sequences: int):
    if args.layout == "got10k":
        from lib.data.synthetic.got10k import make_synthetic_got10k

        return make_synthetic_got10k(args.out, sequences, args.frames, args.size, args.seed, overwrite=args.overwrite)
    if args.layout == "trackingnet":
        from lib.data.synthetic.trackingnet import make_synthetic_trackingnet

        return make_synthetic_trackingnet(args.out, (0,), sequences, args.frames, args.size, args.seed,
                                          overwrite=args.overwrite)
    if args.layout == "coco":
        from lib.data.synthetic.coco import make_synthetic_coco

        return make_synthetic_coco(args.out, sequences, args.size, args.seed, overwrite=args.overwrite)
    if args.layout == "vid":
        from lib.data.synthetic.vid import make_synthetic_vid

        return make_synthetic_vid(args.out, sequences, args.frames, args.size, args.seed, overwrite=args.overwrite)
    from lib.data.synthetic.folder import make_synthetic_folder

    return make_synthetic_folder(args.out, sequences, args.frames, args.size, args.seed, overwrite=args.overwrite)


TRAINING_LAYOUTS = ("got10k", "trackingnet", "coco", "vid", "folder")
# the benchmark layouts by the names the generator takes; TrackingNet's test split is 'trackingnet_test' here
LAYOUTS = ("lasot", *TRAINING_LAYOUTS, *(f"{n}_test" if n == "trackingnet" else n for n in BENCHMARK_LAYOUTS))


def _write(args) -> tuple:
    """``(root, what was written)`` of the chosen layout."""
    if args.layout == "lasot":
        if not args.classes:
            raise DatasetError("--layout lasot needs --classes, e.g. --classes mouse electricfan")
        sequences = 20 if args.sequences is None else args.sequences
        root = make_synthetic_lasot(args.out, args.classes, sequences, args.frames, args.size, args.seed,
                                    workers=args.workers, overwrite=args.overwrite, realistic=args.realistic)
        return root, f"{len(args.classes)} classes x {sequences} sequences x {args.frames} frames"
    if args.classes or args.realistic:
        raise DatasetError("--classes and --realistic apply to --layout lasot only")
    sequences = 3 if args.sequences is None else args.sequences
    if args.layout in TRAINING_LAYOUTS:
        root = _write_training_layout(args, sequences)
    else:
        layout = "trackingnet" if args.layout == "trackingnet_test" else args.layout
        root = make_synthetic_benchmark(layout, args.out, sequences, args.frames, args.size, args.seed,
                                        overwrite=args.overwrite)
    return root, f"{args.layout}: {sequences} {'images' if args.layout == 'coco' else 'sequences'}"


def main(argv: list | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    start = time.perf_counter()
    try:
        root, what = _write(args)
    except DatasetError as exc:
        return fail(exc)
    print(f"wrote {what} to {root} in {time.perf_counter() - start:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
