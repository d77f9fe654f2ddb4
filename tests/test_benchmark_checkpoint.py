"""benchmark_checkpoint.py on the tiny config: the report's fields, and bad command lines refused."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from e2e import load_script

REPO_ROOT = Path(__file__).resolve().parents[1]


benchmark = load_script("benchmark_checkpoint")


def test_tiny_benchmark_reports_positive_times_size_and_share(tmp_path, capsys):
    out = tmp_path / "bench.json"
    code = benchmark.main(["--configs", "seqtrack_tiny", "--repeats", "1", "--epoch_seconds", "10",
                           "--dir", str(tmp_path), "--out", str(out)])
    assert code == 0
    (result,) = json.loads(out.read_text())["results"]
    for key in ("save_s", "load_s", "size_mb", "save_share_of_epoch", "weights_mb", "weights_save_s"):
        value = result[key]
        assert isinstance(value, float) and math.isfinite(value) and value > 0, (key, value)
    assert result["save_share_of_epoch"] == pytest.approx(result["save_s"] / 10)
    assert result["epoch_seconds_source"].startswith("given")
    # One AdamW step has run: exp_avg and exp_avg_sq make the optimizer state twice the model.
    assert result["optimizer_mb"] == pytest.approx(2 * result["net_mb"], rel=0.01)
    assert result["size_mb"] >= result["net_mb"] + result["optimizer_mb"]
    assert result["weights_mb"] == pytest.approx(result["net_mb"], rel=0.01)  # the network only: a third of it
    assert sorted(p.name for p in tmp_path.rglob("*") if p.is_file()) == ["bench.json"]  # written files removed
    assert "seqtrack_tiny" in capsys.readouterr().out


@pytest.mark.parametrize("argv", [["--configs", "seqtrack_tiny", "--repeats", "0"],
                                  ["--configs", "seqtrack_tiny", "seqtrack_b256", "--epoch_seconds", "1", "2", "3"],
                                  ["--configs", "seqtrack_tiny", "--epoch_seconds", "-5"]])
def test_bad_arguments_exit_2(argv, capsys):
    with pytest.raises(SystemExit) as exit_info:
        benchmark.main(argv)
    assert exit_info.value.code == 2
    assert "error:" in capsys.readouterr().err


def test_unknown_config_exits_2_naming_it(capsys):
    assert benchmark.main(["--configs", "seqtrack_tinny"]) == 2
    err = capsys.readouterr().err
    assert "seqtrack_tinny" in err and "seqtrack_tiny" in err and "Traceback" not in err
