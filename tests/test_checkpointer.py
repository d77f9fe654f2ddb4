"""The Checkpointer (lib/checkpoint/checkpointer.py): save / load / close over stateful parts, the resume
rules read off the config's declared keys, pruning, and hooks."""

from __future__ import annotations

import logging

import pytest
import torch
from configs import SCRATCH, tiny_config

from lib.checkpoint.checkpointer import Checkpointer, TrainingPosition, config_differences
from lib.checkpoint.io import CheckpointError, checkpoint_name, list_checkpoints
from lib.config.seqtrack.config import architecture_keys, bookkeeping_keys
from lib.utils.distributed import DistInfo


def parts(seed: int = 0) -> dict:
    torch.manual_seed(seed)
    net = torch.nn.Linear(4, 3)
    optimizer = torch.optim.AdamW(net.parameters(), lr=1e-3)
    net(torch.randn(2, 4)).sum().backward()
    optimizer.step()
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1)
    return {"net": net, "optimizer": optimizer, "lr_scheduler": scheduler,
            "grad_scaler": torch.amp.GradScaler("cpu", enabled=False)}


def checkpointer(tmp_path, seed: int = 0, keep: int = 0, config=None) -> Checkpointer:
    config = (config or tiny_config(SCRATCH)).to_dict()
    return Checkpointer(tmp_path / "ckpt", parts(seed), config, DistInfo(), keep=keep)


def test_save_then_load_restores_every_part_the_position_and_the_rng(tmp_path):
    saver = checkpointer(tmp_path, seed=0)
    torch.manual_seed(123)
    path = saver.save(TrainingPosition(2, 16, 7), {"stats": {"x": 1}}, [{"epoch": 1}, {"epoch": 2}])
    assert path.name == checkpoint_name(3, 16)  # mid-epoch 3
    expected_next = torch.rand(3)
    loader = checkpointer(tmp_path, seed=1)
    torch.manual_seed(999)
    restored = loader.load(path, torch.load(path, weights_only=True))
    assert torch.equal(torch.rand(3), expected_next)  # the generators continue where the saved run stood
    assert restored.position == TrainingPosition(2, 16, 7) and restored.mid_epoch
    assert restored.history == [{"epoch": 1}, {"epoch": 2}] and restored.rank_state == {"stats": {"x": 1}}
    for name in ("net", "optimizer", "lr_scheduler"):
        assert str(loader.parts[name].state_dict()) == str(saver.parts[name].state_dict()), name


def test_architecture_and_bookkeeping_keys_are_read_off_the_defaults_tree():
    assert {"MODEL.HIDDEN_DIM", "MODEL.BINS", "MODEL.ENCODER.TYPE", "DATA.SEARCH.SIZE", "DATA.SEQ_FORMAT"} \
        <= architecture_keys()
    assert not {"MODEL.ENCODER.DROP_PATH", "MODEL.DECODER.DROPOUT", "MODEL.CPU_LINEAR"} & architecture_keys()
    assert {"TRAIN.EPOCH", "TRAIN.NUM_WORKER", "TRAIN.HF.REPO_ID"} <= bookkeeping_keys()


def test_differences_are_split_by_the_declared_roles():
    saved = tiny_config(SCRATCH).to_dict()
    current = tiny_config(SCRATCH, MODEL__BINS=64, MODEL__DECODER__DROPOUT=0.2, TRAIN__EPOCH=9).to_dict()
    arch, other = config_differences(saved, current)
    assert arch == ["MODEL.BINS: 32 -> 64"]
    assert other == ["MODEL.DECODER.DROPOUT: 0.1 -> 0.2"]  # resumable, with a warning; TRAIN.EPOCH is silent


def test_a_key_newer_than_the_checkpoint_is_no_difference():
    saved = tiny_config(SCRATCH).to_dict()
    del saved["DATA"]["BAD_FRAMES"], saved["MODEL"]["CPU_LINEAR"]  # keys the checkpoint's code did not have
    assert config_differences(saved, tiny_config(SCRATCH).to_dict()) == ([], [])


def test_another_architecture_is_refused_and_other_settings_warn(tmp_path, caplog):
    path = checkpointer(tmp_path).save(TrainingPosition(1), {}, [])
    state = torch.load(path, weights_only=True)
    with pytest.raises(CheckpointError, match="different architecture; differing keys: MODEL.BINS: 32 -> 64"):
        checkpointer(tmp_path, config=tiny_config(SCRATCH, MODEL__BINS=64)).load(path, state)
    with caplog.at_level(logging.WARNING):
        checkpointer(tmp_path, config=tiny_config(SCRATCH, TRAIN__LR=0.5)).load(path, state)
    assert any("TRAIN.LR: 0.001 -> 0.5" in r.getMessage() for r in caplog.records)


def test_pruning_keeps_the_newest_epochs_and_drops_older_mid_epoch_checkpoints(tmp_path):
    saver = checkpointer(tmp_path, keep=2)
    for position in (TrainingPosition(1), TrainingPosition(1, 8), TrainingPosition(2), TrainingPosition(3)):
        saver.save(position, {}, [])
    assert [p.name for p in list_checkpoints(saver.directory)] == [checkpoint_name(2), checkpoint_name(3)]


def test_hooks_see_each_checkpoint_and_close_is_passed_on(tmp_path):
    seen, closed = [], []

    class Hook:
        def __call__(self, path, state):
            seen.append((path.name, state["epoch"]))

        def close(self, interrupted):
            closed.append(interrupted)

    saver = checkpointer(tmp_path)
    saver.hooks += [Hook(), lambda path, state: seen.append(("plain", state["epoch"]))]
    saver.save(TrainingPosition(1), {}, [])
    saver.close(interrupted=True)
    assert seen == [(checkpoint_name(1), 1), ("plain", 1)] and closed == [True]
