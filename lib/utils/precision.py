"""Which precision a run computes in: fp32, or bf16 autocast where the device computes bf16 natively.

On CUDA, bf16 autocast needs a GPU that supports it (Ampere and later). On the CPU it pays only where the CPU
has bf16 instructions -- x86 with AVX512-BF16 (AMD Zen 4 and later, Intel Cooper Lake and later) or AMX (Intel
Sapphire Rapids and later), Arm with the BF16 extension -- which oneDNN's bf16 GEMMs use; elsewhere bf16 is
emulated and slower than fp32, so the run falls back to fp32 with a warning.

``SEQTRACK_CPU_BF16=force`` uses CPU bf16 even where it is emulated (tests, and a machine whose flags are not
visible); ``SEQTRACK_CPU_BF16=off`` never uses it.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import platform
import subprocess
from dataclasses import dataclass

import torch

logger = logging.getLogger(__name__)

CPU_BF16_ENV = "SEQTRACK_CPU_BF16"
_X86_FLAGS = ("avx512_bf16", "amx_bf16")


@functools.cache
def cpu_bf16_native() -> bool:
    """Whether this CPU has bf16 arithmetic instructions (read from the OS; False when it cannot tell)."""
    system = platform.system()
    try:
        if system == "Linux":
            with open("/proc/cpuinfo") as info:
                words = set(info.read().split())
            return any(flag in words for flag in _X86_FLAGS) or (platform.machine() in ("aarch64", "arm64")
                                                                  and "bf16" in words)
        if system == "Darwin":
            answer = subprocess.run(["sysctl", "-n", "hw.optional.arm.FEAT_BF16"], capture_output=True, text=True,
                                    timeout=5)
            return answer.stdout.strip() == "1"
    except (OSError, subprocess.SubprocessError):
        return False
    return False


@dataclass(frozen=True)
class Precision:
    """What to compute in on ``device_type``: ``'bf16'`` (autocast) or ``'fp32'``, and why."""

    name: str
    device_type: str
    reason: str

    @property
    def bf16(self) -> bool:
        return self.name == "bf16"

    def autocast(self):
        """The context the forward pass runs in: bf16 autocast, or nothing."""
        if not self.bf16:
            return contextlib.nullcontext()
        return torch.autocast(self.device_type, dtype=torch.bfloat16)


def resolve_precision(amp: bool, device: torch.device | str, what: str = "TRAIN.AMP") -> Precision:
    """The precision ``amp`` (a config's AMP switch, named ``what`` in messages) gives on ``device``."""
    device = torch.device(device)
    if not amp:
        return Precision("fp32", device.type, f"{what} is off")
    if device.type == "cuda":
        if torch.cuda.is_bf16_supported():
            return Precision("bf16", "cuda", f"{what}: bf16 autocast on {torch.cuda.get_device_name(device)}")
        return _fallback(device, what, "this GPU has no bf16")
    if device.type != "cpu":
        return _fallback(device, what, f"bf16 autocast is not set up for {device.type}")
    setting = os.environ.get(CPU_BF16_ENV, "").lower()
    if setting == "off":
        return _fallback(device, what, f"{CPU_BF16_ENV}=off")
    if setting == "force":
        return Precision("bf16", "cpu", f"{what}: bf16 autocast on the CPU ({CPU_BF16_ENV}=force)")
    if cpu_bf16_native():
        return Precision("bf16", "cpu", f"{what}: bf16 autocast on the CPU (native bf16 instructions, oneDNN)")
    return _fallback(device, what, "this CPU has no bf16 instructions and would only emulate bf16, slower than "
                                   f"fp32 ({CPU_BF16_ENV}=force uses it anyway)")


def _fallback(device: torch.device, what: str, why: str) -> Precision:
    logger.warning("%s is on but %s: computing in fp32", what, why)
    return Precision("fp32", device.type, f"{what} is on but {why}")
