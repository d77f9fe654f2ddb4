"""Download chosen LaSOT classes from the Hugging Face Hub (one zip per class) and unpack them into the LaSOT layout
<out>/<class>/<class>-<n>/{img/, groundtruth.txt, ...}, checking every sequence. Safe to re-run after an
interruption: complete classes are skipped, incomplete ones are done again."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from lib.cli import run_reporting_errors
from lib.data.errors import DatasetError
from lib.data.lasot.download import DEFAULT_REPO, download_classes
from lib.hub.client import HubError, HubInputError
from lib.utils.logging_setup import setup_logging

EXAMPLE = f"""example:
  python scripts/download_lasot.py --classes mouse electricfan
  python scripts/download_lasot.py --classes mouse --out /data/lasot --repo_id {DEFAULT_REPO}

Zips are downloaded into <out>/.downloads (an interrupted download resumes) and deleted once unpacked and
checked (--keep_zips keeps them). A private or gated repo needs a token: HF_TOKEN or 'hf auth login'.
Train on them with:
  python tracking/train.py --config seqtrack_b256 --lasot_dir <out> --opts DATA.TRAIN.CLASSES "[mouse, electricfan]"
Exit codes: 0 done, 1 the download failed (network, access), 2 bad input (unknown class, a class the repo
does not have, a zip that does not hold a complete class)."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__, epilog=EXAMPLE,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--classes", nargs="+", required=True, metavar="CLASS",
                        help="LaSOT class names to download, e.g. mouse electricfan")
    parser.add_argument("--repo_id", default=DEFAULT_REPO, help="dataset repo on the Hub (default: %(default)s)")
    parser.add_argument("--revision", default=None, help="branch, tag or commit of the dataset repo (default: main)")
    parser.add_argument("--out", default="./data/lasot", help="LaSOT root to unpack into (default: %(default)s)")
    parser.add_argument("--keep_zips", action="store_true", help="keep the downloaded zips in <out>/.downloads")
    return parser


def main(argv: list | None = None) -> int:
    args = build_parser().parse_args(argv)
    setup_logging()
    return run_reporting_errors("download_lasot", _download, args, (DatasetError, HubInputError), (HubError,))


def _download(args) -> int:
    results = download_classes(args.classes, args.out, repo_id=args.repo_id, revision=args.revision,
                               keep_zips=args.keep_zips)
    print(f"{'class':<16}{'sequences':>10}{'frames':>10}  action")
    for result in results:
        print(f"{result.name:<16}{result.sequences:>10,}{result.frames:>10,}  {result.action}")
    print(f"LaSOT root: {Path(args.out).resolve()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
