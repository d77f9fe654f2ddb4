"""Generate a small COCO-format dataset: ``annotations/instances_train2017.json`` (images, annotations with
polygon or RLE segmentations, categories with supercategories) and the JPEGs under ``images/train2017/``.

Each image holds two to four class-textured objects: the first large (both sides over 50 px where the frame
allows), the others small; every third image adds a crowd annotation. Same arguments -> byte-identical files.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np

from lib.data.coco.train_set import MIN_VALID_SIDE
from lib.data.errors import DatasetError
from lib.data.synthetic.file_tree import write_file_tree
from lib.data.synthetic.video import checked_size, class_look, encode_jpeg, generator, object_texture

logger = logging.getLogger(__name__)

# (id, name, supercategory) of a few real COCO categories
CATEGORIES = ((1, "person", "person"), (3, "car", "vehicle"), (18, "dog", "animal"), (47, "cup", "kitchen"),
              (62, "chair", "furniture"))
CROWD_EVERY = 3  # every third image also has a crowd annotation
SMALL_SIDE = (6, 40)  # side range of the small objects, pixels
FIRST_IMAGE_ID = 139  # COCO image ids are sparse; the file name is the id on 12 digits
FIRST_ANNOTATION_ID = 1001


def _background(rng: np.random.Generator, width: int, height: int) -> np.ndarray:
    """Smooth muted colour blotches with a little grain, HxWx3 BGR."""
    coarse = cv2.resize(rng.integers(40, 200, (4, 5, 3)).astype(np.float32), (width, height),
                        interpolation=cv2.INTER_CUBIC)
    grain = rng.normal(0.0, 6.0, (height, width, 1)).astype(np.float32)
    return np.clip(0.6 * coarse + 40 + grain, 0, 255).astype(np.uint8)


def _box(rng: np.random.Generator, width: int, height: int, large: bool) -> tuple:
    """An integer (x, y, w, h) inside the frame: both sides over MIN_VALID_SIDE (where it fits) or small."""
    if large:
        sides = [int(rng.integers(min(MIN_VALID_SIDE + 1, extent - 2), extent - 1)) for extent in (width, height)]
    else:
        sides = [int(rng.integers(SMALL_SIDE[0], min(SMALL_SIDE[1], extent - 2) + 1)) for extent in (width, height)]
    x, y = (int(rng.integers(0, extent - side + 1)) for extent, side in zip((width, height), sides))
    return x, y, sides[0], sides[1]


def _polygon(box: tuple, ellipse: bool) -> list:
    """The object's outline as COCO's flat [x1, y1, x2, y2, ...] (an ellipse in 16 points, or the box)."""
    x, y, w, h = box
    if not ellipse:
        return [float(v) for v in (x, y, x + w, y, x + w, y + h, x, y + h)]
    angles = np.linspace(0, 2 * np.pi, 16, endpoint=False)
    points = np.stack([x + w / 2 * (1 + np.cos(angles)), y + h / 2 * (1 + np.sin(angles))], axis=1)
    return [round(float(v), 2) for v in points.ravel()]


def _polygon_area(flat: list) -> float:
    xs, ys = np.array(flat[0::2]), np.array(flat[1::2])
    return round(float(abs(np.dot(xs, np.roll(ys, -1)) - np.dot(ys, np.roll(xs, -1))) / 2), 2)


def _rle(box: tuple, width: int, height: int) -> dict:
    """COCO's uncompressed run-length encoding (column-major, starting with a zero run) of the box's pixels."""
    mask = np.zeros((height, width), np.uint8)
    x, y, w, h = box
    mask[y:y + h, x:x + w] = 1
    flat = mask.ravel(order="F")
    starts = np.flatnonzero(np.diff(flat)) + 1  # where each run after the first begins
    runs = np.diff(np.concatenate([[0], starts, [flat.size]]))
    counts = ([0] if flat[0] else []) + [int(v) for v in runs]
    return {"counts": counts, "size": [height, width]}


def _draw(image: np.ndarray, category: str, box: tuple) -> bool:
    """Paste the class's textured object into ``box``; True when its silhouette is elliptic."""
    look = class_look(category)
    texture, mask = object_texture(look)
    x, y, w, h = box
    obj = cv2.resize(texture, (w, h), interpolation=cv2.INTER_LINEAR)
    inside = cv2.resize(mask, (w, h), interpolation=cv2.INTER_NEAREST)[..., None] > 0
    np.copyto(image[y:y + h, x:x + w], obj, where=inside)
    return look.ellipse


def _image(rng: np.random.Generator, index: int, size: tuple, next_id: int) -> tuple:
    """(BGR image, its annotation records) for image ``index``; annotation ids start at ``next_id``."""
    width, height = size
    image, records = _background(rng, width, height), []
    image_id = FIRST_IMAGE_ID + 7 * index
    crowd = index % CROWD_EVERY == CROWD_EVERY - 1
    for number in range(2 + index % 3 + crowd):
        category_id, category, _ = CATEGORIES[int(rng.integers(len(CATEGORIES)))]
        box = _box(rng, width, height, large=number == 0)
        ellipse = _draw(image, category, box)
        record = {"id": next_id + number, "image_id": image_id, "category_id": category_id,
                  "bbox": [float(v) for v in box], "iscrowd": 0}
        if crowd and number == 1:  # a group of objects marked as a crowd (run-length mask, as COCO's crowds)
            record.update(iscrowd=1, segmentation=_rle(box, width, height), area=float(box[2] * box[3]))
        else:
            polygon = _polygon(box, ellipse)
            record.update(segmentation=[polygon], area=_polygon_area(polygon))
        records.append(record)
    return image, records


def _check_arguments(images: int, size: Sequence[int]) -> tuple:
    if images < 1:
        raise DatasetError(f"a synthetic COCO needs at least 1 image, got {images}")
    width, height = checked_size(size, minimum=48)
    return width, height


def make_synthetic_coco(out: str | Path, images: int = 12, size: Sequence[int] = (96, 72), seed: int = 0,
                        overwrite: bool = False) -> Path:
    """Write a COCO 2017-layout dataset of ``images`` images of ``size`` (width, height) under ``out``.

    Same arguments -> byte-identical files; ``out`` already holding exactly them is kept, holding anything else
    is an error unless ``overwrite``. Returns ``out``.
    """
    size = _check_arguments(images, size)
    root = Path(out)
    files, entries, annotations = {}, [], []
    for index in range(images):
        picture, records = _image(generator(seed, index), index, size, FIRST_ANNOTATION_ID + len(annotations))
        file_name = f"{FIRST_IMAGE_ID + 7 * index:012d}.jpg"
        files[f"images/train2017/{file_name}"] = encode_jpeg(picture)
        entries.append({"license": 1, "file_name": file_name, "height": size[1], "width": size[0],
                        "id": FIRST_IMAGE_ID + 7 * index})
        annotations.extend(records)
    document = {"info": {"description": "synthetic COCO-format data", "version": "1.0", "year": 2017},
                "licenses": [{"id": 1, "name": "synthetic", "url": ""}], "images": entries,
                "annotations": annotations,
                "categories": [{"supercategory": s, "id": i, "name": n} for i, n, s in CATEGORIES]}
    files["annotations/instances_train2017.json"] = json.dumps(document, separators=(",", ":")).encode()
    written = write_file_tree(root, files, "COCO", overwrite)
    logger.info("synthetic COCO in %s: %d images of %dx%d, %d annotations (%s)", root, images, *size,
                len(annotations), "written" if written else "up to date")
    return root
