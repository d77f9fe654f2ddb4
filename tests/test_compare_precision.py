"""scripts/compare_precision.py: fp32 and bf16 trackers on the same generated sequences, their agreement."""

from __future__ import annotations

import json

from e2e import load_script

compare = load_script("compare_precision")


def test_the_two_trackers_are_compared_frame_by_frame(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SEQTRACK_CPU_BF16", "force")
    out = tmp_path / "precision.json"
    assert compare.main(["--config", "seqtrack_tiny", "--sequences", "2", "--frames", "8", "--size", "160x120",
                         "--data_dir", str(tmp_path / "data"), "--out", str(out)]) == 0
    figures = json.loads(out.read_text())
    assert figures["frames"] == 2 * 7 and figures["sequences"] == 2  # frame 1 is the initialisation
    assert 0 <= figures["same_tokens_fraction"] <= 1 and 0 <= figures["mean_box_iou"] <= 1
    assert figures["mean_box_iou"] > 0.5  # the same network: the boxes overlap mostly, whatever bf16 rounds
    assert "same tokens on" in capsys.readouterr().out


def test_bf16_that_cannot_run_is_said(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SEQTRACK_CPU_BF16", "off")
    assert compare.main(["--config", "seqtrack_tiny", "--data_dir", str(tmp_path)]) == 2
    assert "bf16 cannot run here" in capsys.readouterr().err
    assert compare.main(["--sequences", "9"]) == 2
