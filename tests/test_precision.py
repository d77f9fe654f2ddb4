"""bf16 on the CPU: when it is used (native instructions, the override, the fp32 fallback and its warning), the
tracker's bf16 attention path against the fused kernel, and bf16 tracking close to fp32 tracking."""

from __future__ import annotations

import logging

import numpy as np
import torch
from configs import FAST, SCRATCH, tiny_config

from lib.models.seqtrack import build_seqtrack
from lib.models.seqtrack.vit import Attention
from lib.test.tracker.seqtrack import SeqTrackTracker
from lib.utils import precision as precision_module
from lib.utils.precision import CPU_BF16_ENV, resolve_precision


def test_precision_follows_the_switch_the_cpu_and_the_override(monkeypatch, caplog):
    assert resolve_precision(False, "cpu").name == "fp32"
    monkeypatch.setattr(precision_module, "cpu_bf16_native", lambda: True)
    monkeypatch.delenv(CPU_BF16_ENV, raising=False)
    native = resolve_precision(True, "cpu")
    assert native.bf16 and "native bf16" in native.reason
    monkeypatch.setattr(precision_module, "cpu_bf16_native", lambda: False)
    with caplog.at_level(logging.WARNING):
        emulated = resolve_precision(True, "cpu", "TEST.AMP")
    assert emulated.name == "fp32" and "would only emulate bf16" in emulated.reason
    assert any("TEST.AMP is on but this CPU has no bf16 instructions" in r.message for r in caplog.records)
    monkeypatch.setenv(CPU_BF16_ENV, "force")
    assert resolve_precision(True, "cpu").bf16
    monkeypatch.setattr(precision_module, "cpu_bf16_native", lambda: True)
    monkeypatch.setenv(CPU_BF16_ENV, "off")
    assert resolve_precision(True, "cpu").name == "fp32"


def test_the_bf16_attention_path_matches_the_fused_kernel():
    torch.manual_seed(0)
    attention = Attention(64, num_heads=4, qkv_bias=True).eval()
    x = torch.randn(2, 50, 64)
    with torch.no_grad():
        fused = attention(x)  # fp32: timm's forward, the fused kernel
        reference = super(Attention, attention).forward(x)
        assert torch.equal(fused, reference)
        attention_bf16 = attention.to(torch.bfloat16)
        bmm = attention_bf16(x.to(torch.bfloat16))  # the batched-GEMM path
        fused_bf16 = super(Attention, attention_bf16).forward(x.to(torch.bfloat16))
    assert bmm.dtype == torch.bfloat16
    torch.testing.assert_close(bmm.float(), fused_bf16.float(), atol=0.03, rtol=0.03)
    torch.testing.assert_close(bmm.float(), fused, atol=0.05, rtol=0.05)


def _frames(count: int = 6) -> list:
    rng = np.random.default_rng(0)
    base = rng.integers(0, 255, (120, 160, 3), dtype=np.uint8)
    return [np.roll(base, shift=2 * i, axis=1) for i in range(count)]


def test_bf16_tracking_stays_close_to_fp32(monkeypatch):
    monkeypatch.setenv(CPU_BF16_ENV, "force")  # the same path on a machine without native bf16
    cfg = tiny_config(FAST, SCRATCH)
    torch.manual_seed(0)
    net = build_seqtrack(cfg).eval()
    frames, box = _frames(), [50.0, 40.0, 30.0, 24.0]
    boxes = {}
    for amp in (False, True):
        tracker = SeqTrackTracker(net, cfg, "cpu", precision=resolve_precision(amp, "cpu"))
        tracker.initialize(frames[0], box)
        boxes[amp] = [tracker.track(frame).box for frame in frames[1:]]
    assert next(net.parameters()).dtype == torch.float32  # the tracker took a bf16 copy, not the caller's net
    difference = np.abs(np.array(boxes[True]) - np.array(boxes[False])).max()
    assert difference < 12.0, difference  # a few coordinate bins of a 32-bin tiny model at most
