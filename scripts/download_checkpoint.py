"""Download a SeqTrack checkpoint (or any file) from a Hugging Face Hub model repo with hf_hub_download, and print
its local path."""

from __future__ import annotations

import argparse
import sys

from lib.checkpoint.io import checkpoint_name
from lib.checkpoint.weights_files import CONFIG_FILE, WEIGHTS_FILE
from lib.cli import run_reporting_errors
from lib.hub.client import HubError, HubInputError, HubPath, download

EXAMPLE = """example:
  python scripts/download_checkpoint.py --repo_id user/seqtrack-b256 --epoch 5
      -> the Hub cache's copy of checkpoints/SEQTRACK_ep0005.pth.tar
  python scripts/download_checkpoint.py --repo_id user/seqtrack-b256 --epoch 5 --out ./downloaded
      -> ./downloaded/checkpoints/SEQTRACK_ep0005.pth.tar
  python scripts/download_checkpoint.py --repo_id user/seqtrack-b256 --filename README.md --revision v1.0
  python scripts/download_checkpoint.py --repo_id user/seqtrack-b256 --weights
      -> the latest inference weights, model.safetensors (and the config.json beside it)
  python scripts/download_checkpoint.py --repo_id user/seqtrack-b256 --weights --epoch 5
      -> weights/ep0005/model.safetensors (and its config.json)

The same from Python: hf_hub_download("user/seqtrack-b256", "checkpoints/SEQTRACK_ep0005.pth.tar").
Training and tracking also take the Hub path directly: --resume / --checkpoint
hf://user/seqtrack-b256/checkpoints/SEQTRACK_ep0005.pth.tar. A private repo needs HF_TOKEN or 'hf auth login'.
Exit codes: 0 downloaded, 1 the download failed (network, server), 2 bad input (no such repo, revision or file)."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__, epilog=EXAMPLE,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repo_id", required=True, help="model repo on the Hub, 'user/name'")
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--epoch", type=int, help="download checkpoints/SEQTRACK_ep%%04d.pth.tar of this epoch")
    which.add_argument("--filename", help="download this path of the repo")
    parser.add_argument("--weights", action="store_true",
                        help="download the inference weights (model.safetensors + config.json) instead: of --epoch, "
                             "else the latest at the repo's root")
    parser.add_argument("--revision", default=None, help="branch, tag or commit (default: main)")
    parser.add_argument("--out", default=None,
                        help="folder to download into, keeping the repo's sub-folders (default: the Hub cache)")
    return parser


def main(argv: list | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.epoch is not None and args.epoch < 1:
        parser.error(f"--epoch must be at least 1, got {args.epoch}")
    if args.weights and args.filename:
        parser.error("--weights downloads model.safetensors and config.json: give --epoch or nothing, not --filename")
    if not (args.weights or args.filename or args.epoch):
        parser.error("say what to download: --epoch N, --filename PATH or --weights")
    # No logging set-up: stdout carries only the path (path=$(python scripts/download_checkpoint.py ...)); the
    # client's warnings still reach stderr.
    if args.weights:
        folder = f"weights/ep{args.epoch:04d}/" if args.epoch else ""
        filename = f"{folder}{WEIGHTS_FILE}"
    else:
        filename = args.filename or f"checkpoints/{checkpoint_name(args.epoch)}"

    def fetch(hub_path: HubPath) -> int:
        local = download(hub_path, local_dir=args.out)
        if args.weights:  # the config that rebuilds the network, beside it
            download(HubPath(hub_path.repo_id, hub_path.filename.replace(WEIGHTS_FILE, CONFIG_FILE),
                             hub_path.revision), local_dir=args.out)
        print(local)
        return 0

    return run_reporting_errors("download_checkpoint", fetch, HubPath(args.repo_id, filename, args.revision),
                                (HubInputError,), (HubError,))


if __name__ == "__main__":
    sys.exit(main())
