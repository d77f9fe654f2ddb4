"""The tiny config every test builds on, and the presets the tests apply to it (one helper for all test files)."""

from __future__ import annotations

from lib.config.seqtrack.config import Config, config_path, load_config

CONFIG = "seqtrack_tiny"
# Short end-to-end runs: 6 batches of 8 per epoch, a log line every 16 samples, no DataLoader workers unless asked.
FAST = {"DATA.TRAIN.SAMPLE_PER_EPOCH": 48, "TRAIN.BATCH_SIZE": 8, "TRAIN.EPOCH": 3,
        "TRAIN.LOG_INTERVAL_SAMPLES": 16, "TRAIN.NUM_WORKER": 0, "TRAIN.LR_DROP_EPOCH": 2}
# The unit tests of the actor and the model pin the small architecture they were written for (100 bins, 8-px
# patches: 64 search tokens), so that tuning the demo's seqtrack_tiny.yaml does not change what they check.
UNIT_ARCH = {"MODEL.BINS": 100, "MODEL.ENCODER.PATCH_SIZE": 8, "MODEL.ENCODER.STRIDE": 8}
SCRATCH = {"MODEL.ENCODER.PRETRAIN_TYPE": "scratch"}  # no MAE weights, and no note saying so


def tiny_config(*presets: dict, **overrides) -> Config:
    """``seqtrack_tiny`` with ``presets`` (dicts of dotted keys) applied in order, then ``overrides`` given as
    ``KEY__SUBKEY=value`` (``TRAIN__EPOCH=2`` for ``TRAIN.EPOCH``)."""
    merged: dict = {}
    for preset in presets:
        merged.update(preset)
    merged.update({key.replace("__", "."): value for key, value in overrides.items()})
    return load_config(config_path(CONFIG), merged)
