"""Download a SeqTrack checkpoint (or any file) from a Hugging Face Hub model repo with hf_hub_download, and print
its local path."""

from __future__ import annotations

import argparse
import sys

from lib.checkpoint.io import checkpoint_name
from lib.cli import run_reporting_errors
from lib.hub.client import HubError, HubInputError, HubPath, download

EXAMPLE = """example:
  python scripts/download_checkpoint.py --repo_id user/seqtrack-b256 --epoch 5
      -> the Hub cache's copy of checkpoints/SEQTRACK_ep0005.pth.tar
  python scripts/download_checkpoint.py --repo_id user/seqtrack-b256 --epoch 5 --out ./downloaded
      -> ./downloaded/checkpoints/SEQTRACK_ep0005.pth.tar
  python scripts/download_checkpoint.py --repo_id user/seqtrack-b256 --filename README.md --revision v1.0

The same from Python: hf_hub_download("user/seqtrack-b256", "checkpoints/SEQTRACK_ep0005.pth.tar").
Training and tracking also take the Hub path directly: --resume / --checkpoint
hf://user/seqtrack-b256/checkpoints/SEQTRACK_ep0005.pth.tar. A private repo needs HF_TOKEN or 'hf auth login'.
Exit codes: 0 downloaded, 1 the download failed (network, server), 2 bad input (no such repo, revision or file)."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__, epilog=EXAMPLE,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repo_id", required=True, help="model repo on the Hub, 'user/name'")
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--epoch", type=int, help="download checkpoints/SEQTRACK_ep%%04d.pth.tar of this epoch")
    which.add_argument("--filename", help="download this path of the repo")
    parser.add_argument("--revision", default=None, help="branch, tag or commit (default: main)")
    parser.add_argument("--out", default=None,
                        help="folder to download into, keeping the repo's sub-folders (default: the Hub cache)")
    return parser


def main(argv: list | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.epoch is not None and args.epoch < 1:
        parser.error(f"--epoch must be at least 1, got {args.epoch}")
    # No logging set-up: stdout carries only the path (path=$(python scripts/download_checkpoint.py ...)); the
    # client's warnings still reach stderr.
    filename = args.filename or f"checkpoints/{checkpoint_name(args.epoch)}"
    def fetch(hub_path: HubPath) -> int:
        print(download(hub_path, local_dir=args.out))
        return 0

    return run_reporting_errors("download_checkpoint", fetch, HubPath(args.repo_id, filename, args.revision),
                                (HubInputError,), (HubError,))


if __name__ == "__main__":
    sys.exit(main())
