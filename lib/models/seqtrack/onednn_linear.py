"""Linear layers whose fp32 CPU matrix products run through oneDNN instead of the default BLAS.

PyTorch's CPU wheels do fp32 ``linear``/``matmul`` with MKL, which on AMD processors takes its AVX2 code
path: on this project's 2-core AMD EPYC (AVX-512) MKL's fp32 GEMM reaches about 180 GFLOP/s where oneDNN's
(``torch.ops.mkldnn._linear_pointwise``, shipped with every x86 wheel) reaches about 400, in full fp32
precision. :class:`OneDnnLinear` is an ``nn.Linear`` (same parameters, same state_dict) whose forward and
backward products take that path on the CPU; anything else (CUDA, autocast, other dtypes, tiny products,
``torch.compile`` tracing) goes through ``F.linear`` unchanged.
"""

from __future__ import annotations

import logging
import math

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.flop_counter import register_flop_formula

logger = logging.getLogger(__name__)

CPU_LINEAR_KERNELS = ("onednn", "aten")
# Below about a million multiply-adds oneDNN's per-call set-up costs more than MKL's (decoding one token).
MIN_ONEDNN_MACS = 1 << 20


def onednn_available() -> bool:
    """Whether this torch build has oneDNN and its linear operator."""
    return torch.backends.mkldnn.is_available() and hasattr(torch.ops.mkldnn, "_linear_pointwise")


if onednn_available():
    @register_flop_formula(torch.ops.mkldnn._linear_pointwise)
    def _linear_pointwise_flops(input_shape, weight_shape, *args, **kwargs) -> int:
        """FLOPs of ``input (..., K) @ weight (N, K).T`` for ``FlopCounterMode`` (a multiply-add is 2)."""
        return 2 * math.prod(input_shape) * weight_shape[0]


def _onednn_product(a: torch.Tensor, b: torch.Tensor, bias: torch.Tensor | None) -> torch.Tensor:
    """``a @ b.T (+ bias)`` for 2-D fp32 CPU tensors ``a (M, K)``, ``b (N, K)`` -> ``(M, N)``."""
    return torch.ops.mkldnn._linear_pointwise(a, b, bias, "none", [], "")  # takes strided views as they are


class _OneDnnLinearFunction(torch.autograd.Function):
    """``x @ weight.T + bias`` with oneDNN products forward and backward; ``x`` is 2-D ``(M, K)``."""

    @staticmethod
    def forward(ctx, x: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor | None) -> torch.Tensor:
        ctx.save_for_backward(x, weight)
        ctx.has_bias = bias is not None
        return _onednn_product(x, weight, bias)

    @staticmethod
    def backward(ctx, grad_out: torch.Tensor):
        x, weight = ctx.saved_tensors
        grad_x = grad_weight = grad_bias = None
        if ctx.needs_input_grad[0]:
            grad_x = _onednn_product(grad_out, weight.t(), None)  # (M, N) @ (N, K) -> (M, K)
        if ctx.needs_input_grad[1]:
            grad_weight = _onednn_product(grad_out.t(), x.t(), None)  # (N, M) @ (M, K) -> (N, K)
        if ctx.has_bias and ctx.needs_input_grad[2]:
            grad_bias = grad_out.sum(0)
        return grad_x, grad_weight, grad_bias


def _takes_onednn_path(x: torch.Tensor, weight: torch.Tensor) -> bool:
    if x.device.type != "cpu" or x.dtype != torch.float32 or weight.dtype != torch.float32:
        return False
    if torch.is_autocast_enabled("cpu") or torch.compiler.is_compiling():
        return False
    rows = x.numel() // max(x.shape[-1], 1)
    return rows * weight.shape[0] * weight.shape[1] >= MIN_ONEDNN_MACS


class OneDnnLinear(nn.Linear):
    """``nn.Linear`` whose fp32 CPU products run through oneDNN (see the module docstring)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not _takes_onednn_path(x, self.weight):
            return F.linear(x, self.weight, self.bias)
        y = _OneDnnLinearFunction.apply(x.reshape(-1, x.shape[-1]), self.weight, self.bias)  # (M, N)
        return y.reshape(*x.shape[:-1], self.out_features)


def use_cpu_linear_kernel(module: nn.Module, kernel: str) -> nn.Module:
    """Make every plain ``nn.Linear`` inside ``module`` an :class:`OneDnnLinear` (``kernel='onednn'``) or leave
    them as they are (``'aten'``). Parameters, names and the state_dict do not change. Returns ``module``."""
    if kernel not in CPU_LINEAR_KERNELS:
        raise ValueError(f"unknown CPU linear kernel {kernel!r}; expected one of {CPU_LINEAR_KERNELS}")
    if kernel == "aten":
        return module
    if not onednn_available():
        logger.info("this torch build has no oneDNN linear operator: CPU linear layers use the default BLAS")
        return module
    for sub in module.modules():
        if type(sub) is nn.Linear:
            # Same object, parameters and hooks; only the forward changes.
            sub.__class__ = OneDnnLinear
    return module
