"""Profile a SeqTrack config: parameters, FLOPs per tracked frame, and tracking speed with and without the
decoder's key/value cache on the current device."""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np
import torch

from lib.cli import fail

EXAMPLES = """examples:
  python tracking/profile_model.py --script seqtrack --config seqtrack_b256 --frames 5
  python tracking/profile_model.py --config seqtrack_tiny --frames 100
  python tracking/profile_model.py --config seqtrack_tiny --checkpoint ./SEQTRACK_ep0006.pth.tar --device cuda

The network is randomly initialised unless --checkpoint is given (speed and FLOPs do not depend on the
weights, except through how long the boxes stay on the synthetic target). FLOPs are counted with
torch.utils.flop_counter.FlopCounterMode (matrix products and convolutions; 1 multiply-add = 2 FLOPs) for one
frame: the encoder over 2 templates + 1 search crop, and the 4 greedy decoding steps.
FPS: a synthetic sequence of --frames frames (a textured square moving over noise), the tracker as
tracking/test.py runs it (crop, encode, decode, map back); the first frames are a warm-up.

exit codes: 0 done, 2 bad input (config, checkpoint, device)
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__, epilog=EXAMPLES,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--script", default="seqtrack", choices=["seqtrack"], help="tracker (only seqtrack)")
    parser.add_argument("--config", required=True, help="config name: experiments/seqtrack/<config>.yaml")
    parser.add_argument("--checkpoint", default=None,
                        help="load these weights: a file, hf://<user>/<repo>[@revision] (its latest model.safetensors) "
                             "or an hf:// file (default: random init)")
    parser.add_argument("--device", default="auto", help="cpu, cuda, cuda:N or auto (default: %(default)s)")
    parser.add_argument("--amp", action="store_true",
                        help="also time the tracker in bf16 (autocast) where the device computes it natively "
                             "(CUDA; CPUs with AVX512-BF16, AMX or Arm BF16); default fp32 only")
    parser.add_argument("--frames", type=int, default=20,
                        help="frames of the synthetic sequence per timing (default: %(default)s; b256 on a CPU: 5)")
    parser.add_argument("--warmup", type=int, default=2, help="frames tracked before timing (default: %(default)s)")
    parser.add_argument("--repeats", type=int, default=2,
                        help="timings per mode, alternating with/without cache; the best counts (default: %(default)s)")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's choice)")
    parser.add_argument("--image_size", default="640x360", help="synthetic frame size WxH (default: %(default)s)")
    return parser


def parameter_counts(net: torch.nn.Module) -> dict:
    """Parameters per top-level part: encoder, decoder, and the rest (bottleneck, positions, output head)."""
    counts = {"total": 0, "encoder": 0, "decoder": 0, "rest": 0}
    for name, parameter in net.named_parameters():
        part = name.split(".", 1)[0]
        counts[part if part in ("encoder", "decoder") else "rest"] += parameter.numel()
        counts["total"] += parameter.numel()
    return counts


def count_flops(net, cfg, device) -> dict:
    """FLOPs of one frame: ``encoder`` (+ bottleneck) and the decoding with and without the cache."""
    from torch.nn.attention import SDPBackend, sdpa_kernel
    from torch.utils.flop_counter import FlopCounterMode

    templates = torch.zeros(2, 1, 3, cfg.TEST.TEMPLATE_SIZE, cfg.TEST.TEMPLATE_SIZE, device=device)
    search = torch.zeros(1, 1, 3, cfg.TEST.SEARCH_SIZE, cfg.TEST.SEARCH_SIZE, device=device)
    flops = {}
    net.requires_grad_(False)  # FlopCounterMode's module hooks trip over parameters that require grad under no_grad
    # The math attention kernel runs as plain matrix products, which FlopCounterMode counts; the CPU's fused
    # attention kernel is not in its table and would be counted as zero.
    with torch.no_grad(), sdpa_kernel(SDPBackend.MATH):
        with FlopCounterMode(display=False) as counter:
            memory = net.encode(templates, search)
        flops["encoder"] = counter.get_total_flops()
        for key, use_cache in (("decoder_cached", True), ("decoder_uncached", False)):
            with FlopCounterMode(display=False) as counter:
                net.inference(memory, window=cfg.TEST.WINDOW, use_cache=use_cache)
            flops[key] = counter.get_total_flops()
    return flops


def synthetic_sequence(frames: int, width: int, height: int, seed: int = 0) -> tuple:
    """(list of HxWx3 uint8 RGB frames, first box xywh): a checkered square drifting over noise."""
    rng = np.random.default_rng(seed)
    side = max(8, min(width, height) // 6)
    yy, xx = np.mgrid[0:side, 0:side]
    patch = np.where(((xx // 4 + yy // 4) % 2 == 0)[..., None], [230, 40, 40], [30, 30, 200]).astype(np.uint8)
    def corner(t: int) -> tuple:
        return (int((width - side) * (0.5 + 0.3 * np.sin(t / 15))), int((height - side) * (0.5 + 0.3 * np.cos(t / 20))))

    images = []
    for t in range(frames):
        image = rng.integers(60, 120, (height, width, 3), dtype=np.uint8)
        x, y = corner(t)
        image[y:y + side, x:x + side] = patch
        images.append(image)
    return images, [*corner(0), side, side]


def tracking_fps(tracker, images: list, first_box: list, warmup: int) -> float:
    """Frames per second of ``tracker.track`` over ``images[1 + warmup:]``."""
    tracker.initialize(images[0], first_box)
    for image in images[1:1 + warmup]:
        tracker.track(image)
    timed = images[1 + warmup:]
    start = time.perf_counter()
    for image in timed:
        tracker.track(image)
    return len(timed) / (time.perf_counter() - start)


def _network(args, device):
    from lib.checkpoint.io import local_checkpoint
    from lib.models.seqtrack import build_seqtrack
    from lib.models.seqtrack.loading import load_network, network_config

    if args.checkpoint:
        loaded = load_network(local_checkpoint(args.checkpoint), args.config, device)
        return loaded.net, loaded.cfg
    cfg = network_config(None, args.config)  # random weights: no MAE file needed
    torch.manual_seed(0)
    return build_seqtrack(cfg).to(device).eval(), cfg


def main(argv: list | None = None) -> int:
    args = build_parser().parse_args(argv)
    from lib.checkpoint.io import CheckpointError
    from lib.config.seqtrack.config import ConfigError
    from lib.test.tracker.seqtrack import SeqTrackTracker
    from lib.utils.device import resolve_device
    from lib.utils.precision import resolve_precision

    try:
        width, height = (int(v) for v in args.image_size.lower().split("x"))
        if args.frames < 1 or args.warmup < 0 or args.repeats < 1 or width < 16 or height < 16:
            raise ValueError
    except ValueError:
        return fail("--frames >= 1, --repeats >= 1, --warmup >= 0 and --image_size WxH of at least 16x16 are required")
    if args.threads is not None:
        torch.set_num_threads(max(1, args.threads))
    try:
        device = resolve_device(args.device)
        net, cfg = _network(args, device)
    except (ConfigError, CheckpointError) as exc:
        return fail(exc)
    counts = parameter_counts(net)
    print(f"{args.config} on {device} ({torch.get_num_threads()} CPU threads)")
    print("parameters: " + ", ".join(f"{k} {v:,} ({v / 1e6:.2f} M)" for k, v in counts.items()))
    flops = count_flops(net, cfg, device)
    print(f"GFLOPs per frame: encoder {flops['encoder'] / 1e9:.3f}, decoder {flops['decoder_cached'] / 1e9:.4f} "
          f"(without cache {flops['decoder_uncached'] / 1e9:.4f}), total "
          f"{(flops['encoder'] + flops['decoder_cached']) / 1e9:.3f}")
    images, first_box = synthetic_sequence(1 + args.warmup + args.frames, width, height)
    precisions = [resolve_precision(False, device)]
    if args.amp:
        bf16 = resolve_precision(True, device, "--amp")
        precisions += [bf16] if bf16.bf16 else []
    best = {(p.name, cache): 0.0 for p in precisions for cache in (True, False)}
    for _ in range(args.repeats):  # alternate the modes so that a busy machine slows them alike
        for precision in precisions:
            for use_cache in (True, False):
                tracker = SeqTrackTracker(net, cfg, device, use_cache=use_cache, precision=precision)
                key = (precision.name, use_cache)
                best[key] = max(best[key], tracking_fps(tracker, images, first_box, args.warmup))
    for precision in precisions:
        name = precision.name
        print(f"tracking FPS {name} ({args.frames} frames of {width}x{height}, best of {args.repeats}): with the "
              f"decoder cache {best[(name, True)]:.2f}, without {best[(name, False)]:.2f}")
    if len(precisions) == 2:
        print(f"bf16 / fp32 with the decoder cache: {best[('bf16', True)] / best[('fp32', True)]:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
