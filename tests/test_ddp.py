"""Two CPU processes through torchrun (gloo): training, rank-0 outputs, exact resume, exit codes."""

from __future__ import annotations

from e2e import checkpoint, figures, final_weights, paths, run_cli, weights_equal

# 4 steps of 2 x 4 samples per epoch, a log line every 16 samples.
OPTS = ["TRAIN.EPOCH", "2", "DATA.TRAIN.SAMPLE_PER_EPOCH", "32", "TRAIN.BATCH_SIZE", "4",
        "TRAIN.NUM_WORKER", "0", "TRAIN.LOG_INTERVAL_SAMPLES", "16"]


def launch(save_dir, lasot_dir, *extra):
    return run_cli(["tracking/train.py", "--script", "seqtrack", "--config", "seqtrack_tiny", "--save_dir",
                    str(save_dir), "--mode", "multiple", "--nproc_per_node", "2", "--lasot_dir", str(lasot_dir),
                    *extra, "--opts", *OPTS])


def test_two_processes_train_and_resume_exactly(tmp_path, synthetic_lasot):
    straight, resumed = tmp_path / "straight", tmp_path / "resumed"
    result = launch(straight, synthetic_lasot)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    log = paths(straight).log_file.read_text()
    assert "(2 processes)" in log
    assert "Epoch 1 : 16 / 32 samples" in log and "Epoch 2 done : 32 samples" in log
    state_ranks = len(__import__("torch").load(checkpoint(straight, 2), weights_only=True)["per_rank"])
    assert state_ranks == 2  # one RNG state per rank

    result = launch(resumed, synthetic_lasot, "--resume", str(checkpoint(straight, 1)))
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    for kind in ("interval", "epoch"):
        expected = {k: v for k, v in figures(straight, kind).items() if k[0] == 2}
        assert figures(resumed, kind) == expected
    assert weights_equal(final_weights(resumed, 2), final_weights(straight, 2))


def test_bad_input_is_caught_before_launching(tmp_path, synthetic_lasot):
    result = launch(tmp_path, synthetic_lasot, "--resume", str(tmp_path / "missing.pth.tar"))
    assert result.returncode == 2
    assert "checkpoint not found" in result.stderr and "Traceback" not in result.stderr


def test_failure_in_the_processes_propagates_the_exit_code(tmp_path, synthetic_lasot):
    """An error only the processes can see (a frame that does not decode) fails the launch."""
    import shutil

    broken = tmp_path / "lasot"
    shutil.copytree(synthetic_lasot, broken)
    for frame in broken.glob("*/*/img/*.jpg"):
        frame.write_bytes(b"not a jpeg")
    result = launch(tmp_path / "out", broken)
    assert result.returncode != 0
    assert "distributed training failed" in result.stderr
    assert "not a jpeg" in result.stderr or "img/" in result.stderr
