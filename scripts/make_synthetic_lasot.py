"""Generate a small LaSOT-format dataset (textured objects moving over textured backgrounds) for demos and tests."""

from __future__ import annotations

import argparse
import logging
import sys
import time

from lib.cli import fail
from lib.data.errors import DatasetError
from lib.data.synthetic.lasot import make_synthetic_lasot

EXAMPLE = """example:
  python scripts/make_synthetic_lasot.py --out ./data/lasot --classes mouse electricfan
  python scripts/make_synthetic_lasot.py --out /tmp/lasot --classes zebra --sequences 20 --frames 300 --size 640x480
  python scripts/make_synthetic_lasot.py --out /tmp/bench --classes zebra --sequences 4 --size 1280x720 --realistic

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
    parser.add_argument("--out", required=True, help="root folder to write (LaSOT layout: OUT/<class>/<class>-<n>)")
    parser.add_argument("--classes", nargs="+", required=True, help="LaSOT class names, e.g. mouse electricfan")
    parser.add_argument("--sequences", type=int, default=20, help="sequences per class, 1-20 (default: %(default)s)")
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


def main(argv: list | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    start = time.perf_counter()
    try:
        root = make_synthetic_lasot(args.out, args.classes, args.sequences, args.frames, args.size, args.seed,
                                    workers=args.workers, overwrite=args.overwrite, realistic=args.realistic)
    except DatasetError as exc:
        return fail(exc)
    print(f"wrote {len(args.classes)} classes x {args.sequences} sequences x {args.frames} frames to {root} "
          f"in {time.perf_counter() - start:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
