"""Build the training sample stream (datasets -> sampler -> processing) from the config's DATA section.

``DATA.TRAIN.DATASETS_NAME`` lists datasets under the original's names, ``DATASETS_RATIO`` their sampling
weights. Each name is built from its root (:func:`lib.data.local_settings.resolve_data_root`: the command
line, ``$<KEY>_DIR``, ``local_settings.yaml``, ``./data/<folder>``):

============================  ==============  ==================================================
name                          root key        dataset
============================  ==============  ==================================================
LASOT                         lasot           LaSOT train split (``DATA.TRAIN.CLASSES``)
GOT10K_vottrain / _votval     got10k          GOT-10k train, the original's VOT-excluded splits
GOT10K_train_full             got10k          GOT-10k train, all 9,335 sequences
COCO17                        coco            COCO 2017 train: each object a one-frame sequence
VID                           vid             ImageNet VID train
TRACKINGNET                   trackingnet     TrackingNet TRAIN_0 ... TRAIN_11
FOLDER                        folder          your own videos (lib/data/folder/train_set.py)
============================  ==============  ==================================================

With ``DATA.TRAIN.CLASSES`` set and ``CLASSES_ONLY`` (the default), only those LaSOT classes are trained on:
this project's two-class workflow stays one command on the original's mixed configs.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from lib.data.errors import DatasetError
from lib.data.image_loader import ImageLoader, make_image_loader
from lib.data.local_settings import check_data_root, resolve_data_root
from lib.data.mix import training_mix
from lib.train.data.collate import collate_frames_first
from lib.train.data.processing import CropSpec, SeqTrackProcessing
from lib.train.data.sampler import TrackingSampler
from lib.utils.stage_timer import NO_TIMER

logger = logging.getLogger(__name__)

__all__ = ["TRAIN_DATASETS", "build_processing", "check_mix_roots", "build_train_dataset", "build_train_datasets",
           "collate_frames_first", "mixed_datasets"]


def _lasot(root, cfg, **options):
    from lib.data.lasot.train_set import Lasot

    return Lasot(root, "train", classes=list(cfg.DATA.TRAIN.CLASSES), **options)


def _got10k(split: str) -> Callable:
    def build(root, cfg, **options):
        from lib.data.got10k.train_set import Got10k

        split_file = cfg.DATA.TRAIN.GOT10K_SPLIT_FILE or None
        return Got10k(root, split, split_file=split_file, **options)

    return build


def _coco(root, cfg, **options):
    from lib.data.coco.train_set import MSCOCOSeq

    return MSCOCOSeq(root, "2017", "train", **options)


def _vid(root, cfg, **options):
    from lib.data.vid.train_set import ImagenetVID

    return ImagenetVID(root, **options)


def _trackingnet(root, cfg, **options):
    from lib.data.trackingnet.train_set import TrackingNet

    return TrackingNet(root, **options)


def _folder(root, cfg, **options):
    from lib.data.folder.train_set import FolderDataset

    return FolderDataset(root, **options)


ROOT_LAYOUTS = {  # what each root holds, for the error when it is missing
    "got10k": "train/list.txt and train/GOT-10k_Train_000001/ ... (the GOT-10k download's train folder)",
    "coco": "annotations/instances_train2017.json and images/train2017/*.jpg",
    "vid": "Annotations/VID/train/ and Data/VID/train/ (ILSVRC2015 VID)",
    "trackingnet": "TRAIN_0/ ... TRAIN_11/ (the chunks you have), each with anno/<video>.txt and frames/<video>/0.jpg",
    "folder": "one folder per video with its frames and a groundtruth.txt (README: Your own videos)",
}


@dataclass(frozen=True)
class TrainDataset:
    root_key: str  # key of lib.data.local_settings.DATA_ROOTS
    build: Callable  # (root, cfg, image_loader=..., timer=...) -> dataset


TRAIN_DATASETS = {
    "LASOT": TrainDataset("lasot", _lasot),
    "GOT10K_vottrain": TrainDataset("got10k", _got10k("vottrain")),
    "GOT10K_votval": TrainDataset("got10k", _got10k("votval")),
    "GOT10K_train_full": TrainDataset("got10k", _got10k("train_full")),
    "COCO17": TrainDataset("coco", _coco),
    "VID": TrainDataset("vid", _vid),
    "TRACKINGNET": TrainDataset("trackingnet", _trackingnet),
    "FOLDER": TrainDataset("folder", _folder),
}


def mixed_datasets(cfg) -> list:
    """``[(name, ratio), ...]`` the run trains on: the config's mix, or LaSOT alone when ``DATA.TRAIN.CLASSES``
    is set with ``CLASSES_ONLY`` (:func:`lib.data.mix.training_mix`)."""
    train = cfg.DATA.TRAIN
    return training_mix(train.DATASETS_NAME, train.DATASETS_RATIO, train.CLASSES, train.CLASSES_ONLY)


def check_mix_roots(cfg, data_roots: Mapping[str, str | Path] | None = None) -> None:
    """Every root the run's mix needs exists (LaSOT: with a folder per chosen class), before anything is read:
    one clear error naming the dataset and where to put it."""
    from lib.data.lasot.splits import check_class_dirs, check_classes, check_root

    data_roots = dict(data_roots or {})
    for name, _ in mixed_datasets(cfg):
        key = TRAIN_DATASETS[name].root_key
        root = resolve_data_root(key, data_roots.get(key))
        if key == "lasot":
            check_class_dirs(check_root(root), check_classes(cfg.DATA.TRAIN.CLASSES))
        else:
            try:
                check_data_root(key, root, name, ROOT_LAYOUTS[key])
            except DatasetError as exc:
                raise DatasetError(f"{exc} ({_why_needed(cfg, name)})") from None


def _why_needed(cfg, name: str) -> str:
    names = list(cfg.DATA.TRAIN.DATASETS_NAME)
    if len(names) == 1:
        return f"DATA.TRAIN.DATASETS_NAME is [{name}]"
    return (f"DATA.TRAIN.DATASETS_NAME mixes {', '.join(names)} as the original does; to train on fewer, set "
            f"DATASETS_NAME and DATASETS_RATIO, or choose LaSOT classes with DATA.TRAIN.CLASSES")


def _crop_spec(section) -> CropSpec:
    return CropSpec(size=int(section.SIZE), factor=float(section.FACTOR),
                    center_jitter=float(section.CENTER_JITTER), scale_jitter=float(section.SCALE_JITTER))


def build_processing(cfg, timer=NO_TIMER) -> SeqTrackProcessing:
    """The processing of ``cfg.DATA`` (crop sizes, factors, jitter, mean and std)."""
    data = cfg.DATA
    return SeqTrackProcessing(template=_crop_spec(data.TEMPLATE), search=_crop_spec(data.SEARCH),
                              mean=list(data.MEAN), std=list(data.STD),
                              max_decode_reduction=data.MAX_DECODE_REDUCTION, timer=timer)


def build_train_datasets(cfg, data_roots: Mapping[str, str | Path] | None = None,
                         image_loader: ImageLoader | None = None, timer=NO_TIMER) -> list:
    """``[(dataset, ratio), ...]`` of the run's mix, each dataset read from its root (``data_roots`` maps root
    keys such as ``'got10k'`` to explicit paths; the others are resolved as the module docstring says)."""
    data_roots = dict(data_roots or {})
    check_mix_roots(cfg, data_roots)
    loader = image_loader or make_image_loader(cfg.DATA.IMAGE_LOADER)
    built = []
    for name, ratio in mixed_datasets(cfg):
        entry = TRAIN_DATASETS[name]
        root = resolve_data_root(entry.root_key, data_roots.get(entry.root_key))
        try:
            dataset = entry.build(root, cfg, image_loader=loader, timer=timer)
        except DatasetError as exc:
            raise DatasetError(f"{name}: {exc}") from None
        built.append((dataset, ratio))
    return built


def build_train_dataset(cfg, lasot_root: str | Path | None = None, image_loader: ImageLoader | None = None,
                        timer=NO_TIMER, data_roots: Mapping[str, str | Path] | None = None) -> TrackingSampler:
    """The training sampler (a torch Dataset of ``DATA.TRAIN.SAMPLE_PER_EPOCH`` samples) of ``cfg``.

    ``lasot_root`` is LaSOT's root (the same as ``data_roots={'lasot': ...}``); ``image_loader`` defaults to
    ``DATA.IMAGE_LOADER``; ``timer`` (a :class:`~lib.utils.stage_timer.StageTimer`) splits the time of the data
    path for a benchmark. Raises :class:`DatasetError` naming the dataset for a missing root, unknown classes
    or unusable data.
    """
    data = cfg.DATA
    roots = dict(data_roots or {})
    if lasot_root is not None:
        roots["lasot"] = lasot_root
    mix = build_train_datasets(cfg, roots, image_loader, timer)
    if data.TRAIN.CLASSES and data.TRAIN.CLASSES_ONLY and len(data.TRAIN.DATASETS_NAME) > 1:
        unused = [n for n in data.TRAIN.DATASETS_NAME if n != "LASOT"]
        logger.info("DATA.TRAIN.CLASSES chooses LaSOT classes: training on them alone (%s not used; "
                    "DATA.TRAIN.CLASSES_ONLY False mixes them in)", ", ".join(unused))
    sampler = TrackingSampler([d for d, _ in mix], [r for _, r in mix], data.TRAIN.SAMPLE_PER_EPOCH,
                              max_gap=data.MAX_SAMPLE_INTERVAL, num_search_frames=data.SEARCH.NUMBER,
                              num_template_frames=data.TEMPLATE.NUMBER, processing=build_processing(cfg, timer),
                              skip_bad_frames=data.BAD_FRAMES == "skip", timer=timer)
    shares = [r / sum(r for _, r in mix) for _, r in mix]
    described = ", ".join(f"{_describe(d, data)} ({share:.0%})" for (d, _), share in zip(mix, shares))
    logger.info("training data: %s; %d samples per epoch", described, len(sampler))
    return sampler


def _describe(dataset, data) -> str:
    if dataset.name == "LASOT":
        return "LaSOT " + (", ".join(dataset.classes) if data.TRAIN.CLASSES else "(all 70 classes)")
    return f"{dataset.name} ({dataset.get_num_sequences():,} sequences)"
