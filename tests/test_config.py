"""The defaults tree, YAML overrides and --opts: unknown keys and wrong types are named errors."""

from __future__ import annotations

import pytest

from lib.config.seqtrack.config import (
    ConfigError,
    available_configs,
    config_from_dict,
    config_path,
    default_config,
    load_config,
)


def write(tmp_path, text):
    path = tmp_path / "exp.yaml"
    path.write_text(text)
    return path


@pytest.mark.parametrize("name", ["seqtrack_b256", "seqtrack_b384", "seqtrack_l256", "seqtrack_l384",
                                  "seqtrack_tiny"])
def test_every_shipped_yaml_loads(name):
    cfg = load_config(config_path(name))
    assert cfg.MODEL.BINS > 0
    assert name in available_configs()


def test_b256_values_follow_the_original():
    cfg = load_config(config_path("seqtrack_b256"))
    assert (cfg.TRAIN.BATCH_SIZE, cfg.TRAIN.EPOCH, cfg.TRAIN.LR_DROP_EPOCH) == (16, 500, 400)
    assert cfg.DATA.TRAIN.SAMPLE_PER_EPOCH == 60000 and cfg.DATA.MAX_SAMPLE_INTERVAL == 400
    assert cfg.MODEL.DECODER.DEC_LAYERS == 2 and cfg.MODEL.BINS == 4000
    assert cfg.TRAIN.LOG_INTERVAL_SAMPLES == 50 and cfg.TRAIN.ENCODER_MULTIPLIER == 0.1


def test_unknown_key_names_file_key_and_closest(tmp_path):
    path = write(tmp_path, "TRAIN:\n  LRR: 0.1\n")
    with pytest.raises(ConfigError) as err:
        load_config(path)
    message = str(err.value)
    assert str(path) in message and "TRAIN.LRR" in message and "TRAIN.LR'" in message


def test_unknown_section_is_an_error(tmp_path):
    with pytest.raises(ConfigError, match="unknown key 'TRAN'.*did you mean 'TRAIN'"):
        load_config(write(tmp_path, "TRAN:\n  LR: 0.1\n"))


def test_scientific_string_is_coerced_but_text_is_refused(tmp_path):
    assert load_config(write(tmp_path, "TRAIN:\n  LR: 1e-4\n")).TRAIN.LR == pytest.approx(1e-4)
    with pytest.raises(ConfigError, match="TRAIN.LR.*float.*'abc'"):
        load_config(write(tmp_path, "TRAIN:\n  LR: abc\n"))


@pytest.mark.parametrize("text,match", [
    ("TRAIN:\n  BATCH_SIZE: 2.5\n", "BATCH_SIZE.*int"),
    ("TRAIN:\n  AMP: 1\n", "AMP.*bool"),
    ("DATA:\n  TRAIN:\n    CLASSES: mouse\n", "CLASSES.*list"),
    ("DATA:\n  TRAIN:\n    CLASSES: [1, 2]\n", r"CLASSES\[0\].*str"),
    ("MODEL: 3\n", "section"),
])
def test_wrong_types_are_errors(tmp_path, text, match):
    with pytest.raises(ConfigError, match=match):
        load_config(write(tmp_path, text))


def test_opts_override_with_the_same_checks():
    cfg = load_config(config_path("seqtrack_tiny"), ["TRAIN.EPOCH", "3", "DATA.TRAIN.CLASSES", "[bear, cat]"])
    assert cfg.TRAIN.EPOCH == 3 and cfg.DATA.TRAIN.CLASSES == ("bear", "cat")
    with pytest.raises(ConfigError, match="did you mean 'TRAIN.EPOCH'"):
        load_config(config_path("seqtrack_tiny"), ["TRAIN.EPOHC", "3"])
    with pytest.raises(ConfigError, match="odd number"):
        load_config(config_path("seqtrack_tiny"), ["TRAIN.EPOCH"])


def test_config_is_read_only_and_round_trips():
    cfg = default_config()
    with pytest.raises(AttributeError):
        cfg.TRAIN.LR = 1.0
    assert config_from_dict(cfg.to_dict()).to_dict() == cfg.to_dict()


def test_unknown_config_name_lists_available():
    with pytest.raises(ConfigError, match="seqtrack_tiny.*Available"):
        config_path("seqtrack_tinny")


def test_bad_yaml_and_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(write(tmp_path, "TRAIN: [\n"))
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "missing.yaml")


def test_cross_key_checks(tmp_path):
    with pytest.raises(ConfigError, match="SEQ_FORMAT"):
        load_config(write(tmp_path, "DATA:\n  SEQ_FORMAT: cxcy\n"))
    with pytest.raises(ConfigError, match="multiple of PATCH_SIZE"):
        load_config(write(tmp_path, "DATA:\n  SEARCH:\n    SIZE: 250\n"))
