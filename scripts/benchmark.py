"""Measure every stage of SeqTrack training and tracking on this machine, in one run: JPEG decoding, the data
pipeline, the training step, checkpoints and the tracker. Prints a table and writes the figures as JSON.

Data are generated first: LaSOT-layout sequences of realistic frames (textured scenes, JPEG quality 90, about
115 KB at 1280x720 and 245 KB at 1920x1080, object sizes distributed like LaSOT's)."""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

import cv2
import numpy as np
import torch
import torch.nn.functional as F

from lib.checkpoint.io import CheckpointError
from lib.config.seqtrack.config import Config, ConfigError, config_path, load_config
from lib.data.errors import DatasetError
from lib.data.image_loader import JPEG_REDUCTIONS, opencv_loader
from lib.data.synthetic.lasot import make_synthetic_lasot
from lib.models.seqtrack.tokens import build_sequences
from lib.test.tracker.seqtrack import SeqTrackTracker
from lib.train.benchmarking import build_trainer, time_save_and_load
from lib.train.data.builder import build_train_dataset
from lib.train.data.collate import collate_frames_first
from lib.utils.box_ops import box_xywh_to_xyxy, xyxy_to_seq_format
from lib.utils.device import resolve_device
from lib.utils.malloc_tuning import keep_freed_memory
from lib.utils.precision import resolve_precision
from lib.utils.seeding import configure_determinism
from lib.utils.stage_timer import StageTimer

EXAMPLES = """examples:
  python scripts/benchmark.py                          # everything, tiny and b256, on the default device
  python scripts/benchmark.py --quick                  # a smoke run: checks that every stage works (seconds)
  python scripts/benchmark.py --config seqtrack_b256 --device cuda --out b256_gpu.json
  python scripts/benchmark.py --sections decode data --data_dir /tmp/bench_data   # keep and reuse the frames

What each figure is:
  decode      frames/s of one core decoding the generated JPEGs with OpenCV (full size, and at 1/2, 1/4, 1/8)
  data        samples/s of the whole training data path (sample, decode 3 frames, crop, jitter, normalise,
              collate) in this process and with NUM_WORKER DataLoader workers; the time split of one sample;
              and the ratio to the ceiling that full-size decoding alone sets (decode rate / 3 frames)
  step        samples/s of the trainer's full step (batch to device, forward, loss, backward, clipping, AdamW)
              and of a bare forward + backward + AdamW step of the same network on the same batch, in fp32
              and in bf16 (TRAIN.AMP), with the ratio bf16 / fp32
  checkpoint  size, atomic save and weights-only load of a full-state checkpoint
  track       tracker frames/s on 1280x720 frames with and without the decoder's key/value cache, in fp32
              and in bf16 (TEST.AMP), with the ratio bf16 / fp32

Batch of the timed steps: the config's on CUDA, 2 on the CPU (--batch_size to choose). bf16 runs where the
device computes it natively (CUDA, or a CPU with AVX512-BF16 / AMX / ARM BF16; SEQTRACK_CPU_BF16=force to time
it emulated) and is reported as skipped elsewhere. On CUDA the step is also timed with the other
TRAIN.DETERMINISTIC setting.
Exit codes: 0 done, 1 a stage failed, 2 bad input."""

DEFAULT_CONFIGS = ("seqtrack_tiny", "seqtrack_b256")
SECTIONS = ("decode", "data", "step", "checkpoint", "track")
DATA_CLASS = "airplane"  # the class of the generated sequences (any LaSOT class would do)
CPU_STEP_BATCH = 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__, epilog=EXAMPLES,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", nargs="+", default=list(DEFAULT_CONFIGS), metavar="NAME",
                        help="configs of experiments/seqtrack to measure (default: %(default)s)")
    parser.add_argument("--device", default="auto", help="cpu, cuda, cuda:N or auto (default: %(default)s)")
    parser.add_argument("--sections", nargs="+", default=list(SECTIONS), choices=SECTIONS, metavar="SECTION",
                        help=f"what to measure, any of {', '.join(SECTIONS)} (default: all)")
    parser.add_argument("--quick", action="store_true",
                        help="a smoke run for CI: every stage runs a few times; the figures mean little")
    parser.add_argument("--batch_size", type=int, default=None,
                        help=f"batch of the timed steps (default: the config's on CUDA, {CPU_STEP_BATCH} on the CPU)")
    parser.add_argument("--workers", type=int, default=None,
                        help="DataLoader workers of the data section (default: each config's TRAIN.NUM_WORKER)")
    parser.add_argument("--data_dir", default=None,
                        help="where to generate the frames; kept and reused by later runs (default: a temporary "
                             "folder, removed afterwards)")
    parser.add_argument("--threads", type=int, default=None,
                        help="torch CPU threads for step and track (default: torch's choice, the core count)")
    parser.add_argument("--opts", nargs="+", default=[], metavar="KEY VALUE",
                        help="config overrides for every config, as in tracking/train.py, e.g. to see what a switch "
                             "gains: --opts MODEL.CPU_LINEAR aten DATA.MAX_DECODE_REDUCTION 1")
    parser.add_argument("--out", default="benchmark.json", help="JSON file of the figures (default: %(default)s)")
    return parser


# ------------------------------------------------------------------------------------------------ helpers


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _median_rate(count: int, seconds: list) -> float:
    return count / statistics.median(seconds)


DATA_STAGES = ("annotations", "decode", "crop_augment", "collate")  # the data path, as its parts time it


class Sizes:
    """How much each section runs: a smoke run (--quick) or a measurement."""

    def __init__(self, quick: bool, device: torch.device):
        self.quick = quick
        self.sequence_frames = 20  # the sampler needs sequences of 20 frames or more
        self.decode_repeats = 1 if quick else 5
        self.data_samples = 8 if quick else 400
        self.loader_samples = 16 if quick else 800
        self.step_rounds = 1 if quick else 3
        self.steps_per_round = 1 if quick else 2
        self.checkpoint_repeats = 1 if quick else 3
        self.track_frames = 3 if quick else (40 if device.type == "cuda" else 10)


# ------------------------------------------------------------------------------------------------ data


def generate_data(root: Path, sizes: Sizes) -> dict:
    """``{'1280x720': lasot_root, '1920x1080': lasot_root}`` of realistic generated sequences."""
    roots = {}
    for width, height, sequences in ((1280, 720, 20), (1920, 1080, 2)):
        out = root / f"lasot_{width}x{height}"
        start = time.perf_counter()
        make_synthetic_lasot(out, [DATA_CLASS], sequences=sequences, frames=sizes.sequence_frames,
                             size=(width, height), realistic=True)
        print(f"data: {sequences} sequences x {sizes.sequence_frames} frames of {width}x{height} in {out} "
              f"({time.perf_counter() - start:.1f} s)", flush=True)
        roots[f"{width}x{height}"] = out
    return roots


def frame_files(root: Path) -> list:
    return sorted(str(p) for p in root.glob(f"{DATA_CLASS}/*/img/*.jpg"))


def measure_decode(roots: dict, sizes: Sizes) -> dict:
    """Frames per second of one core per frame size and reduction, and the mean file size."""
    cv2.setNumThreads(1)  # per core, as in a DataLoader worker
    results = {}
    for name, root in roots.items():
        files = frame_files(root)[:40 if not sizes.quick else 4]
        rates = {r: [] for r in JPEG_REDUCTIONS}
        for _ in range(sizes.decode_repeats):  # interleaved, so that a busy machine slows every mode alike
            for reduction in JPEG_REDUCTIONS:
                start = time.perf_counter()
                for path in files:
                    opencv_loader(path, reduction)
                rates[reduction].append(time.perf_counter() - start)
        reduced = {str(r): _median_rate(len(files), rates[r]) for r in JPEG_REDUCTIONS[1:]}
        results[name] = {"frames_per_s": _median_rate(len(files), rates[1]), "reduced_frames_per_s": reduced,
                         "mean_kb": float(np.mean([os.path.getsize(p) for p in files]) / 1024),
                         "files": len(files)}
    return results


OVERRIDES: list = []  # --opts, applied to every config this run loads


def _config(name: str, overrides: dict | None = None) -> Config:
    pairs = list(OVERRIDES) + [item for key, value in (overrides or {}).items() for item in (key, value)]
    return load_config(config_path(name), pairs)


def _data_config(name: str) -> Config:
    return _config(name, {"DATA.TRAIN.CLASSES": [DATA_CLASS]})


def measure_data(name: str, root: Path, sizes: Sizes, workers: int | None, decode_fps: float) -> dict:
    """Samples per second of the data path in this process (with its time split) and with workers."""
    cfg = _data_config(name)
    timer = StageTimer()
    dataset = build_train_dataset(cfg, root, timer=timer)
    dataset.set_epoch_seed(1)
    batch = cfg.TRAIN.BATCH_SIZE
    cv2.setNumThreads(1)
    collate_frames_first([dataset[i] for i in range(min(batch, 4))], timer)  # warm-up
    timer.reset()
    start = time.perf_counter()
    for first in range(0, sizes.data_samples, batch):
        collate_frames_first([dataset[i] for i in range(first, min(first + batch, sizes.data_samples))], timer)
    seconds = time.perf_counter() - start
    split = {stage: 1e3 * timer.totals().get(stage, 0.0) / sizes.data_samples for stage in DATA_STAGES}
    one_process = sizes.data_samples / seconds
    workers = cfg.TRAIN.NUM_WORKER if workers is None else workers
    loader = torch.utils.data.DataLoader(dataset, batch_size=batch, num_workers=workers,
                                         collate_fn=collate_frames_first)
    dataset.samples_per_epoch = sizes.loader_samples + batch * max(workers, 1)  # a first batch per worker is warm-up
    iterator = iter(loader)
    for _ in range(max(workers, 1)):
        next(iterator)
    start = time.perf_counter()
    count = sum(b["search_images"].shape[1] for b in iterator)
    with_workers = count / (time.perf_counter() - start)
    ceiling = decode_fps / 3
    return {"samples_per_s_1_process": one_process, "ms_per_sample": split,
            "workers": workers, "samples_per_s_workers": with_workers, "decode_ceiling_samples_per_s": ceiling,
            "ratio_to_decode_ceiling": one_process / ceiling}


# ------------------------------------------------------------------------------------------------ step


def _real_batch(name: str, root: Path, batch_size: int) -> dict:
    dataset = build_train_dataset(_data_config(name), root)
    dataset.set_epoch_seed(1)
    return collate_frames_first([dataset[i] for i in range(batch_size)])


def _bare_step(net, optimizer, batch: dict, cfg: Config, autocast) -> None:
    """Forward, cross-entropy, backward and AdamW on a batch already on the device: nothing else."""
    gt = xyxy_to_seq_format(box_xywh_to_xyxy(batch["search_anno"][0]), cfg.DATA.SEQ_FORMAT)
    seq_input, seq_target = build_sequences(gt, cfg.MODEL.BINS)
    with autocast:
        logits = net(batch["template_images"], batch["search_images"], seq_input)
    loss = F.cross_entropy(logits.flatten(0, 1).float(), seq_target.flatten())
    optimizer.zero_grad(set_to_none=True)
    loss.backward()
    optimizer.step()


def _time_steps(step, count: int, device: torch.device) -> list:
    seconds = []
    for _ in range(count):
        _sync(device)
        start = time.perf_counter()
        step()
        _sync(device)
        seconds.append(time.perf_counter() - start)
    return seconds


def training_flops(net, batch: dict, cfg: Config) -> float:
    """FLOPs of one forward + backward on ``batch`` (attention counted through its math kernel)."""
    from torch.nn.attention import SDPBackend, sdpa_kernel
    from torch.utils.flop_counter import FlopCounterMode

    gt = box_xywh_to_xyxy(batch["search_anno"][0])
    seq_input, _ = build_sequences(xyxy_to_seq_format(gt, cfg.DATA.SEQ_FORMAT), cfg.MODEL.BINS)
    with sdpa_kernel(SDPBackend.MATH), FlopCounterMode(display=False) as counter:
        net(batch["template_images"], batch["search_images"], seq_input).float().logsumexp(-1).sum().backward()
    net.zero_grad(set_to_none=True)
    return float(counter.get_total_flops())


def measure_step(name: str, root: Path, device: torch.device, sizes: Sizes, batch_size: int | None,
                 work_dir: Path) -> tuple:
    """``(figures, fp32 trainer)``: full and bare step samples/s (fp32; on CUDA also bf16 and the other
    determinism setting), and the fp32 trainer for the checkpoint and track sections."""
    base = _config(name)
    batch_size = batch_size or (base.TRAIN.BATCH_SIZE if device.type == "cuda" else CPU_STEP_BATCH)
    host_batch = _real_batch(name, root, batch_size)
    modes = [("fp32", {}), ("bf16", {"TRAIN.AMP": True})]
    if device.type == "cuda":
        modes += [("fp32 deterministic " + ("off" if base.TRAIN.DETERMINISTIC else "on"),
                   {"TRAIN.DETERMINISTIC": not base.TRAIN.DETERMINISTIC})]
    results = {"batch_size": batch_size, "modes": {}}
    fp32_trainer = None
    for mode, overrides in modes:
        cfg = _config(name, overrides)
        configure_determinism(cfg.TRAIN.DETERMINISTIC, device)
        trainer = build_trainer(cfg, name, work_dir, device)
        if cfg.TRAIN.COMPILE:  # as run_training does it: in place, compiled at the warm-up step below
            trainer.bare_net.compile()
        net, optimizer = trainer.net, trainer.optimizer
        batch = {k: v.to(device) if torch.is_tensor(v) else v for k, v in host_batch.items()}
        if mode == "bf16" and not trainer.precision.bf16:
            results["modes"][mode] = {"skipped": trainer.precision.reason}
            print(f"step {name} bf16: skipped ({trainer.precision.reason})", flush=True)
            continue
        autocast = trainer.precision.autocast()
        if "flops_per_sample" not in results:
            results["flops_per_sample"] = training_flops(net, batch, cfg) / batch_size
        full = partial(trainer.train_step, host_batch)  # the trainer moves the batch itself
        bare = partial(_bare_step, net, optimizer, batch, cfg, autocast)
        full(), bare()  # warm-up (and the optimizer's state)
        full_s, bare_s = [], []
        for _ in range(sizes.step_rounds):  # alternate, so that a busy machine slows both alike
            bare_s += _time_steps(bare, sizes.steps_per_round, device)
            full_s += _time_steps(full, sizes.steps_per_round, device)
        full_rate, bare_rate = _median_rate(batch_size, full_s), _median_rate(batch_size, bare_s)
        results["modes"][mode] = {"full_samples_per_s": full_rate, "bare_samples_per_s": bare_rate,
                                  "full_over_bare": full_rate / bare_rate,
                                  "achieved_tflops": results["flops_per_sample"] * full_rate / 1e12,
                                  "full_step_s": full_s, "bare_step_s": bare_s}
        if mode == "fp32":
            fp32_trainer = trainer
        print(f"step {name} {mode}: full {full_rate:.3f} samples/s, bare {bare_rate:.3f}", flush=True)
    configure_determinism(base.TRAIN.DETERMINISTIC, device)
    bf16 = results["modes"].get("bf16", {})
    if "full_samples_per_s" in bf16:
        results["bf16_over_fp32"] = bf16["full_samples_per_s"] / results["modes"]["fp32"]["full_samples_per_s"]
    return results, fp32_trainer


# ------------------------------------------------------------------------------------------------ track


def measure_track(name: str, root: Path, device: torch.device, sizes: Sizes, net=None) -> dict:
    """Tracker frames/s on a generated 1280x720 sequence (decoded beforehand), with and without the decoder cache,
    in fp32 and, where the device computes it natively, in bf16 (TEST.AMP)."""
    cfg = _config(name)
    if net is None:
        torch.manual_seed(0)
        from lib.models.seqtrack import build_seqtrack

        net = build_seqtrack(cfg, load_pretrained=False).to(device)
    net.eval()
    sequence = sorted((root / DATA_CLASS).iterdir())[0]
    first_box = [float(v) for v in (sequence / "groundtruth.txt").read_text().splitlines()[0].split(",")]
    frames = [opencv_loader(p) for p in sorted(str(p) for p in (sequence / "img").glob("*.jpg"))]
    frames = (frames * (2 + sizes.track_frames // len(frames)))[:2 + sizes.track_frames]
    precisions = [resolve_precision(False, device)]
    bf16 = resolve_precision(True, device, "bf16 tracking")
    precisions += [bf16] if bf16.bf16 else []
    rates = {(p.name, cache): [] for p in precisions for cache in ("with_cache", "without_cache")}
    for _ in range(1 if sizes.quick else 2):  # alternate the modes
        for precision in precisions:
            for cache in ("with_cache", "without_cache"):
                tracker = SeqTrackTracker(net, cfg, device, use_cache=cache == "with_cache", precision=precision)
                tracker.initialize(frames[0], first_box)
                tracker.track(frames[1])  # warm-up
                _sync(device)
                start = time.perf_counter()
                for frame in frames[2:]:
                    tracker.track(frame)
                _sync(device)
                rates[(precision.name, cache)].append(len(frames[2:]) / (time.perf_counter() - start))
    result = {f"fps_{cache}": max(rates[("fp32", cache)]) for cache in ("with_cache", "without_cache")}
    result["frames"] = len(frames) - 2
    if bf16.bf16:
        result["bf16"] = {f"fps_{cache}": max(rates[("bf16", cache)]) for cache in ("with_cache", "without_cache")}
        result["bf16_over_fp32"] = result["bf16"]["fps_with_cache"] / result["fps_with_cache"]
    else:
        result["bf16"] = {"skipped": bf16.reason}
    return result


# ------------------------------------------------------------------------------------------------ report


def format_report(report: dict) -> str:
    lines = [f"SeqTrack benchmark on {report['device']} ({report['cpu']}, {report['threads']} torch threads, "
             f"torch {report['torch']})" + ("  [--quick: smoke run, not a measurement]" if report["quick"] else "")]
    for size, d in report.get("decode", {}).items():
        reduced = ", ".join(f"1/{r} {v:.0f}" for r, v in d["reduced_frames_per_s"].items())
        lines.append(f"decode {size:>9}  {d['frames_per_s']:7.1f} frames/s per core ({d['mean_kb']:.0f} KB JPEGs); "
                     f"reduced: {reduced}")
    for name, c in report["configs"].items():
        lines.append(f"--- {name}")
        if "data" in c:
            d = c["data"]
            split = ", ".join(f"{k} {v:.2f}" for k, v in d["ms_per_sample"].items())
            lines.append(f"data        {d['samples_per_s_1_process']:7.1f} samples/s in 1 process "
                         f"({d['ratio_to_decode_ceiling']:.2f} x the full-decode ceiling of "
                         f"{d['decode_ceiling_samples_per_s']:.1f}); {d['samples_per_s_workers']:.1f} with "
                         f"{d['workers']} workers")
            lines.append(f"            ms per sample: {split}")
        if "step" in c:
            s = c["step"]
            for mode, m in s["modes"].items():
                if "skipped" in m:
                    lines.append(f"step        {mode:<22} skipped: {m['skipped']}")
                    continue
                lines.append(f"step        {mode:<22} batch {s['batch_size']}: full {m['full_samples_per_s']:8.3f} "
                             f"samples/s, bare {m['bare_samples_per_s']:8.3f} (full/bare {m['full_over_bare']:.3f}), "
                             f"{m['achieved_tflops']:.3f} TFLOP/s")
            if "bf16_over_fp32" in s:
                lines.append(f"step        bf16 / fp32 (full step): {s['bf16_over_fp32']:.2f}x")
        if "checkpoint" in c:
            k = c["checkpoint"]
            lines.append(f"checkpoint  {k['size_mb']:7.1f} MiB, save {k['save_s']:.3f} s, load {k['load_s']:.3f} s")
        if "track" in c:
            t = c["track"]
            lines.append(f"track       fp32 {t['fps_with_cache']:7.2f} frames/s with the decoder cache, "
                         f"{t['fps_without_cache']:.2f} without ({t['frames']} frames of 1280x720)")
            b = t.get("bf16", {})
            if "skipped" in b:
                lines.append(f"track       bf16 skipped: {b['skipped']}")
            elif b:
                lines.append(f"track       bf16 {b['fps_with_cache']:7.2f} frames/s with the decoder cache, "
                             f"{b['fps_without_cache']:.2f} without; bf16 / fp32 {t['bf16_over_fp32']:.2f}x")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    if len(args.opts) % 2:
        raise ConfigError(f"--opts takes KEY VALUE pairs, got {len(args.opts)} items")
    OVERRIDES[:] = args.opts
    for name in args.config:
        _config(name)  # an unknown name or a bad override fails before anything is generated
    device = resolve_device(args.device)
    keep_freed_memory()  # as training does (run_training and its DataLoader workers)
    if args.threads:
        torch.set_num_threads(args.threads)
    sizes = Sizes(args.quick, device)
    report = {"device": str(device) if device.type == "cpu" else torch.cuda.get_device_name(device),
              "cpu": platform.processor() or platform.machine(), "cores": os.cpu_count(),
              "threads": torch.get_num_threads(), "torch": torch.__version__, "opencv": cv2.__version__,
              "quick": args.quick, "opts": list(args.opts), "configs": {}}
    sections = set(args.sections)
    with tempfile.TemporaryDirectory(prefix="seqtrack_benchmark_") as tmp:
        roots = generate_data(Path(args.data_dir or tmp), sizes)
        decode = measure_decode(roots, sizes) if sections & {"decode", "data"} else {}
        if "decode" in sections:
            report["decode"] = decode
        for name in args.config:
            result = report["configs"][name] = {}
            if "data" in sections:
                result["data"] = measure_data(name, roots["1280x720"], sizes, args.workers,
                                              decode["1280x720"]["frames_per_s"])
            trainer = None
            if "step" in sections:
                result["step"], trainer = measure_step(name, roots["1280x720"], device, sizes, args.batch_size,
                                                       Path(tmp))
            if "checkpoint" in sections:
                if trainer is None:
                    trainer = build_trainer(_config(name), name, Path(tmp), device)
                trainer.epoch = 1
                result["checkpoint"] = time_save_and_load(trainer, sizes.checkpoint_repeats)
            if "track" in sections:
                result["track"] = measure_track(name, roots["1280x720"], device, sizes,
                                                trainer.bare_net if trainer is not None else None)
            del trainer
            print(f"{name}: done", flush=True)
    print(format_report(report))
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")
    return 0


def main(argv: list | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if (args.batch_size is not None and args.batch_size < 1) or (args.workers is not None and args.workers < 0):
        parser.error("--batch_size must be at least 1 and --workers at least 0")
    try:
        return run(args)
    except (ConfigError, DatasetError) as exc:
        print(f"benchmark: error: {exc}", file=sys.stderr)
        return 2
    except (CheckpointError, OSError) as exc:
        print(f"benchmark: error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
