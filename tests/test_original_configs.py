"""The original's eight configs (their dataset mixes and values) load, and what DATA.TRAIN.CLASSES does to a mix."""

from __future__ import annotations

import pytest

from lib.config.seqtrack.config import ConfigError, config_path, load_config
from lib.test.tracker.seqtrack import TrackerParams
from lib.train.data.builder import mixed_datasets

MIX = ("LASOT", "GOT10K_vottrain", "COCO17", "TRACKINGNET")
# The original's experiments/seqtrack/*.yaml (shared/data/original/DATASETS.md, section 4).
ORIGINAL = {
    "seqtrack_b256": (MIX, (1, 1, 1, 1), 60000, 16),
    "seqtrack_b384": (MIX, (1, 1, 1, 1), 60000, 8),
    "seqtrack_l256": (MIX, (1, 1, 1, 1), 60000, 8),
    "seqtrack_l384": (MIX, (1, 1, 1, 1), 60000, 8),
    **{f"seqtrack_{n}_got": (("GOT10K_train_full",), (1,), 30000, 8) for n in ("b256", "b384", "l256", "l384")},
}


@pytest.mark.parametrize("name", sorted(ORIGINAL))
def test_the_original_configs_load_with_their_values(name):
    names, ratios, samples, batch = ORIGINAL[name]
    cfg = load_config(config_path(name))
    train = cfg.DATA.TRAIN
    assert (train.DATASETS_NAME, train.DATASETS_RATIO, train.SAMPLE_PER_EPOCH) == (names, ratios, samples)
    assert cfg.TRAIN.BATCH_SIZE == batch
    assert (cfg.TRAIN.EPOCH, cfg.TRAIN.LR_DROP_EPOCH, cfg.DATA.MAX_SAMPLE_INTERVAL) == (500, 400, 400)
    assert (cfg.DATA.TEMPLATE.NUMBER, cfg.DATA.SEARCH.NUMBER, cfg.DATA.SAMPLER_MODE) == (2, 1, "order")
    size = 384 if "384" in name else 256
    assert cfg.DATA.SEARCH.SIZE == cfg.DATA.TEMPLATE.SIZE == cfg.TEST.SEARCH_SIZE == size
    assert cfg.MODEL.ENCODER.TYPE == ("vit_large_patch16" if "_l" in name else "vit_base_patch16")
    assert mixed_datasets(cfg) == list(zip(names, ratios))


def test_classes_train_on_those_lasot_classes_alone_unless_mixed_in():
    cfg = load_config(config_path("seqtrack_b256"), {"DATA.TRAIN.CLASSES": ["mouse", "electricfan"]})
    assert mixed_datasets(cfg) == [("LASOT", 1)]  # the users' two-class workflow: the same one command
    mixed = load_config(config_path("seqtrack_b256"), {"DATA.TRAIN.CLASSES": ["mouse"],
                                                       "DATA.TRAIN.CLASSES_ONLY": False})
    assert mixed_datasets(mixed) == list(zip(MIX, (1, 1, 1, 1)))


def test_mix_errors_name_the_problem():
    with pytest.raises(ConfigError, match="IMAGENET1K holds class labels but no boxes"):
        load_config(None, {"DATA.TRAIN.DATASETS_NAME": ["LASOT", "IMAGENET1K"], "DATA.TRAIN.DATASETS_RATIO": [1, 1]})
    with pytest.raises(ConfigError, match="does not list LASOT"):
        load_config(config_path("seqtrack_b256_got"), {"DATA.TRAIN.CLASSES": ["mouse"]})
    with pytest.raises(ConfigError, match="GOT10K_official_val"):
        load_config(None, {"DATA.TRAIN.DATASETS_NAME": ["GOT10K_official_val"]})  # the original refuses it too
    with pytest.raises(ConfigError, match="differ in length"):
        load_config(None, {"DATA.TRAIN.DATASETS_NAME": ["LASOT", "COCO17"]})


def test_benchmarks_without_their_own_update_interval_use_default():
    cfg = load_config(config_path("seqtrack_b256"), {"TEST.UPDATE_INTERVALS.DEFAULT": [30]})
    assert TrackerParams.from_config(cfg, "UAV").update_intervals == (30,)
    assert TrackerParams.from_config(cfg, "TNL2K").update_intervals == (25,)
    assert TrackerParams.from_config(cfg, "GOT10K_TEST").update_intervals == (200,)
