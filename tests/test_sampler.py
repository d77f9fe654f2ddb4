"""The sampler: a sample is a pure function of (epoch seed, index), whatever the worker count."""

from __future__ import annotations

import random

import numpy as np
import pytest
import torch
from configs import tiny_config
from torch.utils.data import DataLoader

from lib.config.seqtrack.config import ConfigError
from lib.data.errors import DatasetError
from lib.data.synthetic.lasot import make_synthetic_lasot
from lib.train.data.builder import build_train_dataset, collate_frames_first
from lib.train.data.sampler import sample_frame_ids_order, sample_rng

KEYS = ("template_images", "template_anno", "search_images", "search_anno", "search_visible")


SHORT = {"DATA.TRAIN.SAMPLE_PER_EPOCH": 16}


@pytest.fixture(scope="module")
def sampler(synthetic_lasot):
    return build_train_dataset(tiny_config(SHORT), synthetic_lasot)


def same(a: dict, b: dict) -> bool:
    return all(torch.equal(a[k], b[k]) for k in KEYS)


def test_same_seed_and_index_give_identical_samples(sampler, synthetic_lasot):
    sampler.set_epoch_seed(11)
    first = sampler[5]
    other_instance = build_train_dataset(tiny_config(SHORT), synthetic_lasot)
    other_instance.set_epoch_seed(11)
    sampler[6]  # drawing other items in between changes nothing
    assert same(first, sampler[5]) and same(first, other_instance[5])


def test_global_random_generators_are_neither_used_nor_consumed(sampler):
    sampler.set_epoch_seed(2)
    random.seed(1), np.random.seed(1), torch.manual_seed(1)
    states = (random.getstate(), np.random.get_state()[1].copy(), torch.get_rng_state())
    first = sampler[3]
    assert random.getstate() == states[0] and np.array_equal(np.random.get_state()[1], states[1])
    assert torch.equal(torch.get_rng_state(), states[2])
    random.seed(99), np.random.seed(99), torch.manual_seed(99)
    assert same(first, sampler[3])


def test_other_index_or_epoch_seed_gives_other_samples(sampler):
    sampler.set_epoch_seed(11)
    first = sampler[5]
    assert not same(first, sampler[4])
    sampler.set_epoch_seed(12)
    assert not same(first, sampler[5])


def test_sample_shapes_and_visibility(sampler):
    sampler.set_epoch_seed(0)
    sample = sampler[0]
    assert sample["template_images"].shape == (2, 3, 64, 64) and sample["search_images"].shape == (1, 3, 64, 64)
    assert sample["template_anno"].shape == (2, 4) and sample["search_anno"].shape == (1, 4)
    assert sample["search_visible"].tolist() == [True]
    assert len(sampler) == 16
    with pytest.raises(IndexError):
        sampler[16]


def test_epoch_seed_must_be_a_non_negative_int(sampler):
    for bad in (-1, 1.5, "3", True):
        with pytest.raises(ValueError):
            sampler.set_epoch_seed(bad)


def test_workers_do_not_change_the_samples(sampler):
    sampler.set_epoch_seed(3)
    batches = {}
    for workers in (0, 2):
        loader = DataLoader(sampler, batch_size=4, num_workers=workers, collate_fn=collate_frames_first)
        batches[workers] = list(loader)
    assert len(batches[0]) == len(batches[2]) == 4
    for serial, parallel in zip(batches[0], batches[2]):
        assert serial["template_images"].shape == (2, 4, 3, 64, 64)  # (frames, B, C, H, W)
        assert serial["search_anno"].shape == (1, 4, 4) and serial["search_visible"].shape == (1, 4)
        assert same(serial, parallel)


def test_frames_are_visible_close_and_ordered(sampler):
    dataset = sampler.datasets[0]
    directions = set()
    for index in range(30):
        drawn = sampler.draw_frames(sample_rng(7, index))
        ids = drawn["frame_ids"]
        seq_id = dataset.sequence_list.index(drawn["sequence"])
        visible = dataset.get_sequence_info(seq_id)["visible"]
        assert all(bool(visible[i]) for i in ids)
        assert max(ids) - min(ids) <= 2 * sampler.max_gap
        assert ids in (sorted(ids), sorted(ids, reverse=True))
        if ids[0] != ids[-1]:
            directions.add(ids[0] < ids[-1])
        assert len(drawn["template_images"]) == 2 and len(drawn["search_images"]) == 1
    assert directions == {True, False}  # both orders occur


def test_frame_ids_within_the_interval():
    visible = np.array([0, 1, 2, 50, 51, 52, 53, 100])
    for index in range(40):
        ids = sample_frame_ids_order(visible, 3, 2, sample_rng(0, index))
        assert len(ids) == 3 and max(ids) - min(ids) <= 4 and set(ids) <= set(visible.tolist())
    assert sample_frame_ids_order(np.array([7]), 3, 0, sample_rng(0, 0)) == [7, 7, 7]


def test_sequences_too_short_to_sample_are_an_error(tmp_path):
    make_synthetic_lasot(tmp_path, ["zebra"], sequences=20, frames=12, size=(64, 48), seed=0, workers=1)
    with pytest.raises(DatasetError, match="at least 20 frames"):
        build_train_dataset(tiny_config(SHORT, **{"DATA.TRAIN.CLASSES": ["zebra"]}), tmp_path)


def test_config_rejects_what_is_not_built():
    with pytest.raises(ConfigError, match="SAMPLER_MODE' must be one of 'order'"):
        tiny_config(SHORT, **{"DATA.SAMPLER_MODE": "causal"})
    with pytest.raises(ConfigError, match="DATASETS_NAME\\[0\\]' must be one of 'LASOT'"):
        tiny_config(SHORT, **{"DATA.TRAIN.DATASETS_NAME": ["GOT10K"]})
