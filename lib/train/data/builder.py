"""Build the training sample stream (LaSOT -> sampler -> processing) from the config's DATA section."""

from __future__ import annotations

import logging
from pathlib import Path

from lib.data.image_loader import ImageLoader, make_image_loader
from lib.data.lasot.train_set import Lasot
from lib.train.data.collate import collate_frames_first
from lib.train.data.processing import CropSpec, SeqTrackProcessing
from lib.train.data.sampler import TrackingSampler
from lib.utils.stage_timer import NO_TIMER

logger = logging.getLogger(__name__)

__all__ = ["build_train_dataset", "build_processing", "collate_frames_first"]


def _crop_spec(section) -> CropSpec:
    return CropSpec(size=int(section.SIZE), factor=float(section.FACTOR),
                    center_jitter=float(section.CENTER_JITTER), scale_jitter=float(section.SCALE_JITTER))


def build_processing(cfg, timer=NO_TIMER) -> SeqTrackProcessing:
    """The processing of ``cfg.DATA`` (crop sizes, factors, jitter, mean and std)."""
    data = cfg.DATA
    return SeqTrackProcessing(template=_crop_spec(data.TEMPLATE), search=_crop_spec(data.SEARCH),
                              mean=list(data.MEAN), std=list(data.STD),
                              max_decode_reduction=data.MAX_DECODE_REDUCTION, timer=timer)


def build_train_dataset(cfg, lasot_root: str | Path, image_loader: ImageLoader | None = None,
                        timer=NO_TIMER) -> TrackingSampler:
    """The training sampler (a torch Dataset of ``DATA.TRAIN.SAMPLE_PER_EPOCH`` samples) of ``cfg``.

    ``lasot_root`` usually comes from ``lib.data.local_settings.resolve_lasot_root``; ``image_loader``
    defaults to ``DATA.IMAGE_LOADER``; ``timer`` (a :class:`~lib.utils.stage_timer.StageTimer`) splits the
    time of the data path for a benchmark. Raises :class:`DatasetError` for a missing root, unknown classes
    or unusable data.
    """
    data = cfg.DATA  # its keys are checked at load: SAMPLER_MODE 'order', DATASETS_NAME [LASOT]
    loader = image_loader or make_image_loader(data.IMAGE_LOADER)
    lasot = Lasot(lasot_root, split="train", classes=list(data.TRAIN.CLASSES), image_loader=loader, timer=timer)
    sampler = TrackingSampler([lasot], list(data.TRAIN.DATASETS_RATIO), data.TRAIN.SAMPLE_PER_EPOCH,
                              max_gap=data.MAX_SAMPLE_INTERVAL, num_search_frames=data.SEARCH.NUMBER,
                              num_template_frames=data.TEMPLATE.NUMBER, processing=build_processing(cfg, timer),
                              skip_bad_frames=data.BAD_FRAMES == "skip", timer=timer)
    logger.info("training data: LaSOT %s, %d samples per epoch", ", ".join(lasot.classes) if data.TRAIN.CLASSES
                else "(all 70 classes)", len(sampler))
    return sampler
