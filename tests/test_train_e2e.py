"""End to end on generated data: the tiny config trains, logs in the promised format, checkpoints, and
reports bad input as one clear line with exit code 2."""

from __future__ import annotations

import re

import pytest
import torch
from e2e import checkpoint, metrics, paths, read_only, run_cli, train

LOG_LINE = re.compile(
    r"^Epoch 1 : (\d+) / 112 samples , time for last (\d+) samples : \d+:\d\d:\d\d hours , "
    r"time since beginning : \d+:\d\d:\d\d hours , time left to finish the epoch : \d+:\d\d:\d\d hours , "
    r"Loss/total: \d+\.\d{5} , IoU: \d\.\d{5}$")


def test_one_epoch_writes_log_lines_metrics_and_a_full_checkpoint(tmp_path, synthetic_lasot):
    train(tmp_path, synthetic_lasot, TRAIN__EPOCH=1, DATA__TRAIN__SAMPLE_PER_EPOCH=112,
          TRAIN__LOG_INTERVAL_SAMPLES=50)
    log = paths(tmp_path).log_file.read_text().splitlines()
    interval_lines = [line for line in log if line.startswith("Epoch 1 : ")]
    # batch 8: the first boundary at or past 50 is 56, then 104; the real counts are printed
    assert [LOG_LINE.match(line).groups() for line in interval_lines] == [("56", "56"), ("104", "48")]
    assert any(line.startswith("Epoch 1 done : 112 samples , Loss/total: ") for line in log)

    state = torch.load(checkpoint(tmp_path, 1), map_location="cpu", weights_only=True)
    assert state["epoch"] == 1 and state["samples_in_epoch"] == 0 and state["global_step"] == 14
    for key in ("net", "optimizer", "lr_scheduler", "grad_scaler", "per_rank", "history", "config", "seed"):
        assert key in state, key
    assert set(state["per_rank"][0]["rng"]) >= {"python", "numpy", "torch", "cuda"}
    assert state["config"]["MODEL"]["ENCODER"]["TYPE"] == "vit_mini"
    epoch_records = metrics(tmp_path, "epoch")
    assert list(epoch_records) == [(1, 112)]
    assert epoch_records[(1, 112)]["loss"] == state["history"][0]["loss"]
    assert paths(tmp_path).tensorboard_dir.is_dir() and any(paths(tmp_path).tensorboard_dir.iterdir())


def test_learning_rate_groups_and_step_schedule(tmp_path, synthetic_lasot):
    trainer = train(tmp_path, synthetic_lasot, TRAIN__EPOCH=2, TRAIN__LR_DROP_EPOCH=1,
                    TRAIN__ENCODER_MULTIPLIER=0.1, TRAIN__LR=1e-3)
    encoder_group, decoder_group = trainer.optimizer.param_groups
    # after two epochs with a drop every epoch: lr x 0.1 x 0.1
    assert decoder_group["lr"] == pytest.approx(1e-5) and encoder_group["lr"] == pytest.approx(1e-6)
    assert [r["lr"] for r in trainer.history] == pytest.approx([1e-3, 1e-4])


@pytest.mark.parametrize("args,message", [
    (["--config", "seqtrack_tinny"], "unknown config 'seqtrack_tinny'.*Did you mean 'seqtrack_tiny'"),
    (["--config", "seqtrack_tiny", "--opts", "DATA.TRAIN.CLASSES", "[mose]"], "mose.*did you mean 'mouse'"),
    (["--config", "seqtrack_tiny", "--opts", "TRAIN.EPOHC", "2"], "did you mean 'TRAIN.EPOCH'"),
    (["--config", "seqtrack_tiny", "--resume", "/nonexistent/SEQTRACK_ep0002.pth.tar"], "checkpoint not found"),
])
def test_bad_input_is_one_clear_line(tmp_path, synthetic_lasot, args, message):
    result = run_cli(["tracking/train.py", *args, "--save_dir", str(tmp_path), "--lasot_dir", str(synthetic_lasot)])
    assert result.returncode == 2, result.stderr
    assert re.search(message, result.stderr), result.stderr
    assert "Traceback" not in result.stderr


def test_missing_lasot_root_says_how_to_fix(tmp_path):
    result = run_cli(["tracking/train.py", "--config", "seqtrack_tiny", "--save_dir", str(tmp_path),
                      "--lasot_dir", str(tmp_path / "nowhere")])
    assert result.returncode == 2
    assert str(tmp_path / "nowhere") in result.stderr and "LASOT_DIR" in result.stderr
    assert "Traceback" not in result.stderr


def test_unreadable_frame_is_named(tmp_path, synthetic_lasot):
    import shutil

    broken = tmp_path / "lasot"
    shutil.copytree(synthetic_lasot, broken)
    for frame in (broken / "mouse").glob("mouse-*/img/*.jpg"):
        frame.write_bytes(b"not a jpeg")
    result = run_cli(["tracking/train.py", "--config", "seqtrack_tiny", "--save_dir", str(tmp_path / "out"),
                      "--lasot_dir", str(broken), "--opts", "TRAIN.NUM_WORKER", "2", "TRAIN.EPOCH", "1"])
    assert result.returncode == 2, result.stderr[-2000:]
    assert re.search(r"mouse-\d+/img/\d{8}\.jpg", result.stderr), result.stderr
    assert "Traceback" not in result.stderr


def test_help_explains_every_flag():
    result = run_cli(["tracking/train.py", "--help"])
    assert result.returncode == 0
    for flag in ("--script", "--config", "--save_dir", "--mode", "--nproc_per_node", "--seed", "--resume", "--opts"):
        assert flag in result.stdout
    assert "examples:" in result.stdout


def test_unwritable_checkpoint_directory_stops_clearly_and_keeps_earlier_checkpoints(tmp_path, synthetic_lasot):
    train(tmp_path, synthetic_lasot, TRAIN__EPOCH=1)
    first = checkpoint(tmp_path, 1)
    before = first.read_bytes()
    with read_only(first.parent):
        result = run_cli(["tracking/train.py", "--config", "seqtrack_tiny", "--save_dir", str(tmp_path),
                          "--lasot_dir", str(synthetic_lasot), "--resume", "auto", "--opts", "TRAIN.EPOCH", "2",
                          "DATA.TRAIN.SAMPLE_PER_EPOCH", "48", "TRAIN.NUM_WORKER", "0"])
    assert result.returncode == 2, result.stderr[-2000:]
    assert "cannot write to the run's checkpoint folder" in result.stderr  # found before any work is done
    assert "Traceback" not in result.stderr
    assert first.read_bytes() == before and not checkpoint(tmp_path, 2).exists()
