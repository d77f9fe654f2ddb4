"""scripts/benchmark.py: the --quick smoke run measures every stage and writes the table and the JSON;
bad input exits 2 with one line."""

from __future__ import annotations

import json

import pytest
from e2e import load_script

benchmark = load_script("benchmark")


def test_quick_run_reports_every_stage(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("SEQTRACK_CPU_BF16", "force")  # the bf16 side too, whatever this machine's CPU
    out = tmp_path / "bench.json"
    code = benchmark.main(["--quick", "--config", "seqtrack_tiny", "--device", "cpu", "--workers", "1",
                           "--data_dir", str(tmp_path / "data"), "--out", str(out)])
    assert code == 0
    report = json.loads(out.read_text())
    assert report["quick"] is True and report["device"] == "cpu"
    for size in ("1280x720", "1920x1080"):
        decode = report["decode"][size]
        assert decode["frames_per_s"] > 0 and set(decode["reduced_frames_per_s"]) == {"2", "4", "8"}
        assert 40 < decode["mean_kb"] < 600  # realistic JPEGs, not flat images
    tiny = report["configs"]["seqtrack_tiny"]
    data = tiny["data"]
    assert data["samples_per_s_1_process"] > 0 and data["samples_per_s_workers"] > 0 and data["workers"] == 1
    assert set(data["ms_per_sample"]) == {"annotations", "decode", "crop_augment", "collate"}
    assert all(ms > 0 for ms in data["ms_per_sample"].values())
    assert data["ratio_to_decode_ceiling"] == pytest.approx(
        data["samples_per_s_1_process"] / (report["decode"]["1280x720"]["frames_per_s"] / 3))
    step = tiny["step"]
    assert step["batch_size"] == 2 and step["flops_per_sample"] > 1e7
    fp32, bf16 = step["modes"]["fp32"], step["modes"]["bf16"]
    assert fp32["full_samples_per_s"] > 0 and fp32["bare_samples_per_s"] > 0 and bf16["full_samples_per_s"] > 0
    assert step["bf16_over_fp32"] == pytest.approx(bf16["full_samples_per_s"] / fp32["full_samples_per_s"])
    assert tiny["checkpoint"]["size_mb"] > 1 and tiny["checkpoint"]["save_s"] > 0
    assert tiny["track"]["fps_with_cache"] > 0 and tiny["track"]["fps_without_cache"] > 0
    assert tiny["track"]["bf16"]["fps_with_cache"] > 0 and tiny["track"]["bf16_over_fp32"] > 0
    printed = capsys.readouterr().out
    for label in ("decode  1280x720", "data ", "step ", "checkpoint ", "track ", "--quick: smoke run",
                  "bf16 / fp32"):
        assert label in printed
    # The generated frames are kept in --data_dir and reused (nothing rewritten) by the next run.
    assert (tmp_path / "data" / "lasot_1280x720" / "airplane").is_dir()


@pytest.mark.parametrize("argv,message", [
    (["--config", "seqtrack_nope"], "seqtrack_nope"),
    (["--device", "cuda:7"], "cuda"),
    (["--opts", "MODEL.CPU_LINEAR", "mkl"], "MODEL.CPU_LINEAR' must be one of 'onednn', 'aten', got 'mkl'"),
    (["--opts", "DATA.MAX_DECODE_REDUCTION"], "KEY VALUE pairs"),
])
def test_bad_input_exits_2_with_one_line(argv, message, tmp_path, capsys):
    code = benchmark.main(argv + ["--quick", "--sections", "track", "--out", str(tmp_path / "b.json"),
                                  "--data_dir", str(tmp_path / "data")])
    err = capsys.readouterr().err
    assert code == 2 and message in err and "Traceback" not in err
    assert not (tmp_path / "b.json").exists()


def test_bad_numbers_are_refused_by_the_parser():
    with pytest.raises(SystemExit) as excinfo:
        benchmark.main(["--batch_size", "0"])
    assert excinfo.value.code == 2
