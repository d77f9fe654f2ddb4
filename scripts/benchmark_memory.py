"""Count the memory one SeqTrack training step needs, in a way that holds for any device, and the largest batch
per device that fits in 8, 12, 24 and 80 GiB.

The count has a fixed part and a part per sample:
  weights, gradients, AdamW state  4, 4 and 8 bytes x parameters (fp32 weights, fp32 gradients, exp_avg and
                                   exp_avg_sq in fp32), whatever the precision of the computation
  saved activations                the storages autograd saves for the backward pass (torch.autograd.graph.
                                   saved_tensors_hooks over the actor's real forward and loss), each distinct
                                   storage once, parameters left out
  activation peak                  the most bytes of tensors alive at any moment of the forward and backward
                                   (every operator's new storages, followed until they are freed; the
                                   gradients left out, as they are counted above): the saved activations plus
                                   what the backward holds for a moment -- the gradients of the activations
                                   and, with activation checkpointing, one block recomputed
Both activation figures are measured on the CPU at batch 1 and batch 2: the difference is the cost per sample,
the rest (bf16 copies of the weights under autocast, for one) a fixed cost. The batch that fits uses the peak:
  batch = floor((device x (1 - margin fraction) - margin GiB - weights - gradients - AdamW - fixed activations)
                / activation peak per sample)
The margin (by default 1 GiB + 10 %) stands for the CUDA context, cuBLAS / attention workspaces and the caching
allocator's fragmentation, which no tensor shows. Under DistributedDataParallel add 4 bytes x parameters per
process for its gradient buckets. On CUDA, a real training step (the trainer's, AdamW included) is also run at
each --cuda_batches size and torch.cuda.max_memory_allocated is reported next to the count."""

from __future__ import annotations

import argparse
import contextlib
import math
import sys
import tempfile
import time
from pathlib import Path

import torch
from torch.multiprocessing.reductions import StorageWeakRef
from torch.utils._python_dispatch import TorchDispatchMode  # what FlopCounterMode builds on: sees every operator
from torch.utils._pytree import tree_flatten

from lib.cli import parse_checked, run_reporting_errors, write_json_report
from lib.config.seqtrack.config import Config, ConfigError, config_path, load_config
from lib.models.seqtrack import build_seqtrack
from lib.train.actors.seqtrack import build_actor
from lib.train.benchmarking import build_trainer, random_batch

EXAMPLE = """examples:
  python scripts/benchmark_memory.py                       # B256, B384, L256, L384, checkpointing off and on
  python scripts/benchmark_memory.py --quick --out tiny.json   # the tiny config only (seconds)
  python scripts/benchmark_memory.py --configs seqtrack_b256 --device_gib 16 40 --margin_gib 1.5

The default run takes a few minutes on 2 CPU cores (L384: one forward and backward at batch 1 and 2 for each
precision and checkpointing setting). bf16 means bf16 autocast (TRAIN.AMP), counted on the CPU whether or not
the CPU computes bf16 natively.
Exit codes: 0 done, 2 bad input."""

DEFAULT_CONFIGS = ("seqtrack_b256", "seqtrack_b384", "seqtrack_l256", "seqtrack_l384")
QUICK_CONFIGS = ("seqtrack_tiny",)
DEVICE_GIB = (8, 12, 24, 80)
PRECISIONS = ("fp32", "bf16")
GIB = 2**30
MIB = 2**20
BYTES_PER_PARAMETER = {"params": 4, "grads": 4, "optimizer": 8}  # fp32 weights, fp32 grads, AdamW's two moments


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__, epilog=EXAMPLE,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--configs", nargs="+", default=None, metavar="NAME",
                        help=f"configs of experiments/seqtrack to count (default: {' '.join(DEFAULT_CONFIGS)})")
    parser.add_argument("--quick", action="store_true",
                        help=f"count {' '.join(QUICK_CONFIGS)} only (for the tests; seconds)")
    parser.add_argument("--device_gib", type=float, nargs="+", default=list(DEVICE_GIB), metavar="GIB",
                        help="device memory sizes to fit a batch into, in GiB (default: %(default)s)")
    parser.add_argument("--margin_gib", type=float, default=1.0,
                        help="memory kept free for the CUDA context and workspaces, GiB (default: %(default)s)")
    parser.add_argument("--margin_fraction", type=float, default=0.10,
                        help="share of the device kept free for fragmentation (default: %(default)s)")
    parser.add_argument("--cuda_batches", type=int, nargs="+", default=[1, 2], metavar="B",
                        help="batch sizes of the real CUDA steps whose allocator peak is reported, when CUDA is "
                             "available (default: %(default)s)")
    parser.add_argument("--no_cuda", action="store_true", help="skip the real CUDA steps even where CUDA is available")
    parser.add_argument("--out", default=None, help="JSON file to write the figures to (default: none)")
    return parser


# ---------------------------------------------------------------------------------------------------- counting


class LiveStorages(TorchDispatchMode):
    """Records, in order, every storage an operator creates (its bytes) and when it is freed.

    A storage counts as created when an operator returns it and none of the operator's inputs holds it (views
    and in-place results of existing tensors are not new memory). Frees are found after each operator through
    weak references, so a storage is counted until the operator after its last use.
    """

    def __init__(self):
        super().__init__()
        self.events: list[tuple] = []  # ("alloc", serial, bytes) or ("free", serial)
        self.live: dict[int, tuple] = {}  # data pointer -> (weak reference, serial)

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        for pointer in [p for p, (ref, _) in self.live.items() if ref.expired()]:
            self.events.append(("free", self.live.pop(pointer)[1]))
        inputs = {t.untyped_storage().data_ptr() for t in tree_flatten((args, kwargs))[0] if torch.is_tensor(t)}
        for tensor in tree_flatten(out)[0]:
            if not torch.is_tensor(tensor):
                continue
            storage = tensor.untyped_storage()
            pointer = storage.data_ptr()
            if storage.nbytes() and pointer not in self.live and pointer not in inputs:
                self.live[pointer] = (StorageWeakRef(storage), len(self.events))
                self.events.append(("alloc", len(self.events), storage.nbytes()))
        return out

    def serial_of(self, tensor: torch.Tensor) -> int | None:
        entry = self.live.get(tensor.untyped_storage().data_ptr())
        return None if entry is None else entry[1]

    def peak_bytes(self, leave_out: set) -> int:
        """The most bytes alive at once, the allocations whose serials are in ``leave_out`` not counted."""
        alive, current, peak = {}, 0, 0
        for event in self.events:
            if event[0] == "alloc" and event[1] not in leave_out:
                alive[event[1]] = event[2]
                current += event[2]
                peak = max(peak, current)
            elif event[0] == "free":
                current -= alive.pop(event[1], 0)
        return peak


@contextlib.contextmanager
def saved_storages(leave_out: set):
    """Collect ``{data pointer: bytes}`` of the storages autograd saves inside the block, but ``leave_out``'s."""
    saved: dict[int, int] = {}

    def pack(tensor: torch.Tensor) -> torch.Tensor:
        storage = tensor.untyped_storage()
        if storage.data_ptr() not in leave_out:
            saved[storage.data_ptr()] = storage.nbytes()
        return tensor

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda tensor: tensor):
        yield saved


def measure_batch(cfg: Config, net: torch.nn.Module, batch_size: int, bf16: bool) -> dict:
    """Saved-activation and activation-peak bytes of one forward, loss and backward of ``net`` at ``batch_size``."""
    actor = build_actor(cfg, net)
    net.zero_grad(set_to_none=True)
    parameters = {p.untyped_storage().data_ptr() for p in net.parameters()}
    generator = torch.Generator().manual_seed(cfg.TRAIN.SEED)
    timeline = LiveStorages()
    with timeline:
        batch = random_batch(cfg, batch_size, generator)  # inside: the inputs count as activations
        with saved_storages(parameters) as saved, torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            loss, _ = actor(batch)
        loss.backward()
    gradients = {timeline.serial_of(p.grad) for p in net.parameters() if p.grad is not None}
    net.zero_grad(set_to_none=True)
    return {"saved": sum(saved.values()), "peak": timeline.peak_bytes(gradients)}


def split_per_sample(at_1: int, at_2: int, at_least: int = 0) -> tuple[int, int]:
    """``(per sample, fixed)`` bytes from the figures at batch 1 and 2; the per-sample part is ``at_least``
    or more, the fixed part never below 0."""
    per_sample = max(at_2 - at_1, at_least)
    return per_sample, max(at_1 - per_sample, 0)


def config_for(name: str, use_checkpoint: bool, **overrides) -> Config:
    return load_config(config_path(name), {"MODEL.ENCODER.USE_CHECKPOINT": use_checkpoint, **overrides})


def count_config(name: str, use_checkpoint: bool) -> list[dict]:
    """The counted figures of ``name`` with activation checkpointing ``use_checkpoint``, one dict per precision."""
    cfg = config_for(name, use_checkpoint)
    torch.manual_seed(cfg.TRAIN.SEED)
    net = build_seqtrack(cfg, load_pretrained=False)  # the memory does not depend on the weights
    net.train()
    parameters = sum(p.numel() for p in net.parameters())
    trainable = sum(p.numel() for p in net.parameters() if p.requires_grad)
    results = []
    for precision in PRECISIONS:
        start = time.perf_counter()
        at = {size: measure_batch(cfg, net, size, precision == "bf16") for size in (1, 2)}
        saved_per_sample, saved_fixed = split_per_sample(at[1]["saved"], at[2]["saved"])
        # What is saved for the backward stays alive until it runs: the peak grows at least as fast with the batch
        # (at these small batches the peak's moment can hold a fixed transient that hides part of it).
        peak_per_sample, peak_fixed = split_per_sample(at[1]["peak"], at[2]["peak"], at_least=saved_per_sample)
        results.append({
            "config": name, "use_checkpoint": use_checkpoint, "precision": precision,
            "parameters": parameters, "trainable_parameters": trainable,
            "params_bytes": BYTES_PER_PARAMETER["params"] * parameters,
            "grads_bytes": BYTES_PER_PARAMETER["grads"] * trainable,
            "optimizer_bytes": BYTES_PER_PARAMETER["optimizer"] * trainable,
            "saved_bytes": {str(size): at[size]["saved"] for size in at},
            "saved_per_sample_bytes": saved_per_sample, "saved_fixed_bytes": saved_fixed,
            "peak_bytes": {str(size): at[size]["peak"] for size in at},
            "activation_per_sample_bytes": peak_per_sample, "activation_fixed_bytes": peak_fixed,
            "count_seconds": time.perf_counter() - start,
        })
        print(f"{name} checkpointing {'on ' if use_checkpoint else 'off'} {precision}: "
              f"{peak_per_sample / MIB:.1f} MiB per sample ({saved_per_sample / MIB:.1f} saved), "
              f"{time.perf_counter() - start:.1f} s", flush=True)
    return results


# ---------------------------------------------------------------------------------------------------- fitting


def fixed_bytes(result: dict) -> int:
    """Everything that does not grow with the batch: weights, gradients, AdamW state, fixed activations."""
    return (result["params_bytes"] + result["grads_bytes"] + result["optimizer_bytes"]
            + result["activation_fixed_bytes"])


def predicted_bytes(result: dict, batch_size: int) -> int:
    return fixed_bytes(result) + batch_size * result["activation_per_sample_bytes"]


def largest_batch(result: dict, device_gib: float, margin_gib: float, margin_fraction: float) -> int:
    """The largest batch per device whose counted memory fits in ``device_gib`` less the margin (0: none)."""
    usable = device_gib * GIB * (1 - margin_fraction) - margin_gib * GIB
    room = usable - fixed_bytes(result)
    if room <= 0:
        return 0
    return int(room // max(result["activation_per_sample_bytes"], 1))


# ---------------------------------------------------------------------------------------------------- CUDA


def cuda_peaks(result: dict, batch_sizes: list[int], work_dir: Path) -> dict:
    """``torch.cuda.max_memory_allocated`` of the trainer's second step at each batch size (the first fills the
    AdamW state), next to the counted prediction."""
    device = torch.device("cuda")
    cfg = config_for(result["config"], result["use_checkpoint"], **{"TRAIN.AMP": result["precision"] == "bf16"})
    trainer = build_trainer(cfg, result["config"], work_dir, device)
    if result["precision"] == "bf16" and not trainer.precision.bf16:
        return {"skipped": trainer.precision.reason}
    peaks = {}
    for size in batch_sizes:
        batch = random_batch(cfg, size, torch.Generator().manual_seed(cfg.TRAIN.SEED))
        try:
            trainer.train_step(batch)
            torch.cuda.synchronize(device)
            torch.cuda.reset_peak_memory_stats(device)
            trainer.train_step(batch)
            torch.cuda.synchronize(device)
            peaks[str(size)] = {"allocated_peak_bytes": torch.cuda.max_memory_allocated(device),
                                "reserved_peak_bytes": torch.cuda.max_memory_reserved(device),
                                "predicted_bytes": predicted_bytes(result, size)}
        except torch.cuda.OutOfMemoryError:
            peaks[str(size)] = {"out_of_memory": True, "predicted_bytes": predicted_bytes(result, size)}
            break
    del trainer
    torch.cuda.empty_cache()
    return {"device": torch.cuda.get_device_name(device), "steps": peaks}


# ---------------------------------------------------------------------------------------------------- reporting


def label(result: dict) -> str:
    short = result["config"].removeprefix("seqtrack_").upper()
    return f"{short} ckpt {'on ' if result['use_checkpoint'] else 'off'} {result['precision']}"


def format_table(results: list[dict], device_gib: list[float]) -> str:
    fits_header = " ".join(f"{f'{g:g} GiB':>7}" for g in device_gib)
    header = (f"{'config':<22} {'params':>11} {'w+g+adam MiB':>12} {'saved MiB/s':>11} {'peak MiB/s':>10} "
              f"{'fixed act MiB':>13} | batch that fits {fits_header}")
    lines = [header, "-" * len(header)]
    for r in results:
        state = (r["params_bytes"] + r["grads_bytes"] + r["optimizer_bytes"]) / MIB
        fits = " ".join(f"{r['fits'][f'{g:g}']:>7}" for g in device_gib)
        lines.append(f"{label(r):<22} {r['parameters']:>11,} {state:>12.0f} {r['saved_per_sample_bytes'] / MIB:>11.1f} "
                     f"{r['activation_per_sample_bytes'] / MIB:>10.1f} {r['activation_fixed_bytes'] / MIB:>13.1f} "
                     f"| {'':<15} {fits}")
    for r in results:
        for size, step in r.get("cuda", {}).get("steps", {}).items():
            measured = "out of memory" if step.get("out_of_memory") else \
                f"{step['allocated_peak_bytes'] / MIB:.0f} MiB allocated at peak"
            counted = step["predicted_bytes"] / MIB
            lines.append(f"{label(r)} CUDA step, batch {size}: {measured}, counted {counted:.0f} MiB")
    return "\n".join(lines)


def format_markdown(results: list[dict], device_gib: list[float]) -> str:
    """The 'batch per device that fits' table: one row per config and checkpointing, fp32 / bf16 in each cell."""
    header = "| config | activation checkpointing | " + " | ".join(f"{g:g} GB" for g in device_gib) + " |"
    lines = [header, "|" + "---|" * (2 + len(device_gib))]
    rows: dict[tuple, dict] = {}
    for r in results:
        rows.setdefault((r["config"], r["use_checkpoint"]), {})[r["precision"]] = r
    for (config, use_checkpoint), by_precision in rows.items():
        cells = [" / ".join(str(by_precision[p]["fits"][f"{g:g}"]) for p in PRECISIONS if p in by_precision)
                 for g in device_gib]
        lines.append(f"| {config.removeprefix('seqtrack_').upper()} | {'on' if use_checkpoint else 'off'} | "
                     + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n\n(fp32 / bf16 autocast; batch per device; 0 = does not fit)"


# ---------------------------------------------------------------------------------------------------- entry


def argument_problem(args: argparse.Namespace) -> str | None:
    """What is wrong with the command line, or None."""
    if not all(math.isfinite(g) and g > 0 for g in args.device_gib):
        return f"--device_gib must be positive, got {args.device_gib}"
    if not (math.isfinite(args.margin_gib) and args.margin_gib >= 0):
        return f"--margin_gib must be 0 or more, got {args.margin_gib}"
    if not 0 <= args.margin_fraction < 1:
        return f"--margin_fraction must be in [0, 1), got {args.margin_fraction}"
    if min(args.cuda_batches) < 1:
        return f"--cuda_batches must be at least 1, got {args.cuda_batches}"
    if args.quick and args.configs:
        return "--quick counts the tiny config; leave out --configs"
    return None


def run(args: argparse.Namespace) -> int:
    names = list(QUICK_CONFIGS if args.quick else args.configs or DEFAULT_CONFIGS)
    for name in names:
        config_for(name, False)  # an unknown name or a bad config fails before anything is measured
    results = []
    for name in names:
        for use_checkpoint in (False, True):
            results.extend(count_config(name, use_checkpoint))
    for result in results:
        result["fits"] = {f"{g:g}": largest_batch(result, g, args.margin_gib, args.margin_fraction)
                          for g in args.device_gib}
    if torch.cuda.is_available() and not args.no_cuda:
        with tempfile.TemporaryDirectory(prefix="memory_benchmark_") as work_dir:
            for result in results:
                result["cuda"] = cuda_peaks(result, args.cuda_batches, Path(work_dir))
    print(format_table(results, args.device_gib))
    print(f"\nmargin: {args.margin_gib:g} GiB + {100 * args.margin_fraction:g} % of the device; "
          f"GiB = 2^30 bytes; MiB/s = MiB per sample\n")
    print(format_markdown(results, args.device_gib))
    if args.out:
        report = {"torch": torch.__version__, "quick": args.quick, "device_gib": args.device_gib,
                  "margin_gib": args.margin_gib, "margin_fraction": args.margin_fraction,
                  "cuda": torch.cuda.get_device_name() if torch.cuda.is_available() and not args.no_cuda else None,
                  "results": results}
        write_json_report(args.out, report)
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse_checked(build_parser(), argv, argument_problem)
    return run_reporting_errors("benchmark_memory", run, args, (ConfigError,))


if __name__ == "__main__":
    sys.exit(main())
