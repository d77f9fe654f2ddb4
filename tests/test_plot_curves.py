"""plot_training_curves: the library function the trainer calls and the script around it."""

from __future__ import annotations

from pathlib import Path

import pytest
from e2e import load_script

from lib.runlog.curves import plot_training_curves
from lib.runlog.records import MetricsError, MetricsWriter, fractional_epoch

REPO_ROOT = Path(__file__).resolve().parents[1]
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


plot_script = load_script("plot_training_curves")


def records(epochs: int, scale: float = 1.0, interval_means: bool = True) -> list[dict]:
    result = []
    for epoch in range(1, epochs + 1):
        for samples in (10, 20):
            record = {"kind": "interval", "epoch": epoch, "samples": samples, "epoch_samples": 20,
                      "loss": scale * 5 / (epoch + samples / 20), "iou": 0.1 * epoch}
            if interval_means:
                record.update(loss_interval=record["loss"] * 1.1, iou_interval=record["iou"] * 0.9)
            result.append(record)
        result.append({"kind": "epoch", "epoch": epoch, "samples": 20, "loss": scale * 5 / (epoch + 1),
                       "iou": 0.1 * epoch})
    return result


def write_run(run_dir: Path, recs: list[dict]) -> Path:
    with MetricsWriter(run_dir / "logs" / "seqtrack-seqtrack_tiny.metrics.jsonl") as writer:
        for record in recs:
            writer.write(record)
    return run_dir


def test_two_runs_overlaid_give_two_lines_per_panel_and_a_png(tmp_path):
    out = tmp_path / "logs" / "curves.png"
    figure = plot_training_curves({"straight": records(3), "resumed": records(3, 1.01)}, out, intervals=False)
    assert out.read_bytes()[:8] == PNG_MAGIC
    axes = figure.get_axes()
    assert [axis.get_title() for axis in axes] == ["Loss/total", "IoU"]
    assert [len(axis.get_lines()) for axis in axes] == [2, 2]
    loss_line = axes[0].get_lines()[1]
    assert list(loss_line.get_xdata()) == [1, 2, 3]
    assert list(loss_line.get_ydata()) == [1.01 * 5 / 2, 1.01 * 5 / 3, 1.01 * 5 / 4]
    assert not list(tmp_path.glob("logs/.*tmp*"))  # the temporary file was renamed, not left behind


def test_intervals_add_one_curve_per_run_at_fractional_epochs(tmp_path):
    figure = plot_training_curves({"a": records(2), "b": records(2, interval_means=False)}, tmp_path / "c.png",
                                  intervals=True)
    loss_axis = figure.get_axes()[0]
    labels = [line.get_label() for line in loss_axis.get_lines()]
    assert labels == ["a (epoch)", "a (interval mean)", "b (epoch)", "b (running mean)"]
    interval_line = loss_axis.get_lines()[1]
    assert list(interval_line.get_xdata()) == [0.5, 1.0, 1.5, 2.0]
    assert list(interval_line.get_ydata()) == [r["loss_interval"] for r in records(2) if r["kind"] == "interval"]


def test_fractional_epoch():
    assert fractional_epoch({"kind": "interval", "epoch": 3, "samples": 100, "epoch_samples": 400}) == 2.25
    assert fractional_epoch({"kind": "epoch", "epoch": 3, "samples": 400}) == 3.0


def test_nothing_to_plot_is_an_error(tmp_path):
    with pytest.raises(MetricsError, match="no epoch records"):
        plot_training_curves({"a": [r for r in records(1) if r["kind"] == "interval"]}, tmp_path / "c.png", False)
    assert not (tmp_path / "c.png").exists()


def test_script_default_output_labels_and_text_log_fallback(tmp_path, capsys):
    run1 = write_run(tmp_path / "run1", records(2))
    run2 = tmp_path / "run2"
    (run2 / "logs").mkdir(parents=True)
    (run2 / "logs" / "seqtrack-seqtrack_tiny.log").write_text(
        "Epoch 1 done : 20 samples , Loss/total: 2.50000 , IoU: 0.10000 , lr: 0.0005 , epoch time : 0:00:10 hours\n"
        "Epoch 2 done : 20 samples , Loss/total: 1.66667 , IoU: 0.20000 , lr: 0.0005 , epoch time : 0:00:10 hours\n")
    assert plot_script.main([str(run1), str(run2)]) == 0
    out = run1 / "curves.png"
    assert f"wrote {out}" in capsys.readouterr().out
    assert out.read_bytes()[:8] == PNG_MAGIC and out.stat().st_size > 1000
    assert plot_script.default_label(run1 / "logs" / "seqtrack-seqtrack_tiny.metrics.jsonl") == "run1"
    assert plot_script.unique_labels(["run", "run", "x"]) == ["run", "run (2)", "x"]


def test_script_bad_input_exits_2(tmp_path, capsys):
    run1 = write_run(tmp_path / "run1", records(1))
    assert plot_script.main([str(run1), "--labels", "a", "b"]) == 2
    assert "--labels gives 2 labels for 1 runs" in capsys.readouterr().err
    assert plot_script.main([str(tmp_path / "missing")]) == 2
    assert "does not exist" in capsys.readouterr().err
    empty = tmp_path / "empty.metrics.jsonl"
    empty.write_text("")
    assert plot_script.main([str(empty)]) == 2
    assert "holds no metrics" in capsys.readouterr().err
