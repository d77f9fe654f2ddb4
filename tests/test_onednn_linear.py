"""oneDNN linear layers: same values and gradients as F.linear, same parameters, and the CPU_LINEAR switch."""

import pytest
import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from lib.config.seqtrack.config import ConfigError, config_path, load_config
from lib.models.seqtrack import build_seqtrack
from lib.models.seqtrack.onednn_linear import MIN_ONEDNN_MACS, OneDnnLinear, onednn_available, use_cpu_linear_kernel

needs_onednn = pytest.mark.skipif(not onednn_available(), reason="this torch build has no oneDNN")


def _pair(in_features, out_features, bias=True, seed=0):
    """An nn.Linear and an OneDnnLinear holding copies of the same parameters."""
    torch.manual_seed(seed)
    reference = nn.Linear(in_features, out_features, bias=bias)
    fast = use_cpu_linear_kernel(nn.Sequential(nn.Linear(in_features, out_features, bias=bias)), "onednn")[0]
    fast.load_state_dict(reference.state_dict())
    return reference, fast


def _values_and_grads(layer, x):
    x = x.detach().clone().requires_grad_(True)
    y = layer(x)
    (y * torch.linspace(-1, 1, y.numel()).reshape(y.shape)).sum().backward()
    grads = [x.grad] + [p.grad for p in layer.parameters()]
    return y.detach(), grads


@needs_onednn
@pytest.mark.parametrize("shape,bias", [((64, 96), True), ((3, 40, 96), True), ((2, 64, 96), False)])
def test_values_and_gradients_match_f_linear(shape, bias):
    reference, fast = _pair(96, 200, bias=bias)
    x = torch.randn(shape)
    assert x[..., 0].numel() * 96 * 200 >= MIN_ONEDNN_MACS  # large enough for the oneDNN path
    y_ref, grads_ref = _values_and_grads(reference, x)
    y_fast, grads_fast = _values_and_grads(fast, x)
    torch.testing.assert_close(y_fast, y_ref, rtol=1e-5, atol=1e-5)
    for got, want in zip(grads_fast, grads_ref):
        torch.testing.assert_close(got, want, rtol=1e-4, atol=1e-4)


@needs_onednn
def test_strided_input_gives_the_same_result():
    reference, fast = _pair(128, 256)
    x = torch.randn(128, 300)[:, 10:138]  # a view with a row stride of 300
    assert not x.is_contiguous()
    torch.testing.assert_close(fast(x), reference(x), rtol=1e-5, atol=1e-5)


@needs_onednn
def test_the_product_runs_through_onednn_and_is_counted_by_the_flop_counter():
    _, fast = _pair(256, 512)
    x = torch.randn(64, 256)
    with torch.profiler.profile(activities=[torch.profiler.ProfilerActivity.CPU]) as prof:
        fast(x)
    names = {event.key for event in prof.key_averages()}
    assert "mkldnn::_linear_pointwise" in names
    assert "aten::addmm" not in names
    with FlopCounterMode(display=False) as counter:
        fast(x)
    assert counter.get_total_flops() == 2 * 64 * 256 * 512


@needs_onednn
def test_small_products_float64_and_autocast_fall_back_to_f_linear():
    reference, fast = _pair(16, 16)
    x = torch.randn(2, 16)  # 512 multiply-adds: below MIN_ONEDNN_MACS
    assert torch.equal(fast(x), reference(x))
    fast64, reference64 = fast.double(), reference.double()
    x64 = torch.randn(4, 16, dtype=torch.float64)
    assert torch.equal(fast64(x64), reference64(x64))
    big_fast, big_reference = _pair(256, 256)
    x_big = torch.randn(64, 256)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out = big_fast(x_big)
        assert out.dtype == torch.bfloat16  # autocast's bf16 product, not the fp32 oneDNN one
        assert torch.equal(out, big_reference(x_big))


def test_switch_keeps_parameter_names_and_state_dict():
    overrides = {"DATA.TRAIN.CLASSES": []}
    cfg_onednn = load_config(config_path("seqtrack_tiny"), overrides)
    cfg_aten = load_config(config_path("seqtrack_tiny"), {**overrides, "MODEL.CPU_LINEAR": "aten"})
    torch.manual_seed(0)
    fast = build_seqtrack(cfg_onednn, load_pretrained=False)
    torch.manual_seed(0)
    plain = build_seqtrack(cfg_aten, load_pretrained=False)
    fast_state, plain_state = fast.state_dict(), plain.state_dict()
    assert list(fast_state) == list(plain_state)
    assert all(torch.equal(fast_state[k], plain_state[k]) for k in plain_state)
    linears = [m for m in plain.modules() if isinstance(m, nn.Linear)]
    assert linears and not any(isinstance(m, OneDnnLinear) for m in linears)
    if onednn_available():
        assert all(isinstance(m, OneDnnLinear) for m in fast.modules() if isinstance(m, nn.Linear))


def test_unknown_kernel_is_a_config_error():
    with pytest.raises(ConfigError, match="MODEL.CPU_LINEAR' must be one of 'onednn', 'aten'"):
        load_config(config_path("seqtrack_tiny"), {"MODEL.CPU_LINEAR": "mkl"})
    with pytest.raises(ValueError, match="unknown CPU linear kernel"):
        use_cpu_linear_kernel(nn.Linear(2, 2), "mkl")
