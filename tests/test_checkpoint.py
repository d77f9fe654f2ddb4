"""Checkpoint files: atomic writes, weights_only loads, truncation, and the newest valid one."""

from __future__ import annotations

import random

import numpy as np
import pytest
import torch
from e2e import read_only

from lib.checkpoint.io import (
    FORMAT_VERSION,
    NET_TYPE,
    CheckpointError,
    CheckpointPosition,
    checkpoint_name,
    find_latest_valid,
    list_checkpoints,
    load_checkpoint,
    parse_checkpoint_name,
    save_atomic,
)
from lib.utils.seeding import capture_rng_state, derive_epoch_seed, restore_rng_state


def state(epoch, value=0.0):
    return {"format_version": FORMAT_VERSION, "net_type": NET_TYPE, "epoch": epoch,
            "net": {"w": torch.full((3,), value)}, "rng": capture_rng_state()}


def test_names_sort_and_parse():
    assert checkpoint_name(5) == "SEQTRACK_ep0005.pth.tar"
    assert checkpoint_name(3, 200) == "SEQTRACK_ep0003_s00000200.pth.tar"
    assert parse_checkpoint_name("SEQTRACK_ep0003_s00000200.pth.tar") == CheckpointPosition(2, 200)
    assert parse_checkpoint_name("SEQTRACK_ep0003_s00000200.pth.tar").epoch == 3
    assert parse_checkpoint_name("SEQTRACK_ep0002.pth.tar") < parse_checkpoint_name("SEQTRACK_ep0003_s00000008.pth.tar")
    assert parse_checkpoint_name("SEQTRACK_ep0003_s00000008.pth.tar") < parse_checkpoint_name("SEQTRACK_ep0003.pth.tar")
    assert parse_checkpoint_name("notes.txt") is None


def test_save_then_load_with_weights_only(tmp_path):
    path = tmp_path / checkpoint_name(1)
    save_atomic(state(1, 2.0), path)
    loaded = load_checkpoint(path)
    assert torch.equal(loaded["net"]["w"], torch.full((3,), 2.0))
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


class Settings:
    """Stands for the pickled settings objects of the original's checkpoints."""


def test_pickled_object_is_refused(tmp_path):
    path = tmp_path / "evil.pth.tar"
    torch.save({"net": {}, "net_type": NET_TYPE, "format_version": FORMAT_VERSION, "settings": Settings()}, path)
    with pytest.raises(CheckpointError, match="truncated, corrupted or not a checkpoint"):
        load_checkpoint(path)


def test_truncated_file_is_a_clear_error_and_auto_falls_back(tmp_path):
    save_atomic(state(1, 1.0), tmp_path / checkpoint_name(1))
    save_atomic(state(2, 2.0), tmp_path / checkpoint_name(2))
    newest = tmp_path / checkpoint_name(2)
    newest.write_bytes(newest.read_bytes()[: newest.stat().st_size // 2])
    with pytest.raises(CheckpointError, match="SEQTRACK_ep0002.pth.tar is truncated"):
        load_checkpoint(newest)
    path, loaded = find_latest_valid(tmp_path)
    assert path.name == checkpoint_name(1) and loaded["epoch"] == 1


def test_failed_write_keeps_earlier_checkpoints(tmp_path):
    save_atomic(state(1, 1.0), tmp_path / checkpoint_name(1))
    before = (tmp_path / checkpoint_name(1)).read_bytes()
    with pytest.raises(CheckpointError, match="cannot write checkpoint"):
        save_atomic({"bad": lambda: None}, tmp_path / checkpoint_name(1))  # not picklable mid-write
    assert (tmp_path / checkpoint_name(1)).read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == [checkpoint_name(1)]


def test_read_only_directory_fails_clearly_and_keeps_earlier_checkpoints(tmp_path):
    save_atomic(state(1, 1.0), tmp_path / checkpoint_name(1))
    before = (tmp_path / checkpoint_name(1)).read_bytes()
    with read_only(tmp_path):
        with pytest.raises(CheckpointError, match="cannot write checkpoint .*SEQTRACK_ep0002.pth.tar"):
            save_atomic(state(2), tmp_path / checkpoint_name(2))
        with pytest.raises(CheckpointError, match="cannot write checkpoint"):
            save_atomic(state(1, 5.0), tmp_path / checkpoint_name(1))  # overwriting is refused too
    assert list_checkpoints(tmp_path) == [tmp_path / checkpoint_name(1)]
    assert (tmp_path / checkpoint_name(1)).read_bytes() == before


def test_foreign_format_is_named(tmp_path):
    path = tmp_path / "x.pth.tar"
    torch.save({"net": {}, "net_type": NET_TYPE, "epoch": 500}, path)
    with pytest.raises(CheckpointError, match="format None"):
        load_checkpoint(path)
    with pytest.raises(CheckpointError, match="not found"):
        load_checkpoint(tmp_path / "missing.pth.tar")


def test_rng_state_round_trip_through_a_weights_only_file(tmp_path):
    random.seed(1), np.random.seed(2), torch.manual_seed(3)
    np.random.standard_normal()  # leave a cached Gaussian in NumPy's state
    snapshot = capture_rng_state()
    expected = (random.random(), np.random.standard_normal(), torch.rand(2))
    torch.save(snapshot, tmp_path / "rng.pt")
    random.seed(9), np.random.seed(9), torch.manual_seed(9)
    restore_rng_state(torch.load(tmp_path / "rng.pt", weights_only=True))
    again = (random.random(), np.random.standard_normal(), torch.rand(2))
    assert expected[0] == again[0] and expected[1] == again[1] and torch.equal(expected[2], again[2])


def test_epoch_seeds_differ_by_epoch_unless_fixed():
    seeds = {derive_epoch_seed(42, e) for e in range(1, 50)}
    assert len(seeds) == 49
    assert derive_epoch_seed(42, 3) == derive_epoch_seed(42, 3)
    assert derive_epoch_seed(42, 3, "fixed") == derive_epoch_seed(42, 7, "fixed") == 42
