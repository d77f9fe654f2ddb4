"""Measure what a full training checkpoint costs: its size, the time to write it (atomic save with fsync) and to
read it back (weights_only load), and the write time as a share of one epoch of training; and the size and
write time of the inference weights (model.safetensors + config.json) that every Hub push adds.

The checkpoint is built the way the trainer builds it: the config's model, its AdamW optimizer after one real
training step (so the optimizer holds exp_avg and exp_avg_sq, about twice the model again), the StepLR
scheduler, the grad scaler and the per-process RNG and meter state, gathered by the trainer's ``Checkpointer``."""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import tempfile
import time
from pathlib import Path

import torch

from lib.checkpoint.io import CheckpointError
from lib.cli import parse_checked, run_reporting_errors, write_json_report
from lib.config.seqtrack.config import Config, ConfigError, config_path, load_config
from lib.train.benchmarking import build_trainer, random_batch, time_save_and_load
from lib.train.trainers.ltr_trainer import LTRTrainer

EXAMPLE = """example:
  python scripts/benchmark_checkpoint.py
  python scripts/benchmark_checkpoint.py --configs seqtrack_b256 --repeats 5 --epoch_seconds 240 --out b256.json

Without --epoch_seconds the epoch time is extrapolated from a few timed training steps on random inputs on the
CPU (data loading excluded): a config made for the CPU (TRAIN.DEVICE cpu) is stepped at its own batch size, any
other at --step_batch (default 2). Such an estimate says nothing about a GPU's epoch: pass the epoch time
measured there. The checkpoint is written to --dir: point it at the disk your runs write to (a tmpfs makes
fsync free). Loads read a file that was just written, so mostly from the page cache.
Exit codes: 0 done, 1 a checkpoint could not be written or read, 2 bad input."""

DEFAULT_CONFIGS = ("seqtrack_tiny", "seqtrack_b256")
SMALL_STEP_BATCH = 2  # batch of the timed steps for configs not made for the CPU


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__, epilog=EXAMPLE,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--configs", nargs="+", default=list(DEFAULT_CONFIGS), metavar="NAME",
                        help="configs of experiments/seqtrack to measure (default: %(default)s)")
    parser.add_argument("--repeats", type=int, default=3, help="saves and loads per config (default: 3)")
    parser.add_argument("--out", default=None, help="JSON file to write the results to (default: none)")
    parser.add_argument("--epoch_seconds", type=float, nargs="+", default=None, metavar="S",
                        help="epoch time to compare the save with: one value for every config or one per "
                             "config (default: extrapolated from timed training steps)")
    parser.add_argument("--steps", type=int, default=2,
                        help="timed training steps for the epoch estimate, after one untimed (default: 2)")
    parser.add_argument("--step_batch", type=int, default=None,
                        help=f"batch of the timed steps (default: the config's batch for a CPU config, else "
                             f"{SMALL_STEP_BATCH})")
    parser.add_argument("--dir", default=None,
                        help="directory to write the checkpoints in; a temporary folder is made inside it and "
                             "removed afterwards (default: the system's temporary directory)")
    return parser


# ---------------------------------------------------------------------------------------------------- set-up


def step_batch_for(cfg: Config, override: int | None) -> int:
    if override is not None:
        return override
    return cfg.TRAIN.BATCH_SIZE if cfg.TRAIN.DEVICE == "cpu" else SMALL_STEP_BATCH


def time_steps(trainer: LTRTrainer, batches: list[dict]) -> list[float]:
    """Seconds of each real training step (forward, loss, backward, clipping, AdamW update) on ``batches``."""
    seconds = []
    for batch in batches:
        start = time.perf_counter()
        trainer.train_step(batch)
        seconds.append(time.perf_counter() - start)
    return seconds


# ---------------------------------------------------------------------------------------------------- measuring


def benchmark_config(name: str, repeats: int, epoch_seconds: float | None, steps: int, step_batch: int | None,
                     work_dir: Path) -> dict:
    """Size, save and load times of ``name``'s checkpoint, and the save as a share of an epoch."""
    cfg = load_config(config_path(name))
    trainer = build_trainer(cfg, name, work_dir)
    batch_size = step_batch_for(cfg, step_batch)
    generator = torch.Generator().manual_seed(cfg.TRAIN.SEED)
    timed = epoch_seconds is None
    batches = [random_batch(cfg, batch_size, generator) for _ in range(1 + (steps if timed else 0))]
    step_seconds = time_steps(trainer, batches)[1:]  # the first step fills the optimizer state; not timed
    result = {"config": name, "parameters": sum(p.numel() for p in trainer.bare_net.parameters())}
    result.update(time_save_and_load(trainer, repeats))
    if timed:
        seconds_per_sample = statistics.median(step_seconds) / batch_size
        epoch_seconds = seconds_per_sample * trainer.epoch_samples
        source = (f"extrapolated to {trainer.epoch_samples} samples from {steps} timed steps of batch {batch_size} "
                  f"on the CPU ({torch.get_num_threads()} threads, random inputs, data loading excluded)")
    else:
        source = "given (--epoch_seconds)"
    result.update({"epoch_samples": trainer.epoch_samples, "step_batch": batch_size, "step_s": step_seconds,
                   "epoch_seconds": epoch_seconds, "epoch_seconds_source": source,
                   "save_share_of_epoch": result["save_s"] / epoch_seconds})
    return result


# ---------------------------------------------------------------------------------------------------- reporting


def format_table(results: list[dict]) -> str:
    header = (f"{'config':<16} {'params':>11} {'size MiB':>9} {'net+optim MiB':>14} {'save s med/min':>15} "
              f"{'load s med/min':>15} {'epoch s':>10} {'save/epoch':>10} {'weights MiB / s':>16}")
    lines = [header, "-" * len(header)]
    for r in results:
        mark = "*" if r["epoch_seconds_source"].startswith("extrapolated") else ""
        lines.append(f"{r['config']:<16} {r['parameters']:>11,} {r['size_mb']:>9.1f} "
                     f"{r['net_mb']:>6.1f}+{r['optimizer_mb']:<7.1f} "
                     f"{r['save_s']:>7.3f}/{r['save_min_s']:<7.3f} {r['load_s']:>7.3f}/{r['load_min_s']:<7.3f} "
                     f"{r['epoch_seconds']:>9.1f}{mark or ' '} {100 * r['save_share_of_epoch']:>9.3f}% "
                     f"{r['weights_mb']:>8.1f} / {r['weights_save_s']:<5.2f}")
    for r in results:
        lines.append(f"{r['config']}: epoch time {r['epoch_seconds_source']}")
    return "\n".join(lines)


def argument_problem(args: argparse.Namespace) -> str | None:
    """What is wrong with the command line, or None."""
    if args.repeats < 1 or args.steps < 1 or (args.step_batch is not None and args.step_batch < 1):
        return f"--repeats, --steps and --step_batch must be at least 1, got {args.repeats}, {args.steps}, " \
               f"{args.step_batch}"
    given = args.epoch_seconds
    if given is not None and len(given) not in (1, len(args.configs)):
        return f"--epoch_seconds gives {len(given)} values for {len(args.configs)} configs; give one or one per config"
    if given is not None and not all(math.isfinite(s) and s > 0 for s in given):
        return f"--epoch_seconds must be positive, got {given}"
    if args.dir is not None and not Path(args.dir).is_dir():
        return f"--dir {args.dir} is not a directory"
    return None


def epoch_seconds_per_config(args: argparse.Namespace) -> list[float | None]:
    if args.epoch_seconds is None:
        return [None] * len(args.configs)
    return args.epoch_seconds * len(args.configs) if len(args.epoch_seconds) == 1 else list(args.epoch_seconds)


def run(args: argparse.Namespace) -> int:
    for name in args.configs:
        config_path(name)  # an unknown name fails before any model is built
    results = []
    with tempfile.TemporaryDirectory(prefix="checkpoint_benchmark_", dir=args.dir) as work_dir:
        for name, epoch_seconds in zip(args.configs, epoch_seconds_per_config(args)):
            results.append(benchmark_config(name, args.repeats, epoch_seconds, args.steps, args.step_batch,
                                            Path(work_dir)))
            print(f"{name}: {results[-1]['size_mb']:.1f} MiB, save {results[-1]['save_s']:.3f} s", flush=True)
    print(format_table(results))
    if args.out:
        report = {"torch": torch.__version__, "threads": torch.get_num_threads(), "repeats": args.repeats,
                  "dir": str(Path(args.dir or tempfile.gettempdir()).resolve()), "results": results}
        write_json_report(args.out, report)
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse_checked(build_parser(), argv, argument_problem)
    # A checkpoint that cannot be written or read back is the benchmark failing (1), not bad input.
    return run_reporting_errors("benchmark_checkpoint", run, args, (ConfigError,), (CheckpointError, OSError))


if __name__ == "__main__":
    sys.exit(main())
