"""scripts/benchmark_memory.py: the counting tools on known computations, the --quick run's figures and their
invariants, the batch that fits, and bad input (exit 2)."""

from __future__ import annotations

import json

import pytest
import torch
from configs import tiny_config
from e2e import load_script

from lib.models.seqtrack import build_seqtrack

memory = load_script("benchmark_memory")
MIB = 2**20


# ---------------------------------------------------------------------------------------------------- the tools


def test_live_storages_follow_allocations_and_frees():
    with memory.LiveStorages() as timeline:
        a = torch.ones(1000)  # 4000 bytes
        b = a * 2  # 4000 more: 8000 alive
        view = b[:10]  # a view of b: no new memory
        del a
        c = b + 1  # a freed, c new: 8000 alive again
        d = c.exp_()  # in place: no new memory
    assert timeline.peak_bytes(set()) == 8000
    assert timeline.peak_bytes({timeline.serial_of(c)}) == 8000  # a and b were alive together
    assert timeline.serial_of(view) == timeline.serial_of(b) and d.data_ptr() == c.data_ptr()
    allocations = [event for event in timeline.events if event[0] == "alloc"]
    assert [event[2] for event in allocations] == [4000, 4000, 4000]


def test_saved_storages_count_each_storage_once_and_leave_parameters_out():
    layer = torch.nn.Linear(64, 32)
    x = torch.randn(10, 64, requires_grad=True)
    parameters = {p.untyped_storage().data_ptr() for p in layer.parameters()}
    with memory.saved_storages(parameters) as saved:
        hidden = layer(x)  # saves x (and the weight, left out)
        out = (hidden * hidden).sum()  # saves hidden twice: one storage
    assert saved == {x.data_ptr(): 10 * 64 * 4, hidden.data_ptr(): 10 * 32 * 4}
    out.backward()


def test_the_batch_that_fits_is_the_largest_under_the_device_less_the_margin():
    result = {"params_bytes": 4 * MIB, "grads_bytes": 4 * MIB, "optimizer_bytes": 8 * MIB,
              "activation_fixed_bytes": 16 * MIB, "activation_per_sample_bytes": 100 * MIB}
    # 1 GiB x 0.9 - 0.5 GiB = 409.6 MiB usable, 32 MiB fixed: 3 samples of 100 MiB fit, 4 do not.
    assert memory.largest_batch(result, 1, margin_gib=0.5, margin_fraction=0.1) == 3
    assert memory.largest_batch(result, 0.5, margin_gib=0.5, margin_fraction=0.1) == 0


# ---------------------------------------------------------------------------------------------------- the run


@pytest.fixture(scope="module")
def quick(tmp_path_factory):
    out = tmp_path_factory.mktemp("memory") / "memory.json"
    assert memory.main(["--quick", "--no_cuda", "--out", str(out)]) == 0
    return json.loads(out.read_text())


def by_setting(report) -> dict:
    return {(r["use_checkpoint"], r["precision"]): r for r in report["results"]}


def test_quick_run_reports_every_setting_with_its_fields(quick):
    assert quick["quick"] is True and quick["device_gib"] == [8, 12, 24, 80] and quick["cuda"] is None
    assert (quick["margin_gib"], quick["margin_fraction"]) == (1.0, 0.1)
    results = by_setting(quick)
    assert set(results) == {(False, "fp32"), (False, "bf16"), (True, "fp32"), (True, "bf16")}
    for result in results.values():
        assert result["config"] == "seqtrack_tiny"
        assert set(result["saved_bytes"]) == set(result["peak_bytes"]) == {"1", "2"}
        assert result["saved_bytes"]["2"] > result["saved_bytes"]["1"] > 0
        assert result["activation_per_sample_bytes"] >= result["saved_per_sample_bytes"] > 0
        assert set(result["fits"]) == {"8", "12", "24", "80"}
        fits = [result["fits"][size] for size in ("8", "12", "24", "80")]
        assert fits == sorted(fits) and fits[0] > 0


def test_state_bytes_are_4_4_and_8_per_parameter(quick):
    cfg = tiny_config()
    parameters = sum(p.numel() for p in build_seqtrack(cfg, load_pretrained=False).parameters())
    for result in quick["results"]:
        assert result["parameters"] == result["trainable_parameters"] == parameters
        assert (result["params_bytes"], result["grads_bytes"], result["optimizer_bytes"]) == (
            4 * parameters, 4 * parameters, 8 * parameters)


def test_checkpointing_and_bf16_lower_the_activations_per_sample(quick):
    results = by_setting(quick)
    for precision in ("fp32", "bf16"):
        on, off = results[True, precision], results[False, precision]
        assert on["saved_per_sample_bytes"] < off["saved_per_sample_bytes"]
        assert on["activation_per_sample_bytes"] < off["activation_per_sample_bytes"]
        assert on["fits"]["24"] > off["fits"]["24"]
    assert results[False, "bf16"]["saved_per_sample_bytes"] < results[False, "fp32"]["saved_per_sample_bytes"]
    # bf16 autocast keeps bf16 copies of the weights: a fixed cost fp32 does not have
    assert results[False, "bf16"]["activation_fixed_bytes"] > results[False, "fp32"]["activation_fixed_bytes"]


def test_the_table_and_the_markdown_show_every_setting(quick):
    table = memory.format_table(quick["results"], [8, 12, 24, 80])
    assert "batch that fits" in table and "TINY ckpt on  bf16" in table
    markdown = memory.format_markdown(quick["results"], [8, 12, 24, 80])
    assert "| config | activation checkpointing | 8 GB | 12 GB | 24 GB | 80 GB |" in markdown
    on = by_setting(quick)[True, "fp32"]["fits"]["8"], by_setting(quick)[True, "bf16"]["fits"]["8"]
    assert f"| TINY | on | {on[0]} / {on[1]} |" in markdown


# ---------------------------------------------------------------------------------------------------- bad input


def test_unknown_config_exits_2_with_one_line(capsys):
    assert memory.main(["--configs", "seqtrack_nope", "--no_cuda"]) == 2
    err = capsys.readouterr().err
    assert "seqtrack_nope" in err and "Traceback" not in err


@pytest.mark.parametrize("argv", [["--margin_fraction", "1.5"], ["--device_gib", "0"], ["--cuda_batches", "0"],
                                  ["--quick", "--configs", "seqtrack_b256"]])
def test_bad_numbers_are_refused_by_the_parser(argv):
    with pytest.raises(SystemExit) as excinfo:
        memory.main(argv)
    assert excinfo.value.code == 2
