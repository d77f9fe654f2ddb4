"""Measure how long the GOT-10k, TrackingNet and COCO 2017 training datasets take to start at their real sizes:
building the dataset with an empty annotation cache (every annotation file parsed, the cache written), building it
again (the cache loaded), and the training sampler's pass over it (which sequences can give a sample)."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from lib.cli import fail
from lib.data.annotation_cache import CACHE_ENV
from lib.data.coco.train_set import MSCOCOSeq, annotation_file, image_dir
from lib.data.errors import DatasetError
from lib.data.got10k.train_set import Got10k
from lib.data.synthetic.got10k import make_synthetic_got10k
from lib.data.synthetic.trackingnet import make_synthetic_trackingnet
from lib.data.synthetic.video import generator
from lib.data.trackingnet.train_set import TrackingNet
from lib.train.data.sampler import TrackingSampler

EXAMPLE = """example:
  python scripts/benchmark_startup.py --data_dir /tmp/startup_data --out startup.json
  python scripts/benchmark_startup.py --quick --data_dir /tmp/startup_quick

The data is annotation files only (frames are checked lazily, the first time a sequence is read, so start-up never
opens them), generated into --data_dir on the first run and reused later: GOT-10k train, 9,335 sequences of 30 to
1,500 frames (log-normal, ~150 on average); TrackingNet, 30,132 videos in TRAIN_0 ... TRAIN_11 (~470 frames on
average, ~14 M in all, ~0.5 GB of text); COCO 2017, annotations/instances_train2017.json with the real file's
118,287 images, 860,001 annotations (~1 % crowds, which the dataset skips) and 80 categories, polygons and
run-length masks about as long as the real ones (~0.45 GB), and an empty images/train2017/. Generating it takes
minutes. The files are in the page cache after generation or an earlier run: a start on a cold disk reads more
slowly than 'cold' here.
Exit codes: 0 done, 2 bad input (a --data_dir holding other data, unwritable, ...)."""

# (GOT-10k sequences, TrackingNet chunks, videos per chunk, COCO images, COCO annotations): the real datasets', and
# a few seconds' worth
FULL_SIZES = (9335, 12, 2511, 118287, 860001)
QUICK_SIZES = (40, 2, 10, 200, 1400)
GOT10K_FRAMES = (130, 0.55, 30, 1500)  # log-normal frame counts: median, sigma, clipped to [min, max]
TRACKINGNET_FRAMES = (465, 0.2, 60, 3000)  # median, sigma, min, max (mean ~470)
ANNOTATION_SIZE = (1280, 720)  # frame size the boxes are drawn in: realistic digit counts in the text files
MARKER = "startup_data.json"  # written once the data is complete
SEED = 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__, epilog=EXAMPLE,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data_dir", required=True,
                        help="folder for the generated annotation files (reused when it already holds them)")
    parser.add_argument("--out", default=None, help="JSON file to write the results to (default: none)")
    parser.add_argument("--quick", action="store_true",
                        help=f"small data (GOT-10k {QUICK_SIZES[0]} sequences, TrackingNet {QUICK_SIZES[1]} x "
                             f"{QUICK_SIZES[2]} videos, COCO {QUICK_SIZES[3]} images with {QUICK_SIZES[4]} "
                             f"annotations), for a test of this script")
    return parser


def frame_counts(count: int, shape: tuple, key: int) -> list:
    """``count`` frame counts drawn log-normal (median, sigma), clipped to [min, max]."""
    median, sigma, low, high = shape
    drawn = generator(SEED, key).lognormal(np.log(median), sigma, count)
    return [int(v) for v in np.clip(np.round(drawn), low, high)]


def generate(data_dir: Path, sizes: tuple) -> float:
    """Write the annotation-only data (or keep it, when the marker says it is complete); seconds spent."""
    marker = data_dir / MARKER
    description = {"sizes": list(sizes), "seed": SEED, "got10k_frames": list(GOT10K_FRAMES),
                   "trackingnet_frames": list(TRACKINGNET_FRAMES), "coco_version": COCO_VERSION}
    if marker.is_file() and json.loads(marker.read_text()) == description:
        return 0.0
    start = time.perf_counter()
    print(f"generating annotation files into {data_dir} (once) ...", flush=True)
    try:
        _write_data(data_dir, sizes)
    except DatasetError as exc:
        raise DatasetError(f"{exc} (for this benchmark: delete {data_dir}, or choose another --data_dir)") from None
    marker.write_text(json.dumps(description))
    return time.perf_counter() - start


def _write_data(data_dir: Path, sizes: tuple) -> None:
    got_sequences, chunks, per_chunk, coco_images, coco_annotations = sizes
    coco_header = _coco_header(coco_images, coco_annotations)
    coco_current = _coco_is_current(data_dir / "coco", coco_header)  # first: refuse before writing anything
    make_synthetic_got10k(data_dir / "got10k", sequences=got_sequences, size=ANNOTATION_SIZE, seed=SEED,
                          frames=frame_counts(got_sequences, GOT10K_FRAMES, 1), images=False)
    make_synthetic_trackingnet(data_dir / "trackingnet", sets=range(chunks), sequences=per_chunk,
                               frames=frame_counts(chunks * per_chunk, TRACKINGNET_FRAMES, 2),
                               size=ANNOTATION_SIZE, seed=SEED, images=False)
    split = data_dir / "got10k" / "split_all.txt"  # for data smaller than the official split
    split.write_text("".join(f"{i}\n" for i in range(got_sequences)))
    if not coco_current:
        write_coco(data_dir / "coco", coco_images, coco_annotations, coco_header)


# --- COCO 2017: one instances file written in chunks (a 0.45 GB document never held in memory as Python objects)
COCO_VERSION = 1  # bump when the drawing changes: a file of another version is rewritten
COCO_DESCRIPTION = "annotation-only COCO 2017 train of scripts/benchmark_startup.py"
COCO_CATEGORIES = (  # the 80 real categories: (supercategory, "id name, ...")
    ("person", "1 person"),
    ("vehicle", "2 bicycle, 3 car, 4 motorcycle, 5 airplane, 6 bus, 7 train, 8 truck, 9 boat"),
    ("outdoor", "10 traffic light, 11 fire hydrant, 13 stop sign, 14 parking meter, 15 bench"),
    ("animal", "16 bird, 17 cat, 18 dog, 19 horse, 20 sheep, 21 cow, 22 elephant, 23 bear, 24 zebra, 25 giraffe"),
    ("accessory", "27 backpack, 28 umbrella, 31 handbag, 32 tie, 33 suitcase"),
    ("sports", "34 frisbee, 35 skis, 36 snowboard, 37 sports ball, 38 kite, 39 baseball bat, 40 baseball glove, "
               "41 skateboard, 42 surfboard, 43 tennis racket"),
    ("kitchen", "44 bottle, 46 wine glass, 47 cup, 48 fork, 49 knife, 50 spoon, 51 bowl"),
    ("food", "52 banana, 53 apple, 54 sandwich, 55 orange, 56 broccoli, 57 carrot, 58 hot dog, 59 pizza, 60 donut, "
             "61 cake"),
    ("furniture", "62 chair, 63 couch, 64 potted plant, 65 bed, 67 dining table, 70 toilet"),
    ("electronic", "72 tv, 73 laptop, 74 mouse, 75 remote, 76 keyboard, 77 cell phone"),
    ("appliance", "78 microwave, 79 oven, 80 toaster, 81 sink, 82 refrigerator"),
    ("indoor", "84 book, 85 clock, 86 vase, 87 scissors, 88 teddy bear, 89 hair drier, 90 toothbrush"),
)
COCO_PERSON_SHARE = 0.30  # of the annotations (the real file: 262,465 of 860,001); the others' shares drawn
COCO_CROWD_SHARE = 0.0106  # iscrowd = 1 (the real file: 9,101), run-length masks the dataset skips
COCO_EMPTY_SHARE = 0.0086  # images without any annotation (the real file: 1,021)
COCO_SIDE = (38.0, 1.05)  # log-normal sqrt(w * h), px: median, sigma (~40 % small, ~20 % large objects, as COCO)
COCO_ASPECT_SIGMA = 0.6  # log-normal w / h
COCO_POINTS = (3.3, 4, 120)  # polygon points ~ factor * sqrt(side) (~25 on average), clipped to [min, max]
COCO_CHUNK = 20000  # annotations per json.dumps call


def coco_crowds(annotations: int) -> int:
    """How many of ``annotations`` are crowds (not sequences of the dataset)."""
    return round(COCO_CROWD_SHARE * annotations)


def coco_categories() -> list:
    return [{"supercategory": supercategory, "id": int(number), "name": name}
            for supercategory, entries in COCO_CATEGORIES
            for number, name in (entry.split(" ", 1) for entry in entries.split(", "))]


def _dumps(value) -> str:
    return json.dumps(value, separators=(",", ":"))


def _coco_header(images: int, annotations: int) -> str:
    """The file's start, naming what it holds: equal in a file that this run would write byte for byte."""
    info = {"description": COCO_DESCRIPTION, "url": "", "version": "1.0", "year": 2017,
            "contributor": "synthetic", "date_created": "",
            "generated": {"images": images, "annotations": annotations, "seed": SEED, "version": COCO_VERSION}}
    licenses = [{"url": "", "id": i, "name": f"license {i}"} for i in range(1, 9)]
    return '{"info":' + _dumps(info) + ',"licenses":' + _dumps(licenses)


def _coco_is_current(root: Path, header: str) -> bool:
    """Whether ``root`` holds this benchmark's COCO of ``header``; an error when it holds anything else."""
    path = annotation_file(root, "train", "2017")
    if path.is_file():
        with open(path, "rb") as file:
            start = file.read(len(header.encode()))
        if start == header.encode():
            return True
        if start.startswith(b'{"info":{"description":' + _dumps(COCO_DESCRIPTION).encode()):
            return False  # ours, of other sizes or an older version: rewritten
    images = image_dir(root, "train", "2017")
    if path.exists() or (images.is_dir() and any(images.iterdir())):
        raise DatasetError(f"{root} already holds other COCO data than this benchmark's (a real COCO?); choose "
                           f"another --data_dir")
    return False


def _coco_images(rng: np.random.Generator, count: int) -> tuple:
    """(records, widths, heights) of ``count`` images: sparse ids, mostly 640 px on the long side, as COCO's."""
    ids = np.sort(rng.choice(581930, size=count, replace=False))
    long_side = np.where(rng.random(count) < 0.97, 640, rng.integers(300, 640, count))
    short_side = np.where(rng.random(count) < 0.45, 480, rng.integers(240, 640, count))
    short_side = np.minimum(short_side, long_side)
    portrait = rng.random(count) < 0.25
    widths, heights = np.where(portrait, short_side, long_side), np.where(portrait, long_side, short_side)
    # (count, 8) parts of the capture date and the Flickr address
    parts = np.stack([rng.integers(1, 9, count), rng.integers(14, 26, count), rng.integers(0, 86400, count),
                      rng.integers(1, 10, count), rng.integers(1000, 9000, count),
                      rng.integers(10**9, 10**10, count), rng.integers(0, 16**10, count)], axis=1).tolist()
    records = [{"license": lic, "file_name": f"{i:012d}.jpg",
                "coco_url": f"http://images.cocodataset.org/train2017/{i:012d}.jpg", "height": h, "width": w,
                "date_captured": f"2013-11-{day} {sec // 3600:02d}:{sec // 60 % 60:02d}:{sec % 60:02d}",
                "flickr_url": f"http://farm{farm}.staticflickr.com/{server}/{photo}_{secret:010x}_z.jpg", "id": i}
               for i, w, h, (lic, day, sec, farm, server, photo, secret)
               in zip(ids.tolist(), widths.tolist(), heights.tolist(), parts)]
    return records, widths, heights


def _annotations_per_image(rng: np.random.Generator, images: int, annotations: int) -> np.ndarray:
    """(images,) counts summing to ``annotations``: a few images empty, the others one or more (skewed)."""
    nonempty = min(images - round(COCO_EMPTY_SHARE * images), annotations)
    counts = np.zeros(images, dtype=np.int64)
    chosen = rng.choice(images, size=nonempty, replace=False)
    weights = rng.gamma(1.0, size=nonempty)
    counts[chosen] = 1 + rng.multinomial(annotations - nonempty, weights / weights.sum())
    return counts


def _coco_boxes(rng: np.random.Generator, widths: np.ndarray, heights: np.ndarray, crowd: np.ndarray) -> tuple:
    """(N, 4) x, y, w, h boxes inside their images (pixels, 2 decimals; crowds larger and whole pixels), and the
    (N,) sides sqrt(w * h) drawn."""
    side = rng.lognormal(np.log(COCO_SIDE[0]), COCO_SIDE[1], len(widths)) * np.where(crowd, 3.0, 1.0)
    aspect = np.sqrt(rng.lognormal(0.0, COCO_ASPECT_SIGMA, len(widths)))
    w = np.clip(side * aspect, 1.0, widths)
    h = np.clip(side / aspect, 1.0, heights)
    x, y = rng.random(len(w)) * (widths - w), rng.random(len(h)) * (heights - h)
    boxes = np.round(np.stack([x, y, w, h], axis=1), 2)
    boxes[crowd] = np.floor(boxes[crowd])
    boxes[crowd, 2:] = np.maximum(boxes[crowd, 2:], 1.0)
    return boxes, side


def _polygons(rng: np.random.Generator, boxes: np.ndarray, side: np.ndarray) -> tuple:
    """Flat [x1, y1, x2, y2, ...] outlines (2 decimals) of irregular blobs inscribed in ``boxes``: (coordinates
    list, (N + 1,) offsets of each polygon's first coordinate, (N,) shoelace areas)."""
    factor, low, high = COCO_POINTS
    points = np.clip(np.round(factor * np.sqrt(side) * rng.lognormal(0.0, 0.35, len(side))), low, high)
    points = points.astype(np.int64)
    starts = np.concatenate([[0], np.cumsum(points)])
    owner = np.repeat(np.arange(len(points)), points)  # (P,) the polygon of each point
    step = np.arange(starts[-1]) - starts[owner]
    angle = 2 * np.pi * (step + rng.uniform(-0.3, 0.3, len(owner))) / points[owner]
    radius = 1.0 - 0.35 * rng.random(len(owner))
    x0, y0, w, h = (boxes[owner, k] for k in range(4))
    xs = np.round(x0 + w / 2 * (1 + radius * np.cos(angle)), 2)
    ys = np.round(y0 + h / 2 * (1 + radius * np.sin(angle)), 2)
    following = np.arange(1, len(owner) + 1)
    following[starts[1:] - 1] = starts[:-1]  # each polygon's last point closes on its first
    area = np.abs(np.add.reduceat(xs * ys[following] - xs[following] * ys, starts[:-1])) / 2
    return np.stack([xs, ys], axis=1).ravel().tolist(), 2 * starts, area


def _crowd_mask(box: list, width: int, height: int) -> dict:
    """COCO's uncompressed run-length mask of a whole-pixel box (column-major runs, background first)."""
    x, y, w, h = (int(v) for v in box)
    last_zeros = height - y - h + (width - x - w) * height
    return {"counts": [x * height + y] + [h, height - h] * (w - 1) + [h, last_zeros], "size": [height, width]}


def _annotation_records(rng: np.random.Generator, first_id: int, image_ids: list, sizes: np.ndarray,
                        crowd: np.ndarray, categories: list) -> list:
    """One chunk's annotation records, one per ``image_ids``: ``sizes`` (N, 2) their images' width and height,
    ``crowd`` (N,) which are crowds."""
    boxes, side = _coco_boxes(rng, sizes[:, 0], sizes[:, 1], crowd)
    coordinates, starts, areas = _polygons(rng, boxes, side)
    records = []
    for n, (image_id, box, area, category) in enumerate(zip(image_ids, boxes.tolist(), areas.tolist(), categories)):
        if crowd[n]:
            width, height = sizes[n].tolist()
            mask, area, iscrowd = _crowd_mask(box, width, height), box[2] * box[3], 1
        else:
            mask, iscrowd = [coordinates[starts[n]:starts[n + 1]]], 0
        records.append({"segmentation": mask, "area": area, "iscrowd": iscrowd, "image_id": image_id, "bbox": box,
                        "category_id": category, "id": first_id + n})
    return records


def _category_draws(rng: np.random.Generator, count: int) -> np.ndarray:
    """(count,) category ids: people COCO_PERSON_SHARE of them, the other 79 categories' shares drawn (skewed)."""
    ids = np.array([category["id"] for category in coco_categories()])
    others = rng.lognormal(0.0, 1.0, len(ids) - 1)
    shares = np.concatenate([[COCO_PERSON_SHARE], (1 - COCO_PERSON_SHARE) * others / others.sum()])
    return ids[rng.choice(len(ids), size=count, p=shares)]


def write_coco(root: Path, images: int, annotations: int, header: str) -> None:
    """``root/annotations/instances_train2017.json`` (written to a partial file, renamed when complete) and an
    empty ``root/images/train2017/``."""
    rng = generator(SEED, 3)
    image_records, widths, heights = _coco_images(rng, images)
    image_ids, sizes = np.array([record["id"] for record in image_records]), np.stack([widths, heights], axis=1)
    owner = np.repeat(np.arange(images), _annotations_per_image(rng, images, annotations))  # (A,) image of each
    crowd = np.zeros(annotations, dtype=bool)
    crowd[rng.choice(annotations, size=coco_crowds(annotations), replace=False)] = True
    categories = _category_draws(rng, annotations)
    path = annotation_file(root, "train", "2017")
    path.parent.mkdir(parents=True, exist_ok=True)
    image_dir(root, "train", "2017").mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    with open(partial, "w", encoding="utf-8") as file:
        file.write(header + ',"images":' + _dumps(image_records) + ',"annotations":[')
        for start in range(0, annotations, COCO_CHUNK):
            part = slice(start, start + COCO_CHUNK)
            records = _annotation_records(rng, start + 1, image_ids[owner[part]].tolist(), sizes[owner[part]],
                                          crowd[part], categories[part].tolist())
            file.write(("," if start else "") + _dumps(records)[1:-1])
        file.write('],"categories":' + _dumps(coco_categories()) + "}")
    os.replace(partial, path)


@contextlib.contextmanager
def cache_in(folder: str):
    """The annotation cache in ``folder`` for the duration (the environment restored afterwards)."""
    before = os.environ.get(CACHE_ENV)
    os.environ[CACHE_ENV] = folder
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(CACHE_ENV, None)
        else:
            os.environ[CACHE_ENV] = before


def timed(function: Callable) -> tuple:
    start = time.perf_counter()
    result = function()
    return result, time.perf_counter() - start


def measure(build: Callable, data_dir: Path) -> dict:
    """Cold build (empty cache), warm build (cache hit) and the sampler's eligibility pass over one dataset."""
    with tempfile.TemporaryDirectory(dir=data_dir, prefix="cache-") as folder, cache_in(folder):
        _, cold = timed(build)
        dataset, warm = timed(build)
        cache_bytes = sum(p.stat().st_size for p in Path(folder).iterdir())
    _, sampler_s = timed(lambda: TrackingSampler([dataset], [1.0], samples_per_epoch=1, max_gap=400,
                                                 num_search_frames=1, num_template_frames=2,
                                                 processing=lambda sample, rng: sample))
    return {"dataset": dataset.name, "sequences": dataset.get_num_sequences(), "frames": dataset.table.total_frames,
            "cold_s": cold, "warm_s": warm, "sampler_s": sampler_s,
            "cache_mb": cache_bytes / 2**20}


def format_table(results: list) -> str:
    header = f"{'dataset':<20}{'sequences':>11}{'frames':>13}{'cold s':>9}{'warm s':>9}{'sampler s':>11}"
    lines = [header, "-" * len(header)]
    for r in results:
        lines.append(f"{r['dataset']:<20}{r['sequences']:>11,}{r['frames']:>13,}{r['cold_s']:>9.2f}"
                     f"{r['warm_s']:>9.2f}{r['sampler_s']:>11.3f}")
    return "\n".join(lines)


def run(args) -> dict:
    data_dir = Path(args.data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    sizes = QUICK_SIZES if args.quick else FULL_SIZES
    generate_s = generate(data_dir, sizes)
    got_root = data_dir / "got10k"
    split_file = got_root / "split_all.txt" if args.quick else None  # full size: the official split
    results = [measure(lambda: Got10k(got_root, "train_full", split_file=split_file), data_dir),
               measure(lambda: TrackingNet(data_dir / "trackingnet"), data_dir),
               measure(lambda: MSCOCOSeq(data_dir / "coco", "2017", "train"), data_dir)]
    return {"quick": bool(args.quick), "data_dir": str(data_dir.resolve()), "generate_s": generate_s,
            "cpu_count": os.cpu_count(), "results": results}


def main(argv: list | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        report = run(args)
    except DatasetError as exc:
        return fail(exc)
    except OSError as exc:
        return fail(f"{exc.filename or args.data_dir}: {exc.strerror or exc}")
    print(format_table(report["results"]))
    if report["generate_s"]:
        print(f"(data generated in {report['generate_s']:.1f} s)")
    if args.out:
        Path(args.out).write_text(json.dumps(report, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
