"""The whole path through the command line on generated data of several layouts: train the tiny config on a mix of
three datasets, resume it and compare the phases exactly, then track and evaluate two generated benchmarks."""

from __future__ import annotations

import json

import pytest
from e2e import checkpoint, run_cli

from lib.data.synthetic.benchmarks import make_synthetic_benchmark
from lib.data.synthetic.coco import make_synthetic_coco
from lib.data.synthetic.trackingnet import make_synthetic_trackingnet

MIX_OPTS = ["DATA.TRAIN.DATASETS_NAME", "[LASOT, TRACKINGNET, COCO17]", "DATA.TRAIN.DATASETS_RATIO", "[1, 1, 1]",
            "DATA.TRAIN.CLASSES_ONLY", "false", "DATA.TRAIN.SAMPLE_PER_EPOCH", "32", "TRAIN.BATCH_SIZE", "8",
            "TRAIN.EPOCH", "2", "TRAIN.LOG_INTERVAL_SAMPLES", "16", "TRAIN.NUM_WORKER", "0"]


@pytest.fixture(scope="module")
def data(tmp_path_factory, synthetic_lasot) -> dict:
    root = tmp_path_factory.mktemp("datasets")
    return {"lasot": synthetic_lasot,
            "trackingnet": make_synthetic_trackingnet(root / "trackingnet", sets=(0,), sequences=4, frames=40,
                                                      size=(160, 120), seed=3),
            "coco": make_synthetic_coco(root / "coco", images=8, size=(160, 120), seed=4),
            "tnl2k": make_synthetic_benchmark("tnl2k", root / "tnl2k", sequences=2, frames=12, size=(96, 72)),
            "got10k": make_synthetic_benchmark("got10k_val", root / "got10k", sequences=2, frames=12, size=(96, 72))}


def _train(save_dir, data, *extra):
    args = ["tracking/train.py", "--config", "seqtrack_tiny", "--save_dir", str(save_dir), "--lasot_dir",
            str(data["lasot"]), "--dataset_dir", f"trackingnet={data['trackingnet']}", "--dataset_dir",
            f"coco={data['coco']}", *extra, "--opts", *MIX_OPTS]
    result = run_cli(args)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    return result


def test_mix_trains_resumes_exactly_then_tracks_and_scores_two_benchmarks(tmp_path, data):
    first = _train(tmp_path / "phase1", data)
    assert "TRACKINGNET (4 sequences) (33%), COCO17" in first.stdout
    _train(tmp_path / "phase2", data, "--resume", str(checkpoint(tmp_path / "phase1", 1)))
    compared = run_cli(["scripts/compare_phases.py", str(tmp_path / "phase1"), str(tmp_path / "phase2")])
    assert compared.returncode == 0, compared.stdout + compared.stderr

    results = tmp_path / "results"
    for benchmark, root in (("tnl2k", data["tnl2k"]), ("got10k_val", data["got10k"])):
        tracked = run_cli(["tracking/test.py", "seqtrack", "seqtrack_tiny", "--dataset_name", benchmark,
                           "--dataset_dir", str(root), "--checkpoint", str(checkpoint(tmp_path / "phase1", 2)),
                           "--results_dir", str(results), "--device", "cpu"])
        assert tracked.returncode == 0, tracked.stdout[-2000:] + tracked.stderr[-2000:]
        assert "2 tracked, 0 already done, 0 failed of 2 sequences" in tracked.stdout
        figures = tmp_path / f"{benchmark}.json"
        scored = run_cli(["tracking/analysis_results.py", "--runs", "seqtrack/seqtrack_tiny", "--dataset_name",
                          benchmark, "--dataset_dir", str(root), "--results_dir", str(results), "--baseline",
                          "--json", str(figures), "--no_plots"])
        assert scored.returncode == 0, scored.stdout + scored.stderr
        report = json.loads(figures.read_text())
        assert report["benchmark"] == benchmark
        overall = report["runs"]["seqtrack/seqtrack_tiny"]["overall"]
        assert overall["sequences"] == 2 and 0 <= overall["AUC"] <= 100
        assert ("got10k" in report["runs"]["seqtrack/seqtrack_tiny"]) == (benchmark == "got10k_val")
    tags = sorted(p.name for p in (results / "seqtrack" / "seqtrack_tiny").iterdir())
    assert tags == ["got10k", "tnl2k"]  # the original's per-benchmark result folders
    assert "AO" in scored.stdout and "SR0.5" in scored.stdout
