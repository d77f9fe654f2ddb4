"""Convert SeqTrack checkpoints between this project's format and the original SeqTrack code's layout.

--to original: a checkpoint of ours -> a dict with 'net' (the state_dict under the original's parameter names),
'epoch', 'net_type' ('SEQTRACK') and 'actor_type', which the original code loads with load_state_dict(strict=True).
--to native: a checkpoint of the original code (read safely: none of its pickled objects is run) -> our format
with the weights, the epoch and the config named by --config, marked weights-only: tracking/test.py and
tracking/train.py --init take it, --resume refuses it (it holds no optimizer state).
Every tensor is checked against the network of the config: names, shapes, each used exactly once.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

import torch

from lib.checkpoint.io import CheckpointError, save_atomic
from lib.checkpoint.original import (
    LAYOUT_NATIVE,
    LAYOUT_ORIGINAL,
    expected_shapes,
    native_to_original,
    original_checkpoint_state,
    original_to_native,
    read_any_checkpoint,
    weights_only_native_state,
)
from lib.cli import run_reporting_errors
from lib.config.seqtrack.config import ConfigError
from lib.models.seqtrack import build_seqtrack
from lib.models.seqtrack.errors import ModelConfigError
from lib.models.seqtrack.loading import network_config

EXAMPLE = """examples:
  python scripts/convert_checkpoint.py SEQTRACK_ep0500.pth.tar seqtrack_b256_ep0500.native.pth.tar --to native
  python scripts/convert_checkpoint.py output/checkpoints/train/seqtrack/seqtrack_b256/SEQTRACK_ep0500.pth.tar \\
      SEQTRACK_ep0500.original.pth.tar --to original
exit codes: 0 written, 2 bad input (a file that is missing, refused, of the wrong layout, or does not fit the config)"""

DEFAULT_CONFIG = "seqtrack_b256"  # the model the original released


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__, epilog=EXAMPLE,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("input", metavar="IN", help="checkpoint to convert")
    parser.add_argument("output", metavar="OUT", help="file to write (refused if it exists, unless --force)")
    parser.add_argument("--to", required=True, choices=[LAYOUT_ORIGINAL, LAYOUT_NATIVE],
                        help="layout to write: 'original' (the original SeqTrack code's) or 'native' (ours)")
    parser.add_argument("--config", default=None, metavar="NAME",
                        help="experiments/seqtrack/<NAME>.yaml describing the network; needed for --to native "
                             f"(the original's files hold no config; default: {DEFAULT_CONFIG}), and for --to "
                             "original only instead of the config our checkpoint stores")
    parser.add_argument("--force", action="store_true", help="overwrite OUT if it exists")
    return parser


def _config(name: str | None, stored: dict | None):
    """``(config, where it came from)``: the named YAML's, else the checkpoint's stored one. The config only
    shapes the network the weights are checked against; MAE weights are never read here."""
    if name is None and isinstance(stored, dict):
        return network_config(stored, DEFAULT_CONFIG, "the checkpoint"), "stored in the checkpoint"
    name = name or DEFAULT_CONFIG
    return network_config(None, name), name


def _network_shapes(cfg) -> dict:
    """Our network's parameter names and shapes for ``cfg``, built on the meta device (no memory, no init time)."""
    with torch.device("meta"):
        return expected_shapes(build_seqtrack(cfg))


def _to_original(state: dict, layout: str, args) -> tuple:
    if layout != LAYOUT_NATIVE:
        raise CheckpointError(f"{args.input} is already in the original code's layout")
    cfg, config_source = _config(args.config, state.get("config"))
    original_net = native_to_original(state["net"], _network_shapes(cfg), f"{args.input} (config {config_source})")
    return original_checkpoint_state(original_net, state.get("epoch")), config_source


def _to_native(state: dict, layout: str, args) -> tuple:
    if layout != LAYOUT_ORIGINAL:
        raise CheckpointError(f"{args.input} is already in this project's format")
    cfg, config_source = _config(args.config, None)
    native_net = original_to_native(state["net"], _network_shapes(cfg), f"{args.input} (config {config_source})")
    converted = weights_only_native_state(native_net, state.get("epoch"), cfg.to_dict(), Path(args.input).name)
    return converted, config_source


def run(args) -> int:
    source, target = Path(args.input), Path(args.output)
    if source.resolve() == target.resolve():
        raise CheckpointError(f"IN and OUT are the same file ({source}); write to another file")
    if target.exists() and not args.force:
        raise CheckpointError(f"{target} exists; pass --force to overwrite it")
    state, layout = read_any_checkpoint(source)
    convert = _to_original if args.to == LAYOUT_ORIGINAL else _to_native
    converted, config_source = convert(state, layout, args)
    seconds = save_atomic(converted, target)
    print(f"wrote {target} ({args.to} layout, {len(converted['net'])} tensors, epoch {converted['epoch']}, "
          f"checked against config {config_source}) in {seconds:.1f} s")
    return 0


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    args = build_parser().parse_args(argv)
    return run_reporting_errors("convert_checkpoint", run, args, (CheckpointError, ConfigError, ModelConfigError))


if __name__ == "__main__":
    sys.exit(main())
