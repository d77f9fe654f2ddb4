"""The COCO 2017 training set as one-frame sequences: every non-crowd object of
``annotations/instances_train2017.json``, with its image from ``images/train2017/`` (the original's layout).

As the original (``MSCOCOSeq``): each annotation with ``iscrowd == 0`` is a sequence, in the JSON's order, with
no category or area filter; its box is ``bbox`` (x, y, w, h, pixels) and it is valid and visible when wider and
taller than 50 px. The sampler never consults that visibility for an image dataset: every image can be drawn,
and a box that cannot be cropped is redrawn. Deviation: there is no ``mask`` (the original decodes each
segmentation with pycocotools; SeqTrack never uses it), so segmentations are not even kept in memory.

The JSON is parsed with the standard library once; later starts read the annotation cache
(:mod:`lib.data.annotation_cache`), valid while the JSON's size and modification time are unchanged.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from lib.data.annotation_cache import CachedAnnotations, cached_annotations
from lib.data.errors import DatasetError
from lib.data.image_loader import ImageLoader
from lib.data.local_settings import check_data_root
from lib.data.video_dataset import AnnotationTable, VideoDataset
from lib.utils.stage_timer import NO_TIMER

logger = logging.getLogger(__name__)

READER_VERSION = 2  # bump when the parsing changes: cached entries of older versions are rebuilt
MIN_VALID_SIDE = 50  # the original's rule: a box is valid when both sides exceed 50 px
LAYOUT = "annotations/instances_train2017.json and images/train2017/<file_name> (COCO 2017 train images)"
# the keys every record of an instances file has (and this reader uses)
REQUIRED_KEYS = {"images": ("id", "file_name"), "categories": ("id", "name"),
                 "annotations": ("id", "image_id", "category_id", "bbox", "iscrowd")}


def annotation_file(root: Path, split: str, version: str) -> Path:
    return root / "annotations" / f"instances_{split}{version}.json"


def image_dir(root: Path, split: str, version: str) -> Path:
    return root / "images" / f"{split}{version}"


def _check_layout(root: Path, split: str, version: str) -> Path:
    """The annotation file, after checking that it and the image folder exist (with what to do if not)."""
    json_path, images = annotation_file(root, split, version), image_dir(root, split, version)
    if not json_path.is_file():
        raise DatasetError(f"COCO annotation file {json_path} is missing; unpack annotations_trainval{version}.zip "
                           f"into {root} (expected there: {LAYOUT})")
    if not images.is_dir():
        unpacked = root / images.name
        hint = (f"the images are in {unpacked}: move it to {images} or link it (ln -s ../{images.name} {images})"
                if unpacked.is_dir() else f"unpack {images.name}.zip into {images.parent}")
        raise DatasetError(f"COCO image folder {images} is missing; {hint}")
    return json_path


def _without_segmentation(record: dict) -> dict:
    # drops each polygon list as soon as its annotation is parsed: it is most of the file and is not used
    record.pop("segmentation", None)
    return record


def _load_json(path: Path) -> dict:
    try:
        with open(path, "rb") as file:
            data = json.load(file, object_hook=_without_segmentation)
    except json.JSONDecodeError as exc:
        raise DatasetError(f"{path}, line {exc.lineno}: not valid JSON ({exc.msg}); the file is damaged: "
                           f"re-download or re-extract it") from None
    except UnicodeDecodeError:
        raise DatasetError(f"{path}: not a JSON text file (not UTF-8); re-download or re-extract it") from None
    missing = [key for key in REQUIRED_KEYS if not isinstance(data, dict) or not isinstance(data.get(key), list)]
    if missing:
        raise DatasetError(f"{path} is not a COCO instances file: no list {missing}; expected the object "
                           f"annotations instances_<split><year>.json with 'images', 'annotations', 'categories'")
    return data


def _first_bad_record(path: Path, data: dict) -> DatasetError:
    """The error naming the first record that the fast parse tripped over."""
    for section, keys in REQUIRED_KEYS.items():
        for index, record in enumerate(data[section]):
            missing = [k for k in keys if k not in record] if isinstance(record, dict) else list(keys)
            if missing:
                return DatasetError(f"{path}: {section}[{index}] lacks {missing}; not a COCO instances file?")
    images = {image["id"] for image in data["images"]}
    categories = {category["id"] for category in data["categories"]}
    for index, ann in enumerate(data["annotations"]):
        bbox = ann["bbox"]
        if ann["image_id"] not in images or ann["category_id"] not in categories:
            return DatasetError(f"{path}: annotations[{index}] (id {ann['id']}) names image {ann['image_id']} "
                                f"and category {ann['category_id']}, not both listed in the file")
        if not (isinstance(bbox, list) and len(bbox) == 4 and all(isinstance(v, (int, float)) for v in bbox)):
            return DatasetError(f"{path}: annotations[{index}] (id {ann['id']}) has bbox {bbox!r}, "
                                f"expected [x, y, w, h]")
    return DatasetError(f"{path}: cannot be read as COCO annotations")


def _parse(data: dict) -> CachedAnnotations:
    """Sequences of the non-crowd annotations; KeyError, TypeError or ValueError on a malformed record."""
    files = {image["id"]: image["file_name"] for image in data["images"]}
    categories = {category["id"]: category["name"] for category in data["categories"]}
    annotations = [ann for ann in data["annotations"] if ann["iscrowd"] == 0]
    boxes = np.array([ann["bbox"] for ann in annotations], dtype=np.float32).reshape(len(annotations), 4)
    # (S,) rows, one per sequence: "<image file>/<annotation id>" names the frame file and the object
    names = [f"{files[ann['image_id']]}/{ann['id']}" for ann in annotations]
    classes = [categories[ann["category_id"]] for ann in annotations]
    valid = (boxes[:, 2] > MIN_VALID_SIDE) & (boxes[:, 3] > MIN_VALID_SIDE)
    table = AnnotationTable(boxes, valid, valid.copy(), np.arange(len(boxes) + 1, dtype=np.int64))
    # one dataset-wide entry rather than one per sequence: 80 supercategories, not 860,000 copies
    supercategory = {category["name"]: category.get("supercategory") for category in data["categories"]}
    return CachedAnnotations(table, names, classes, [], {"supercategory": supercategory})


def read_coco(path: Path) -> CachedAnnotations:
    """The sequences of the instances file ``path`` (no cache)."""
    start = time.perf_counter()
    data = _load_json(path)
    try:
        entry = _parse(data)
    except (KeyError, TypeError, ValueError):
        raise _first_bad_record(path, data) from None
    logger.info("COCO: parsed %s in %.1f s (%d images, %d annotations, %d not crowds)", path,
                time.perf_counter() - start, len(data["images"]), len(data["annotations"]), len(entry.names))
    return entry


def _shared(strings: Sequence[str]) -> list:
    """``strings`` with equal values as one object each (860,000 class names, 80 distinct)."""
    canonical: dict = {}
    return [canonical.setdefault(s, s) for s in strings]


class MSCOCOSeq(VideoDataset):
    """The objects of one COCO split as one-frame sequences (``is_video = False``).

    A sequence is named ``<image file>/<annotation id>``; its class is the category name and its meta's
    ``major_class`` the supercategory. Every frame id of :meth:`get_frames` gives the image and row 0.
    """

    name = "COCO17"
    is_video = False

    def __init__(self, root: str | Path, version: str = "2017", split: str = "train",
                 image_loader: ImageLoader | None = None, timer=NO_TIMER, use_cache: bool = True):
        start = time.perf_counter()
        root = check_data_root("coco", root, "COCO 2017", LAYOUT)
        self.version, self.split = str(version), str(split)
        json_path = _check_layout(root, self.split, self.version)
        parameters = {"root": str(root.resolve()), "version": self.version, "split": self.split}
        cached = cached_annotations("coco", READER_VERSION, parameters, [json_path], lambda: read_coco(json_path),
                                    use_cache)
        self._image_dir = image_dir(root, self.split, self.version)
        self._supercategory = cached.info.get("supercategory", {})
        super().__init__(root, cached.names, cached.table, _shared(cached.classes), image_loader, timer)
        logger.info("COCO %s%s: %d objects (%d valid) in %.2f s", self.split, self.version,
                    self.get_num_sequences(), int(self.table.valid.sum()), time.perf_counter() - start)

    def frame_path(self, seq_id: int, frame_id: int) -> Path:
        """The image of the object (every ``frame_id`` means it)."""
        return self._image_dir / self.sequence_list[seq_id].rsplit("/", 1)[0]

    def sequence_meta(self, seq_id: int) -> dict:
        category = self.sequence_classes[seq_id]
        return {"object_class_name": category, "motion_class": None, "major_class": self._supercategory.get(category),
                "root_class": None, "motion_adverb": None}
