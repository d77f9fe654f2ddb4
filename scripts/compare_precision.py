"""What bf16 tracking costs in accuracy: the same network (fixed random weights) tracks generated test
sequences in fp32 and in bf16; this prints the fraction of frames where the two trackers choose the same four
coordinate tokens, the mean IoU between their boxes, and both speeds."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import torch

from lib.cli import fail, write_json_report
from lib.utils.box_ops import box_iou_xyxy, box_xywh_to_xyxy

EXAMPLE = """example:
  python scripts/compare_precision.py                                  # SeqTrack-B256, 4 sequences x 40 frames
  python scripts/compare_precision.py --config seqtrack_tiny --sequences 2 --frames 20 --out precision.json

The network is built with seed --seed (no checkpoint, no MAE download): what is compared is the arithmetic,
not a trained tracker's accuracy. Sequences are generated LaSOT-layout test sequences (--data_dir, reused). Each
tracker runs its own course (its own previous box), as two real runs would. bf16 needs a CPU with bf16
instructions or CUDA (SEQTRACK_CPU_BF16=force to run it emulated). Exit codes: 0 done, 2 bad input."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__, epilog=EXAMPLE,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", default="seqtrack_b256", help="network config (default: %(default)s)")
    parser.add_argument("--sequences", type=int, default=4, help="test sequences to track (default: %(default)s)")
    parser.add_argument("--frames", type=int, default=40, help="frames per sequence (default: %(default)s)")
    parser.add_argument("--size", default="640x360", help="frame size WIDTHxHEIGHT (default: %(default)s)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the network's random weights")
    parser.add_argument("--device", default="cpu", help="cpu, cuda or cuda:N (default: %(default)s)")
    parser.add_argument("--data_dir", default=None, help="where the sequences are generated (default: a temp dir)")
    parser.add_argument("--out", default=None, help="also write the figures to this JSON file")
    return parser


def track_all(net, cfg, device, precision, sequences: list) -> tuple:
    """``({sequence: [(tokens, box), ...]}, frames per second)`` of one precision over every sequence."""
    from lib.data.frames import decode_frame
    from lib.test.tracker.seqtrack import SeqTrackTracker

    runs, frames, seconds = {}, 0, 0.0
    for sequence in sequences:
        tracker = SeqTrackTracker(net, cfg, device, precision=precision)
        images = [decode_frame(path) for path in sequence.frames]
        tracker.initialize(images[0], sequence.ground_truth[0])
        start = time.perf_counter()
        outputs = []
        for image in images[1:]:
            box = tracker.track(image).box
            outputs.append((tuple(tracker.last_tokens), box))
        seconds += time.perf_counter() - start
        frames += len(images) - 1
        runs[sequence.name] = outputs
    return runs, frames / seconds


def compare(args) -> dict:
    import tempfile

    from lib.data.lasot.splits import sequences_of
    from lib.data.lasot.test_set import load_test_sequence
    from lib.data.synthetic.lasot import make_synthetic_lasot
    from lib.models.seqtrack import build_seqtrack
    from lib.models.seqtrack.loading import network_config
    from lib.utils.device import resolve_device
    from lib.utils.precision import resolve_precision

    width, height = (int(v) for v in args.size.lower().split("x"))
    device = resolve_device(args.device)
    bf16 = resolve_precision(True, device, "bf16 tracking")
    if not bf16.bf16:
        raise ValueError(f"bf16 cannot run here: {bf16.reason}")
    cfg = network_config(None, args.config)
    torch.manual_seed(args.seed)
    net = build_seqtrack(cfg).to(device).eval()
    root = Path(args.data_dir or tempfile.mkdtemp(prefix="seqtrack-precision-"))
    make_synthetic_lasot(root, ["airplane"], sequences=20, frames=args.frames, size=(width, height), seed=args.seed)
    names = sequences_of("test", ["airplane"])[:args.sequences]
    sequences = [load_test_sequence(root, name) for name in names]
    fp32_runs, fp32_fps = track_all(net, cfg, device, resolve_precision(False, device), sequences)
    bf16_runs, bf16_fps = track_all(net, cfg, device, bf16, sequences)
    same, boxes_a, boxes_b = [], [], []
    for name in fp32_runs:
        for (tokens_a, box_a), (tokens_b, box_b) in zip(fp32_runs[name], bf16_runs[name]):
            same.append(tokens_a == tokens_b)
            boxes_a.append(box_a)
            boxes_b.append(box_b)
    ious = box_iou_xyxy(*(box_xywh_to_xyxy(torch.tensor(b, dtype=torch.float64)) for b in (boxes_a, boxes_b)))
    return {"config": args.config, "sequences": len(sequences), "frames": len(same),
            "same_tokens_fraction": float(np.mean(same)), "mean_box_iou": float(ious.mean()),
            "fp32_fps": fp32_fps, "bf16_fps": bf16_fps, "bf16_over_fp32": bf16_fps / fp32_fps,
            "device": str(device), "bf16": bf16.reason}


def main(argv: list | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.sequences < 1 or args.sequences > 4 or args.frames < 2:
        return fail("--sequences must be 1 to 4 (the test sequences of one generated class), --frames at least 2")
    from lib.config.seqtrack.config import ConfigError
    from lib.data.errors import DatasetError

    try:
        figures = compare(args)
    except (ConfigError, DatasetError, ValueError) as exc:
        return fail(exc)
    print(f"{figures['config']}, {figures['frames']} frames of {figures['sequences']} sequences on "
          f"{figures['device']}: same tokens on {100 * figures['same_tokens_fraction']:.1f} % of the frames, "
          f"mean IoU of the two trackers' boxes {figures['mean_box_iou']:.4f}; fp32 {figures['fp32_fps']:.2f} "
          f"frames/s, bf16 {figures['bf16_fps']:.2f} ({figures['bf16_over_fp32']:.2f}x)")
    if args.out:
        write_json_report(args.out, figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
