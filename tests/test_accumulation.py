"""Gradient accumulation (TRAIN.ACCUM_STEPS): k micro-batches of B give the gradients of one batch of k*B; epochs,
logs and checkpoints stay in samples, at optimizer-step boundaries; a resumed run is exact."""

from __future__ import annotations

import shutil

import pytest
import torch
from configs import FAST, tiny_config
from e2e import checkpoint, figures, final_weights, paths, weights_equal

from lib.checkpoint.io import CheckpointError
from lib.checkpoint.paths import RunPaths
from lib.config.seqtrack.config import ConfigError
from lib.models.seqtrack import build_seqtrack
from lib.train.actors.seqtrack import build_actor
from lib.train.benchmarking import build_trainer, random_batch
from lib.train.optim import build_optimizer
from lib.train.run_training import run_training
from lib.train.trainers.ltr_trainer import LTRTrainer
from lib.utils.distributed import DistInfo
from lib.utils.seeding import seed_everything

# Batch 8 x 2 micro-batches: optimizer steps of 16 samples, 3 per epoch of 48 (boundaries at 16, 32, 48). The log
# and checkpoint interval of 24 falls inside the second step: both come at its end, sample 32.
ACCUM = {**FAST, "TRAIN.ACCUM_STEPS": 2, "TRAIN.LOG_INTERVAL_SAMPLES": 24, "TRAIN.CHECKPOINT_INTERVAL_SAMPLES": 24}
NO_NOISE = {"MODEL.DECODER.DROPOUT": 0.0, "MODEL.ENCODER.DROP_PATH": 0.0, "TRAIN.GRAD_CLIP_NORM": 0.0}
MID_EPOCH = "SEQTRACK_ep0002_s00000032.pth.tar"


def run(save_dir, lasot_dir, *presets, resume=None, hooks=(), **overrides):
    cfg = tiny_config(*presets, **overrides)
    return run_training(cfg, "seqtrack_tiny", save_dir, resume=resume, lasot_dir=str(lasot_dir),
                        checkpoint_hooks=hooks)


def gradients(trainer: LTRTrainer) -> dict:
    return {name: p.grad.clone() for name, p in trainer.bare_net.named_parameters() if p.grad is not None}


@pytest.fixture(scope="module")
def straight(tmp_path_factory, synthetic_lasot):
    """Three epochs with ACCUM_STEPS 2, every checkpoint copied aside (mid-epoch ones are pruned in the run)."""
    save_dir = tmp_path_factory.mktemp("accum_straight")
    kept = save_dir / "kept"
    kept.mkdir()
    trainer = run(save_dir, synthetic_lasot, ACCUM, hooks=[lambda path, state: shutil.copy2(path, kept / path.name)])
    return save_dir, trainer


# ------------------------------------------------------------------------------------------------ the gradients


def test_two_micro_batches_of_4_give_the_gradients_of_one_batch_of_8(tmp_path, synthetic_lasot):
    """One optimizer step over the same 8 samples (dropout, drop-path and clipping off), through the epoch loop."""
    one_step = {**FAST, **NO_NOISE, "DATA.TRAIN.SAMPLE_PER_EPOCH": 8, "TRAIN.EPOCH": 1}
    whole = run(tmp_path / "whole", synthetic_lasot, one_step, TRAIN__BATCH_SIZE=8)
    micro = run(tmp_path / "micro", synthetic_lasot, one_step, TRAIN__BATCH_SIZE=4, TRAIN__ACCUM_STEPS=2)
    assert whole.global_step == micro.global_step == 1
    expected, accumulated = gradients(whole), gradients(micro)
    assert expected.keys() == accumulated.keys() and len(expected) > 10
    for name, grad in expected.items():
        torch.testing.assert_close(accumulated[name], grad, rtol=1e-4, atol=1e-6, msg=name)
    first = next(iter(expected))  # not trivially equal: the gradients are not zero
    assert expected[first].abs().sum() > 0


@pytest.fixture
def single_process_group(tmp_path):
    torch.distributed.init_process_group("gloo", init_method=f"file://{tmp_path / 'store'}", rank=0, world_size=1)
    yield
    torch.distributed.destroy_process_group()


def ddp_trainer(cfg, save_dir) -> LTRTrainer:
    seed_everything(cfg.TRAIN.SEED)
    net = build_seqtrack(cfg, load_pretrained=False)
    optimizer, lr_scheduler = build_optimizer(cfg, net, torch.device("cpu"))
    ddp_net = torch.nn.parallel.DistributedDataParallel(net)
    return LTRTrainer(build_actor(cfg, ddp_net), None, None, optimizer, lr_scheduler,
                      torch.amp.GradScaler("cpu", enabled=False), cfg, RunPaths(save_dir, "seqtrack_tiny"), DistInfo(),
                      torch.device("cpu"))


def test_ddp_all_reduces_only_in_the_last_micro_batch(tmp_path, single_process_group):
    cfg = tiny_config(FAST, NO_NOISE, TRAIN__BATCH_SIZE=4, TRAIN__ACCUM_STEPS=2)
    trainer = ddp_trainer(cfg, tmp_path)
    syncing = []
    forward = trainer.actor.__call__
    trainer.actor = lambda batch: (syncing.append(trainer.net.require_backward_grad_sync), forward(batch))[1]
    batch = random_batch(cfg, 8, torch.Generator().manual_seed(0))
    halves = [{key: value[:, part * 4:(part + 1) * 4] for key, value in batch.items()} for part in range(2)]
    trainer.net.train()
    for position, half in enumerate(halves):
        trainer.accumulate(half, position, 2)
    assert syncing == [False, True]
    reference = build_trainer(tiny_config(FAST, NO_NOISE), "seqtrack_tiny", tmp_path)  # same seed, same weights
    reference.accumulate(batch, 0, 1)
    for name, grad in gradients(reference).items():
        torch.testing.assert_close(gradients(trainer)[name], grad, rtol=1e-4, atol=1e-6, msg=name)


# ------------------------------------------------------------------------------------------- epochs and samples


def test_sample_indices_do_not_depend_on_accumulation(tmp_path):
    orders = {}
    for batch_size, accum in ((8, 1), (4, 2), (2, 4)):
        trainer = build_trainer(tiny_config(FAST, TRAIN__BATCH_SIZE=batch_size, TRAIN__ACCUM_STEPS=accum),
                                "seqtrack_tiny", tmp_path)
        orders[batch_size, accum] = [i for batch in trainer.batch_sampler(16) for i in batch]
    assert orders[8, 1] == orders[4, 2] == orders[2, 4] == list(range(16, 48))


def test_epoch_is_rounded_down_to_whole_optimizer_steps(tmp_path, caplog):
    cfg = tiny_config(FAST, **{"DATA__TRAIN__SAMPLE_PER_EPOCH": 40, "TRAIN__ACCUM_STEPS": 2})
    with caplog.at_level("WARNING"):
        trainer = build_trainer(cfg, "seqtrack_tiny", tmp_path)
    assert (trainer.step_samples, trainer.num_steps, trainer.num_batches, trainer.epoch_samples) == (16, 2, 4, 32)
    assert "not a multiple of the samples of one optimizer step 16" in caplog.text
    assert "epochs train 32 samples" in caplog.text
    with pytest.raises(ConfigError, match=r"ACCUM_STEPS 2 = 16"):
        build_trainer(tiny_config(FAST, DATA__TRAIN__SAMPLE_PER_EPOCH=8, TRAIN__ACCUM_STEPS=2), "seqtrack_tiny",
                      tmp_path)


def test_log_counts_samples_and_global_step_counts_optimizer_steps(straight):
    save_dir, trainer = straight
    intervals = figures(save_dir, "interval")
    # The interval of 24 samples ends inside the step that ends at 32: the line comes at 32, then at 48.
    assert sorted(intervals) == [(epoch, samples) for epoch in (1, 2, 3) for samples in (32, 48)]
    assert [intervals[key]["global_step"] for key in sorted(intervals)] == [2, 3, 5, 6, 8, 9]
    epochs = figures(save_dir, "epoch")
    assert sorted(epochs) == [(1, 48), (2, 48), (3, 48)]
    assert [epochs[key]["global_step"] for key in sorted(epochs)] == [3, 6, 9]
    assert trainer.global_step == 9
    log = paths(save_dir).log_file.read_text()
    assert "Epoch 1 : 32 / 48 samples , time for last 32 samples" in log
    assert "Epoch 1 : 48 / 48 samples , time for last 16 samples" in log


def test_checkpoint_interval_between_boundaries_is_taken_at_the_next_one(straight):
    save_dir, _ = straight
    kept = sorted(path.name for path in (save_dir / "kept").glob("*_s*"))
    assert kept == [f"SEQTRACK_ep000{epoch}_s00000032.pth.tar" for epoch in (1, 2, 3)]
    state = torch.load(save_dir / "kept" / MID_EPOCH, map_location="cpu", weights_only=True)
    assert (state["samples_in_epoch"], state["global_step"]) == (32, 5)
    assert "taken at the first step boundary after its multiple" in paths(save_dir).log_file.read_text()


# ---------------------------------------------------------------------------------------------------- resuming


def test_resume_from_epoch_checkpoint_is_exact(tmp_path, straight, synthetic_lasot):
    save_dir, _ = straight
    run(tmp_path, synthetic_lasot, ACCUM, resume=str(checkpoint(save_dir, 1)))
    for kind in ("interval", "epoch"):
        expected = {key: value for key, value in figures(save_dir, kind).items() if key[0] >= 2}
        assert figures(tmp_path, kind) == expected, kind
    assert weights_equal(final_weights(tmp_path, 3), final_weights(save_dir, 3))


def test_resume_from_mid_epoch_checkpoint_is_exact(tmp_path, straight, synthetic_lasot):
    save_dir, _ = straight
    run(tmp_path, synthetic_lasot, ACCUM, resume=str(save_dir / "kept" / MID_EPOCH))
    intervals = figures(tmp_path, "interval")
    assert min(intervals) == (2, 48)
    assert intervals == {key: value for key, value in figures(save_dir, "interval").items() if key >= (2, 48)}
    assert figures(tmp_path, "epoch") == {key: value for key, value in figures(save_dir, "epoch").items()
                                          if key[0] >= 2}
    assert weights_equal(final_weights(tmp_path, 3), final_weights(save_dir, 3))


def test_resume_between_step_boundaries_is_refused(tmp_path, straight, synthetic_lasot):
    """Sample 32 is no boundary of steps of 24 samples (ACCUM_STEPS 3): the run stops instead of splitting a step."""
    save_dir, _ = straight
    with pytest.raises(CheckpointError, match=r"sample 32 of its epoch, which is not a boundary .* 24 samples"):
        run(tmp_path, synthetic_lasot, ACCUM, resume=str(save_dir / "kept" / MID_EPOCH), TRAIN__ACCUM_STEPS=3)
