"""Train SeqTrack: one process (``--mode single``) or several through torchrun (``--mode multiple``)."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

from lib.cli import EXIT_FAILED, fail

EXAMPLES = """examples:
  python tracking/train.py --script seqtrack --config seqtrack_tiny --save_dir ./output --mode single
  python tracking/train.py --script seqtrack --config seqtrack_b256 --save_dir ./output --mode multiple \\
      --nproc_per_node 8
  python tracking/train.py --script seqtrack --config seqtrack_b256 --save_dir ./output --resume auto
  python tracking/train.py --config seqtrack_b256 --save_dir ./output --repo_id user/seqtrack-b256   # push every epoch
  python tracking/train.py --config seqtrack_b256 --save_dir ./output --resume hf://user/seqtrack-b256/checkpoints/SEQTRACK_ep0002.pth.tar
  python tracking/train.py --config seqtrack_b256 --save_dir ./finetune --init SEQTRACK_ep0500.pth.tar
  python tracking/train.py --config seqtrack_tiny --save_dir ./output \\
      --opts TRAIN.EPOCH 10 DATA.TRAIN.CLASSES "[mouse, bear]"

outputs (under --save_dir):
  checkpoints/train/seqtrack/<config>/SEQTRACK_ep0001.pth.tar   one full-state checkpoint per epoch
  logs/seqtrack-<config>.log                                    the log (a line every 50 samples)
  logs/seqtrack-<config>.metrics.jsonl                          the same figures, machine-readable
  tensorboard/train/seqtrack/<config>                           TensorBoard scalars

exit codes: 0 done, 1 training failed (a full disk included), 2 bad input (config, data, checkpoint, a --save_dir
that cannot be written or that another run is training into), 130 interrupted
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description="Train SeqTrack with a config from experiments/<script>/: the original's dataset mixes, or "
                    "chosen LaSOT classes (DATA.TRAIN.CLASSES).",
        epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--script", default="seqtrack", choices=["seqtrack"],
                        help="training script (experiments/<script>/); only seqtrack (default: %(default)s)")
    parser.add_argument("--config", default="seqtrack_b256",
                        help="config name: experiments/seqtrack/<config>.yaml (default: %(default)s)")
    parser.add_argument("--save_dir", default="./output",
                        help="root of checkpoints, logs and TensorBoard files (default: %(default)s)")
    parser.add_argument("--mode", default="single", choices=["single", "multiple"],
                        help="single: one process; multiple: torchrun with DistributedDataParallel")
    parser.add_argument("--nproc_per_node", type=int, default=1,
                        help="processes per machine in --mode multiple (usually the GPU count)")
    parser.add_argument("--nnodes", type=int, default=1, help="machines in --mode multiple (default: 1)")
    parser.add_argument("--node_rank", type=int, default=0, help="this machine's rank when --nnodes > 1")
    parser.add_argument("--master_addr", default="127.0.0.1",
                        help="address of the node with --node_rank 0 when --nnodes > 1")
    parser.add_argument("--master_port", type=int, default=29500, help="its port when --nnodes > 1")
    parser.add_argument("--seed", type=int, default=None, help="overrides TRAIN.SEED")
    parser.add_argument("--resume", default=None, metavar="PATH|auto",
                        help="resume from a checkpoint, or 'auto' = the newest valid one of this run, or a Hub "
                             "checkpoint hf://<user>/<repo>[@revision]/<path> (overrides TRAIN.RESUME_PATH)")
    parser.add_argument("--repo_id", default=None, metavar="USER/NAME",
                        help="push every epoch's checkpoint, log, curves and model card to this Hugging Face Hub "
                             "model repo in the background (overrides TRAIN.HF.REPO_ID; token from HF_TOKEN)")
    parser.add_argument("--init", default=None, metavar="PATH",
                        help="fine-tune from the weights of PATH (a file, hf://<user>/<repo>[@revision] for a repo's "
                             "latest inference weights, or hf://<user>/<repo>/<path>), a "
                             "checkpoint of this project or of the original SeqTrack code (e.g. its "
                             "SEQTRACK_ep0500.pth.tar): fresh optimizer, epoch 1 (overrides MODEL.INIT_CHECKPOINT; "
                             "ignored when the run resumes)")
    parser.add_argument("--lasot_dir", default=None,
                        help="LaSOT root (default: $LASOT_DIR, then local_settings.yaml, then ./data/lasot)")
    parser.add_argument("--dataset_dir", action="append", default=[], metavar="KEY=PATH", type=_dataset_dir,
                        help="root of a training dataset, e.g. got10k=/data/GOT-10k (keys: lasot, got10k, "
                             "trackingnet, coco, vid, folder; default: $<KEY>_DIR, then local_settings.yaml, then "
                             "./data/<key>); repeat for each")
    parser.add_argument("--opts", nargs="+", default=[], metavar="KEY VALUE",
                        help="config overrides as KEY VALUE pairs, e.g. --opts TRAIN.LR 1e-3 TRAIN.EPOCH 10")
    return parser


def _dataset_dir(text: str) -> tuple:
    from lib.data.local_settings import DATA_ROOTS

    key, _, path = text.partition("=")
    if not path or key not in DATA_ROOTS:
        raise argparse.ArgumentTypeError(f"expected KEY=PATH with KEY one of {', '.join(DATA_ROOTS)}, got {text!r}")
    return key, path


def _data_roots(args) -> dict:
    roots = dict(args.dataset_dir)
    if args.lasot_dir:
        roots["lasot"] = args.lasot_dir
    return roots


def _torchrun_command(args, argv: list) -> list:
    """The torchrun command that runs this script in --mode single in every process."""
    command = [sys.executable, "-m", "torch.distributed.run", f"--nproc_per_node={args.nproc_per_node}"]
    if args.nnodes == 1:
        command.append("--standalone")
    else:
        command += [f"--nnodes={args.nnodes}", f"--node_rank={args.node_rank}",
                    f"--master_addr={args.master_addr}", f"--master_port={args.master_port}"]
    inner = list(argv)
    mode_at = inner.index("--mode") if "--mode" in inner else None
    if mode_at is not None:
        inner[mode_at + 1] = "single"
    inner = [a.replace("--mode=multiple", "--mode=single") for a in inner]
    return command + [str(Path(__file__).resolve())] + inner


def _error_message(exc: BaseException) -> str:
    """The user-facing line of an error, also when a DataLoader worker wrapped it in its traceback."""
    text = str(exc).strip()
    if "Original Traceback" in text:
        text = text.splitlines()[-1].split(": ", 1)[-1]
    return text


def _load_config(args):
    from lib.config.seqtrack.config import config_path, load_config

    overrides = list(args.opts)
    if args.seed is not None:
        overrides += ["TRAIN.SEED", str(args.seed)]
    if args.repo_id is not None:
        overrides += ["TRAIN.HF.REPO_ID", json.dumps(args.repo_id)]  # quoted: --opts values are read as YAML
    if args.init is not None:
        overrides += ["MODEL.INIT_CHECKPOINT", json.dumps(args.init)]  # quoted: --opts values are read as YAML
    return load_config(config_path(args.config), overrides)


def _preflight(args) -> None:
    """Check what can be checked before torchrun starts N processes: one clear error instead of N."""
    from lib.checkpoint.io import CheckpointError, local_checkpoint
    from lib.hub.client import is_hub_path
    from lib.models.seqtrack.seqtrack import fetch_pretrained
    from lib.train.data.builder import check_mix_roots

    cfg = _load_config(args)
    resume = args.resume or cfg.TRAIN.RESUME_PATH
    if is_hub_path(resume):
        local_checkpoint(resume)  # downloaded once here, so the N processes find it in the Hub cache
    elif resume and resume != "auto" and not Path(resume).is_file():
        raise CheckpointError(f"checkpoint not found: {resume}")
    init = cfg.MODEL.INIT_CHECKPOINT
    if is_hub_path(init):
        local_checkpoint(init)  # as for --resume: fetched once, before the N processes start
    elif init and not Path(init).is_file():
        raise CheckpointError(f"checkpoint to fine-tune from (--init / MODEL.INIT_CHECKPOINT) not found: {init}")
    check_mix_roots(cfg, _data_roots(args))
    if not resume and not init:
        fetch_pretrained(cfg)  # downloaded once here, so the N processes find the MAE weights in the Hub cache
    from lib.checkpoint.paths import RunPaths
    from lib.checkpoint.run_lock import RunLock

    RunLock(RunPaths(Path(args.save_dir), args.config).checkpoint_dir).release()  # writable, and no run in it


def _user_errors() -> tuple:
    from lib.checkpoint.io import CheckpointError
    from lib.checkpoint.run_lock import RunDirectoryError
    from lib.config.seqtrack.config import ConfigError
    from lib.data.errors import DatasetError
    from lib.data.local_settings import SettingsError
    from lib.models.seqtrack.errors import ModelConfigError

    return (ConfigError, DatasetError, CheckpointError, SettingsError, ModelConfigError, RunDirectoryError,
            FileNotFoundError)


def _launch_multiple(args, argv: list) -> int:
    if args.nproc_per_node < 1:
        return fail("--nproc_per_node must be at least 1")
    try:
        _preflight(args)
    except _user_errors() as exc:
        return fail(_error_message(exc))
    code = subprocess.run(_torchrun_command(args, argv)).returncode
    if code:
        return fail(f"distributed training failed (torchrun exit code {code}); the first process's error is printed "
                    f"above", code)
    return code


def main(argv: list | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)
    if args.mode == "multiple":
        return _launch_multiple(args, argv)
    from lib.checkpoint.io import DiskFullError

    try:
        cfg = _load_config(args)
        from lib.train.run_training import run_training

        run_training(cfg, args.config, args.save_dir, resume=args.resume, data_roots=_data_roots(args))
    except DiskFullError as exc:  # not bad input: the run itself could not go on
        return fail(_error_message(exc), EXIT_FAILED)
    except _user_errors() as exc:
        return fail(_error_message(exc))
    except KeyboardInterrupt:
        print("interrupted: resume with --resume auto (the last saved checkpoint is intact)", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
