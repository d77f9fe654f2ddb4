"""Exact resume: a run resumed from any checkpoint reproduces the straight run bit for bit."""

from __future__ import annotations

import shutil

import pytest
from configs import FAST, tiny_config
from e2e import checkpoint, figures, final_weights, paths, train, weights_equal

from lib.checkpoint.io import CheckpointError
from lib.train.run_training import run_training


def keep_copies(folder):
    folder.mkdir(parents=True, exist_ok=True)
    return lambda path, state: shutil.copy2(path, folder / path.name)


@pytest.fixture(scope="module")
def straight(tmp_path_factory, synthetic_lasot):
    """Three epochs with 2 DataLoader workers and a mid-epoch checkpoint every 24 samples, all kept."""
    run = tmp_path_factory.mktemp("straight")
    kept = run / "kept"
    cfg = tiny_config(FAST, TRAIN__NUM_WORKER=2, TRAIN__CHECKPOINT_INTERVAL_SAMPLES=24)
    run_training(cfg, "seqtrack_tiny", run, lasot_dir=str(synthetic_lasot), checkpoint_hooks=[keep_copies(kept)])
    return run


def epochs_from(records, first_epoch):
    return {key: value for key, value in records.items() if key[0] >= first_epoch}


def assert_same_as_straight(straight, resumed, first_epoch, last_epoch=3):
    for kind in ("interval", "epoch"):
        expected = epochs_from(figures(straight, kind), first_epoch)
        assert expected, "nothing to compare"
        assert figures(resumed, kind) == expected, kind
    assert weights_equal(final_weights(resumed, last_epoch), final_weights(straight, last_epoch))


def test_mid_epoch_checkpoints_are_pruned_once_the_epoch_is_saved(straight):
    names = sorted(p.name for p in paths(straight).checkpoint_dir.glob("SEQTRACK_*"))
    assert names == ["SEQTRACK_ep0001.pth.tar", "SEQTRACK_ep0002.pth.tar", "SEQTRACK_ep0003.pth.tar"]
    assert (straight / "kept" / "SEQTRACK_ep0002_s00000024.pth.tar").is_file()


def test_resume_from_epoch_checkpoint_is_exact(tmp_path, straight, synthetic_lasot):
    train(tmp_path, synthetic_lasot, resume=str(checkpoint(straight, 1)), TRAIN__NUM_WORKER=2)
    assert_same_as_straight(straight, tmp_path, first_epoch=2)
    assert "Resumed from" in paths(tmp_path).log_file.read_text()


def test_resume_from_mid_epoch_checkpoint_is_exact(tmp_path, straight, synthetic_lasot):
    train(tmp_path, synthetic_lasot, resume=str(straight / "kept" / "SEQTRACK_ep0002_s00000024.pth.tar"),
          TRAIN__NUM_WORKER=2)
    expected = figures(straight, "interval")
    resumed = figures(tmp_path, "interval")
    assert min(resumed) == (2, 32)  # the first log after sample 24 of epoch 2
    assert resumed == {k: v for k, v in expected.items() if k >= (2, 32)}
    assert figures(tmp_path, "epoch") == epochs_from(figures(straight, "epoch"), 2)
    assert weights_equal(final_weights(tmp_path, 3), final_weights(straight, 3))
    assert "at epoch 2, sample 24" in paths(tmp_path).log_file.read_text()


def test_worker_count_does_not_change_the_run(tmp_path, straight, synthetic_lasot):
    train(tmp_path, synthetic_lasot, TRAIN__NUM_WORKER=0)
    assert_same_as_straight(straight, tmp_path, first_epoch=1)


def test_negative_control_without_rng_restore_differs(tmp_path, straight, synthetic_lasot):
    """The comparison can fail: skipping the RNG restore changes the decoder's dropout masks."""
    train(tmp_path, synthetic_lasot, resume=str(straight / "kept" / "SEQTRACK_ep0002_s00000024.pth.tar"),
          restore_rng=False)
    assert figures(tmp_path, "epoch")[(2, 48)] != figures(straight, "epoch")[(2, 48)]
    assert not weights_equal(final_weights(tmp_path, 3), final_weights(straight, 3))


def test_auto_skips_a_truncated_newest_checkpoint(tmp_path, straight, synthetic_lasot):
    target = paths(tmp_path).checkpoint_dir
    target.mkdir(parents=True)
    for epoch in (1, 2):
        shutil.copy2(checkpoint(straight, epoch), target)
    newest = target / "SEQTRACK_ep0002.pth.tar"
    newest.write_bytes(newest.read_bytes()[:1000])
    train(tmp_path, synthetic_lasot, resume="auto")
    log = paths(tmp_path).log_file.read_text()
    assert "skipping SEQTRACK_ep0002.pth.tar" in log and "truncated" in log
    assert "SEQTRACK_ep0001.pth.tar at epoch 1, sample 0" in log
    assert weights_equal(final_weights(tmp_path, 3), final_weights(straight, 3))


def test_auto_without_checkpoints_starts_fresh(tmp_path, synthetic_lasot):
    trainer = train(tmp_path, synthetic_lasot, resume="auto", TRAIN__EPOCH=1)
    assert trainer.epoch == 1 and checkpoint(tmp_path, 1).is_file()


def test_other_architecture_is_refused_with_the_keys_named(tmp_path, straight, synthetic_lasot):
    with pytest.raises(CheckpointError, match=r"MODEL.DECODER.DEC_LAYERS: 1 -> 2"):
        train(tmp_path, synthetic_lasot, resume=str(checkpoint(straight, 1)), MODEL__DECODER__DEC_LAYERS=2)


def test_a_finished_run_resumed_trains_nothing(tmp_path, straight, synthetic_lasot):
    trainer = train(tmp_path, synthetic_lasot, resume=str(checkpoint(straight, 3)))
    assert trainer.epoch == 3 and not checkpoint(tmp_path, 3).exists()


@pytest.fixture(scope="module")
def straight_bf16(tmp_path_factory, synthetic_lasot):
    """Three epochs in bf16 (TRAIN.AMP; forced where the CPU would only emulate bf16), checkpoints kept."""
    run = tmp_path_factory.mktemp("straight_bf16")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("SEQTRACK_CPU_BF16", "force")
        cfg = tiny_config(FAST, TRAIN__AMP=True, TRAIN__CHECKPOINT_INTERVAL_SAMPLES=24)
        run_training(cfg, "seqtrack_tiny", run, lasot_dir=str(synthetic_lasot),
                     checkpoint_hooks=[keep_copies(run / "kept")])
    return run


@pytest.mark.parametrize("start", ["SEQTRACK_ep0001.pth.tar", "SEQTRACK_ep0002_s00000024.pth.tar"])
def test_a_bf16_run_resumed_is_exact(tmp_path, straight_bf16, straight, synthetic_lasot, monkeypatch, start):
    monkeypatch.setenv("SEQTRACK_CPU_BF16", "force")
    train(tmp_path, synthetic_lasot, resume=str(straight_bf16 / "kept" / start), TRAIN__AMP=True)
    first = (2, 32) if "_s" in start else (2, 0)
    expected = {k: v for k, v in figures(straight_bf16, "interval").items() if k >= first}
    assert expected and figures(tmp_path, "interval") == expected
    assert weights_equal(final_weights(tmp_path, 3), final_weights(straight_bf16, 3))
    assert "Precision: bf16" in paths(tmp_path).log_file.read_text()
    # ... and it trained in bf16: the fp32 straight run (same config otherwise) ends elsewhere
    assert not weights_equal(final_weights(straight_bf16, 3), final_weights(straight, 3))
