"""Training on a mix of three generated datasets (LaSOT, TrackingNet, COCO): the dataset of each sample follows
DATASETS_RATIO, every sample is a pure function of (seed, epoch, index), and exact resume holds with the mix."""

from __future__ import annotations

import shutil
from collections import Counter

import pytest
from configs import FAST, tiny_config
from e2e import CONFIG, checkpoint, figures, final_weights, paths, weights_equal

from lib.data.errors import DatasetError
from lib.data.synthetic.coco import make_synthetic_coco
from lib.data.synthetic.trackingnet import make_synthetic_trackingnet
from lib.train.data.builder import build_train_dataset
from lib.train.run_training import run_training

# seqtrack_tiny chooses two LaSOT classes: CLASSES_ONLY False mixes them with the other two datasets
MIX = {"DATA.TRAIN.DATASETS_NAME": ["LASOT", "TRACKINGNET", "COCO17"], "DATA.TRAIN.DATASETS_RATIO": [2, 1, 1],
       "DATA.TRAIN.CLASSES_ONLY": False}


@pytest.fixture(scope="module")
def roots(tmp_path_factory, synthetic_lasot) -> dict:
    trackingnet = make_synthetic_trackingnet(tmp_path_factory.mktemp("trackingnet"), sets=(0, 1), sequences=3,
                                             frames=40, size=(160, 120), seed=1)
    coco = make_synthetic_coco(tmp_path_factory.mktemp("coco"), images=10, size=(160, 120), seed=2)
    return {"lasot": synthetic_lasot, "trackingnet": trackingnet, "coco": coco}


def _train(save_dir, roots, resume=None, **overrides):
    cfg = tiny_config(FAST, MIX, **overrides)
    return run_training(cfg, CONFIG, save_dir, resume=resume, data_roots=roots)


@pytest.fixture(scope="module")
def straight(tmp_path_factory, roots):
    """Three epochs on the mix, 2 DataLoader workers, a mid-epoch checkpoint every 24 samples (all kept)."""
    run = tmp_path_factory.mktemp("straight_mix")
    kept = run / "kept"
    kept.mkdir()
    cfg = tiny_config(FAST, MIX, TRAIN__NUM_WORKER=2, TRAIN__CHECKPOINT_INTERVAL_SAMPLES=24)
    run_training(cfg, CONFIG, run, data_roots=roots,
                 checkpoint_hooks=[lambda path, state: shutil.copy2(path, kept / path.name)])
    return run


def test_the_dataset_of_each_sample_follows_the_ratios(roots):
    sampler = build_train_dataset(tiny_config(FAST, MIX, DATA__TRAIN__SAMPLE_PER_EPOCH=400), data_roots=roots)
    sampler.set_epoch_seed(7)
    drawn = Counter(sampler.draw_frames(_rng(7, i))["dataset"] for i in range(400))
    assert set(drawn) == {"LASOT", "TRACKINGNET", "COCO17"}
    assert 0.42 < drawn["LASOT"] / 400 < 0.58 and 0.18 < drawn["COCO17"] / 400 < 0.32
    sample = sampler[3]
    again = build_train_dataset(tiny_config(FAST, MIX, DATA__TRAIN__SAMPLE_PER_EPOCH=400), data_roots=roots)
    again.set_epoch_seed(7)
    assert all((sample[k] == again[3][k]).all() for k in ("template_images", "search_images", "search_anno"))


def _rng(seed, index):
    from lib.train.data.sampler import sample_rng

    return sample_rng(seed, index)


def test_a_coco_sample_repeats_its_one_image(roots):
    sampler = build_train_dataset(tiny_config(FAST, MIX, DATA__TRAIN__SAMPLE_PER_EPOCH=400), data_roots=roots)
    index = next(i for i in range(400) if sampler.draw_frames(_rng(0, i))["dataset"] == "COCO17")
    frames = sampler.draw_frames(_rng(0, index))
    assert frames["frame_ids"] == [0, 0, 0]
    assert frames["template_images"][0] is frames["search_images"][0]  # one image, decoded once


def test_resume_from_an_epoch_checkpoint_of_the_mix_is_exact(tmp_path, straight, roots):
    _train(tmp_path, roots, resume=str(checkpoint(straight, 1)), TRAIN__NUM_WORKER=2)
    for kind in ("interval", "epoch"):
        expected = {k: v for k, v in figures(straight, kind).items() if k[0] >= 2}
        assert expected and figures(tmp_path, kind) == expected, kind
    assert weights_equal(final_weights(tmp_path, 3), final_weights(straight, 3))


def test_resume_from_a_mid_epoch_checkpoint_of_the_mix_is_exact(tmp_path, straight, roots):
    _train(tmp_path, roots, resume=str(straight / "kept" / "SEQTRACK_ep0002_s00000024.pth.tar"), TRAIN__NUM_WORKER=0)
    expected = figures(straight, "interval")
    assert figures(tmp_path, "interval") == {k: v for k, v in expected.items() if k >= (2, 32)}
    assert weights_equal(final_weights(tmp_path, 3), final_weights(straight, 3))
    log = paths(tmp_path).log_file.read_text()
    assert "LaSOT mouse, electricfan (50%), TRACKINGNET" in log and "COCO17" in log


def test_a_missing_root_of_the_mix_is_named(tmp_path, roots):
    with pytest.raises(DatasetError, match=r"TrackingNet|TRACKINGNET.*does not exist"):
        build_train_dataset(tiny_config(FAST, MIX), data_roots={**roots, "trackingnet": tmp_path / "nowhere"})
