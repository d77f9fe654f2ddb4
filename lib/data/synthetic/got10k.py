"""Generate a small GOT-10k-format subset (``<subset>/list.txt`` and ``GOT-10k_<Subset>_000001/`` folders of
frames and annotation files), for tests and demos; annotation files alone (``images=False``) for start-up
benchmarks of the real dataset's size."""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from lib.data.errors import DatasetError
from lib.data.synthetic.video import SyntheticVideo, absence_spans, checked_size, generator, name_key, trajectory

logger = logging.getLogger(__name__)

SUBSETS = {"train": "Train", "val": "Val", "test": "Test"}  # subset folder -> the word in its sequence names
# (object_class, major_class, root_class) and (motion_class, motion_adverb), in the style of GOT-10k's WordNet
# classes; each object class has its own look (lib.data.synthetic.video.class_look)
OBJECTS = (("zebra", "odd-toed ungulate", "animal"), ("sea lion", "aquatic mammal", "animal"),
           ("goose", "bird", "animal"), ("sedan", "motor vehicle", "artifact"),
           ("tricycle", "wheeled vehicle", "artifact"), ("kite", "toy", "artifact"))
MOTIONS = (("running", "quickly"), ("walking", "slowly"), ("swimming", "slowly"), ("flying", "steadily"),
           ("turning", "quickly"))
PARTIAL_COVER = 0.3  # share of the visible frames whose cover is drawn from 1..8 instead of 8
YOUTUBE_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def sequence_name(subset: str, number: int) -> str:
    """``('train', 1)`` -> ``'GOT-10k_Train_000001'``."""
    return f"GOT-10k_{SUBSETS[subset]}_{number:06d}"


def _labels(rng: np.random.Generator, occlusion: np.ndarray, out_of_view: np.ndarray) -> tuple:
    """(absence, cover) (N,) ints: absent where out of view; cover 0 there, 0-1 where occluded, else mostly 8."""
    n = len(occlusion)
    cover = np.where(rng.random(n) < PARTIAL_COVER, rng.integers(1, 9, n), 8)
    cover = np.where(occlusion, rng.integers(0, 2, n), cover)
    cover = np.where(out_of_view, 0, cover)
    return out_of_view.astype(np.int64), cover.astype(np.int64)


def _meta_info(rng: np.random.Generator, obj: tuple, size: tuple) -> str:
    """meta_info.ini in GOT-10k's layout: the object and motion keys on lines 5-9 (0-based)."""
    motion, adverb = MOTIONS[int(rng.integers(len(MOTIONS)))]
    video = "".join(YOUTUBE_CHARS[i] for i in rng.integers(len(YOUTUBE_CHARS), size=11))
    begin = int(rng.integers(0, 600))
    return (f"[METAINFO]\nurl: https://youtu.be/{video}\nbegin_time: {begin}\nend_time: {begin + 10}\n"
            f"anno_fps: 10Hz\nobject_class: {obj[0]}\nmotion_class: {motion}\nmajor_class: {obj[1]}\n"
            f"root_class: {obj[2]}\nmotion_adverb: {adverb}\nresolution: ({size[0]}, {size[1]})\n")


def _sequence(subset: str, number: int, frames: int, size: tuple, seed: int, images: bool) -> tuple:
    """``(texts, video)`` of one sequence: its annotation files' texts by name, and its SyntheticVideo (None
    without images). Each part has its own generator, so the annotations do not depend on ``images``."""
    keys = (seed, name_key("got10k"), name_key(subset), number)
    obj = OBJECTS[int(generator(*keys, 0).integers(len(OBJECTS)))]
    rng = generator(*keys, 1)
    if images:
        video = SyntheticVideo(rng, frames, size, obj[0])
        boxes, occlusion, out_of_view = video.boxes, video.occlusion, video.out_of_view
    else:  # the same draws as SyntheticVideo's first ones: the same boxes and flags
        video = None
        boxes = trajectory(rng, frames, *size)
        occlusion, out_of_view = absence_spans(rng, frames)
    gt_lines = [f"{x:.4f},{y:.4f},{w:.4f},{h:.4f}\n" for x, y, w, h in boxes.tolist()]
    if subset == "test":  # the test set reveals the first box only
        return {"groundtruth.txt": gt_lines[0]}, video
    labels_rng = generator(*keys, 2)
    absence, cover = _labels(labels_rng, occlusion, out_of_view)
    return {"groundtruth.txt": "".join(gt_lines), "absence.label": "".join(f"{v}\n" for v in absence),
            "cover.label": "".join(f"{v}\n" for v in cover), "meta_info.ini": _meta_info(labels_rng, obj, size)}, video


def _frame_names(frames: int, images: bool) -> list:
    return [f"{i:08d}.jpg" for i in range(1, frames + 1)] if images else []


def _up_to_date(seq_dir: Path, texts: dict, frame_names: list) -> bool:
    """``seq_dir`` holds exactly these annotation texts and frame files, nothing else."""
    if not seq_dir.is_dir() or sorted(os.listdir(seq_dir)) != sorted([*texts, *frame_names]):
        return False
    return all((seq_dir / name).read_text() == text for name, text in texts.items())


def _check_arguments(sequences: int, frames, size, subset: str) -> tuple:
    if subset not in SUBSETS:
        raise DatasetError(f"unknown GOT-10k subset {subset!r}; expected one of {', '.join(SUBSETS)}")
    if not 1 <= sequences <= 999_999:
        raise DatasetError(f"sequences must be 1 to 999999 (GOT-10k's six-digit numbers), got {sequences}")
    counts = [int(frames)] * sequences if np.ndim(frames) == 0 else [int(f) for f in frames]
    if len(counts) != sequences or min(counts) < 1:
        raise DatasetError(f"frames must be one count >= 1 or one per sequence ({sequences}), got {frames!r}")
    width, height = checked_size(size)
    return counts, (width, height)


def _write_sequence(seq_dir: Path, texts: dict, video: SyntheticVideo | None, overwrite: bool) -> None:
    if seq_dir.exists() and any(seq_dir.iterdir()):
        if not overwrite:
            raise DatasetError(f"{seq_dir} already holds other data (another seed, size or frame count, or a real "
                               f"GOT-10k sequence); choose another output folder or pass overwrite=True")
        shutil.rmtree(seq_dir)
    seq_dir.mkdir(parents=True, exist_ok=True)
    for i in range(len(video) if video is not None else 0):
        (seq_dir / f"{i + 1:08d}.jpg").write_bytes(video.jpeg(i))
    for name, text in texts.items():  # annotations last: an interrupted sequence is not up to date
        (seq_dir / name).write_text(text)


def _write_list(path: Path, names: list, overwrite: bool) -> None:
    text = "".join(f"{name}\n" for name in names)
    if path.is_file() and path.read_text() == text:
        return
    if path.exists() and not overwrite:
        raise DatasetError(f"{path} already lists other sequences; choose another output folder or pass "
                           f"overwrite=True")
    path.write_text(text)


def make_synthetic_got10k(out: str | Path, sequences: int = 8, frames: int | Sequence[int] = 30,
                          size: Sequence[int] = (96, 72), seed: int = 0, subset: str = "train",
                          overwrite: bool = False, images: bool = True) -> Path:
    """Write ``out/<subset>/list.txt`` and ``sequences`` GOT-10k-layout sequence folders; returns ``out`` (the
    GOT-10k root that :class:`lib.data.got10k.train_set.Got10k` and the GOT-10k benchmarks take).

    ``subset``: 'train' (``GOT-10k_Train_000001 ...``), 'val' (``GOT-10k_Val_...``) -- frames, groundtruth.txt
    (``x,y,w,h`` with 4 decimals, as GOT-10k writes them), absence.label (1 where out of view), cover.label
    (0..8) and meta_info.ini -- or 'test' (``GOT-10k_Test_...``: frames and the first box only). ``frames``:
    one count for every sequence or one per sequence; ``size`` = (width, height). ``images=False`` writes the
    annotation files only (the same ones). Same arguments -> byte-identical files; a sequence that already holds
    exactly this output is kept, other existing data is an error unless ``overwrite``.
    """
    counts, size = _check_arguments(sequences, frames, size, subset)
    folder = Path(out) / subset
    names = [sequence_name(subset, n) for n in range(1, sequences + 1)]
    if (folder / "list.txt").exists() and not overwrite:  # refuse before writing anything
        _write_list(folder / "list.txt", names, overwrite)
    written = 0
    for number, (name, count) in enumerate(zip(names, counts), start=1):
        texts, video = _sequence(subset, number, count, size, int(seed), images)
        if not _up_to_date(folder / name, texts, _frame_names(count, images)):
            _write_sequence(folder / name, texts, video, overwrite)
            written += 1
    _write_list(folder / "list.txt", names, overwrite)  # last: the list names complete sequences only
    logger.info("synthetic GOT-10k %s in %s: %d sequences of %d-%d frames%s (%d written, %d up to date)", subset,
                folder, sequences, min(counts), max(counts), f" of {size[0]}x{size[1]}" if images else ", no images",
                written, sequences - written)
    return Path(out)
