"""Upload a SeqTrack checkpoint, or a whole training run, to a Hugging Face Hub model repo in one commit, with a
model card (README.md) generated from it. Training does this by itself after every epoch when TRAIN.HF.REPO_ID
is set; this script is for runs trained without it, or epochs whose upload failed."""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

from lib.checkpoint.io import CheckpointError, list_checkpoints, load_checkpoint, parse_checkpoint_name
from lib.checkpoint.paths import RunPaths
from lib.cli import run_reporting_errors
from lib.hub.client import HubError, hub_error, hub_url, quiet_http_logging
from lib.hub.model_card import parameter_counts, write_model_card
from lib.hub.upload import (
    CARD_IN_REPO,
    PUSH_FILE,
    STAGING_DIR,
    STRATEGIES,
    checkpoint_in_repo,
    draw_curves,
    make_card,
    push_files,
    run_file_names,
    stale_checkpoints,
    write_epoch_weights,
)
from lib.utils.logging_setup import setup_logging

SCRIPT = "seqtrack"
EXAMPLE = """example:
  python scripts/upload_checkpoint.py ./output --repo_id user/seqtrack-b256 --private
      every epoch checkpoint of the run in ./output (checkpoints/train/seqtrack/<config>/), its log, metrics,
      curves and a model card
  python scripts/upload_checkpoint.py ./output/checkpoints/train/seqtrack/seqtrack_b256/SEQTRACK_ep0005.pth.tar \\
      --repo_id user/seqtrack-b256
  python scripts/upload_checkpoint.py ./output --repo_id user/seqtrack-b256 --card_only MODEL_CARD.md
      write the model card the upload would commit, upload nothing

Repo layout: checkpoints/SEQTRACK_ep%04d.pth.tar (the training states), weights/ep%04d/{model.safetensors,
config.json} (the inference weights of each epoch) and the newest epoch's at the root, logs/seqtrack-<config>.
{log,metrics.jsonl,curves.png}, README.md. --strategy (default: the run's TRAIN.HF.STRATEGY) chooses the training
states: full (all), latest_full (the newest only; older ones are deleted from the repo, its history keeps them),
weights (none). The token: HF_TOKEN or 'hf auth login' (never on the command line).
Exit codes: 0 uploaded, 1 the upload failed (network, access), 2 bad input (no checkpoint, unreadable file)."""


class UploadError(ValueError):
    """A path that holds nothing to upload, or that does not say which config it belongs to."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__, epilog=EXAMPLE,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("path", help="a checkpoint file, or a run directory (the --save_dir of a training run)")
    parser.add_argument("--repo_id", required=True, help="model repo on the Hub, 'user/name' (created if needed)")
    parser.add_argument("--private", action="store_true", help="create the repo private (an existing repo keeps "
                                                               "its visibility)")
    parser.add_argument("--config", default=None,
                        help="config name of the run, when PATH does not tell it (a run directory holding several "
                             "configs, a checkpoint outside the run layout)")
    parser.add_argument("--note", default="",
                        help="a paragraph to add to the model card, e.g. what data the run was trained on")
    parser.add_argument("--results_dir", default=None,
                        help="where tracking/analysis_results.py left the run's scores for the card's results section "
                             "(default: local_settings.yaml, then <run>/test/tracking_results)")
    parser.add_argument("--strategy", default=None, choices=STRATEGIES,
                        help="which training states to push (default: the run's TRAIN.HF.STRATEGY, else full)")
    parser.add_argument("--card_only", default=None, metavar="FILE",
                        help="write the generated model card to FILE and upload nothing")
    return parser


def _config_of_checkpoint(checkpoint: Path, given: str | None) -> str:
    """``<config>`` from ``.../seqtrack/<config>/SEQTRACK_*.pth.tar`` or from a staged copy of the uploader."""
    if given:
        return given
    parts = checkpoint.resolve().parts
    if len(parts) >= 3 and parts[-3] == SCRIPT:
        return parts[-2]
    if len(parts) >= 6 and parts[-6] == STAGING_DIR and parts[-5] == SCRIPT:  # <STAGING_DIR>/seqtrack/<c>/epN/...
        return parts[-4]
    raise UploadError(f"cannot tell the config of {checkpoint} from its path: pass --config")


def _config_of_run(run_dir: Path, given: str | None) -> str:
    root = run_dir / "checkpoints" / "train" / SCRIPT
    configs = sorted(p.name for p in root.iterdir() if p.is_dir()) if root.is_dir() else []
    if given:
        return given
    if len(configs) == 1:
        return configs[0]
    if not configs:
        raise UploadError(f"{run_dir} holds no checkpoints/train/{SCRIPT}/<config>/: not a run directory")
    raise UploadError(f"{run_dir} holds runs of several configs ({', '.join(configs)}): pass --config")


def _epoch_files(checkpoints: list, config: str, strategy: str | None, scratch: Path) -> tuple:
    """``({path in repo: local file}, newest state, strategy)``: every epoch's inference weights (the newest also
    at the repo's root) and the training states ``strategy`` pushes (None: the newest checkpoint's
    TRAIN.HF.STRATEGY)."""
    files, state = {}, None
    for checkpoint in checkpoints:  # oldest first: the newest epoch's weights end up at the root
        state = load_checkpoint(checkpoint)
        files.update(write_epoch_weights(state, config, scratch, parse_checkpoint_name(checkpoint).epoch))
    strategy = strategy or state.get("config", {}).get("TRAIN", {}).get("HF", {}).get("STRATEGY", "full")
    keep = [] if strategy == "weights" else checkpoints[-1:] if strategy == "latest_full" else checkpoints
    files.update({checkpoint_in_repo(p.name): p for p in keep})
    return files, state, strategy


def collect(path: Path, config: str | None, scratch: Path, strategy: str | None = None) -> tuple:
    """``(files {path in repo: local path}, newest checkpoint state, config name, run paths, strategy)``."""
    if path.is_file():
        config = _config_of_checkpoint(path, config)
        paths = RunPaths(path.parent, config)  # only for the run files' names
        files, state, strategy = _epoch_files([path], config, strategy, scratch)
        staged_logs = path.parent.parent / "logs"  # an uploader's staged epoch folder also holds the run files
        if path.parent.name == "checkpoints" and staged_logs.is_dir():
            files.update({f"logs/{p.name}": p for p in staged_logs.iterdir() if p.is_file()})
        return files, state, config, paths, strategy
    if not path.is_dir():
        raise UploadError(f"{path} does not exist")
    config = _config_of_run(path, config)
    paths = RunPaths(path, config)
    checkpoints = [p for p in list_checkpoints(paths.checkpoint_dir) if not parse_checkpoint_name(p).samples]
    if not checkpoints:
        raise UploadError(f"{paths.checkpoint_dir} holds no epoch checkpoint (SEQTRACK_ep%04d.pth.tar)")
    files, state, strategy = _epoch_files(checkpoints, config, strategy, scratch)
    names = run_file_names(paths)
    for kind in ("log", "metrics"):
        if getattr(paths, f"{kind}_file").is_file():
            files[names[kind]] = getattr(paths, f"{kind}_file")
    curves = scratch / Path(names["curves"]).name  # drawn afresh: the run's own file may be older
    if paths.metrics_file.is_file() and draw_curves(paths.metrics_file, config, curves):
        files[names["curves"]] = curves
    elif paths.curves_file.is_file():
        files[names["curves"]] = paths.curves_file
    return files, state, config, paths, strategy


def run(args) -> int:
    with tempfile.TemporaryDirectory(prefix="seqtrack-upload-") as scratch:
        files, state, config, paths, strategy = collect(Path(args.path), args.config, Path(scratch), args.strategy)
        api = None
        existing: set = set()
        if args.card_only is None:
            from huggingface_hub import HfApi

            api = HfApi()
            try:
                api.create_repo(args.repo_id, private=args.private, exist_ok=True)
                existing = set(api.list_repo_files(args.repo_id))
            except Exception as exc:  # the client raises many types: all become one line
                raise hub_error(f"cannot create or read the repo {args.repo_id}", exc) from exc
        stale = stale_checkpoints(existing, files, strategy)
        after = (existing - set(stale)) | set(files) | {CARD_IN_REPO}
        card = make_card(state["config"], config, state["history"], after, parameter_counts(state["net"]),
                         args.repo_id, paths, note=args.note, results_dir=args.results_dir)
        if args.card_only is not None:
            print(f"wrote {write_model_card(card, args.card_only)}")
            return 0
        files[CARD_IN_REPO] = write_model_card(card, Path(scratch) / CARD_IN_REPO)
        epochs = sorted({int(p.split("/")[1][2:]) for p in files if p.startswith("weights/")})
        message = f"Upload {config}: epoch{'s' if len(epochs) > 1 else ''} {', '.join(map(str, epochs))}"
        try:
            info = push_files(api, args.repo_id, files, message, args.private, create=False, delete=stale)
        except Exception as exc:  # the client raises many types: all become one line
            raise hub_error(f"cannot upload to {args.repo_id}", exc) from exc
    for repo_path in sorted(files):
        print(f"uploaded {repo_path}")
    for repo_path in stale:
        print(f"deleted {repo_path} (strategy {strategy}; the repo's history keeps it)")
    print(f"commit {info.oid}: {hub_url(args.repo_id)}")
    _forget_staging(Path(args.path))
    return 0


def _forget_staging(path: Path) -> None:
    """A checkpoint pushed from a training run's staging folder: the folder has done its job, remove it (the
    next training run with uploads would push it again otherwise)."""
    staging = path.resolve().parent.parent
    if path.is_file() and (staging / PUSH_FILE).is_file() and STAGING_DIR in staging.parts:
        shutil.rmtree(staging, ignore_errors=True)
        print(f"removed the staging folder {staging}")


def main(argv: list | None = None) -> int:
    args = build_parser().parse_args(argv)
    setup_logging()
    quiet_http_logging()
    return run_reporting_errors("upload_checkpoint", run, args, (UploadError, CheckpointError), (HubError,))


if __name__ == "__main__":
    sys.exit(main())
