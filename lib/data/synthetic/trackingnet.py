"""Generate a small TrackingNet-format dataset (``TRAIN_<s>/anno/<video>.txt`` and ``TRAIN_<s>/frames/<video>/
<i>.jpg``, or the ``TEST`` chunk), for tests and demos; annotation files alone (``images=False``) for start-up
benchmarks of the real dataset's size.

Training videos take real TrackingNet video names from the shipped class map, so that their classes resolve
(chunk ``s`` draws from every 12th name of the sorted map, starting at the ``s``-th: chunks never share a
video); test videos get made-up YouTube-like names (11 characters and ``_<n>``).
"""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from lib.data.errors import DatasetError
from lib.data.synthetic.got10k import YOUTUBE_CHARS
from lib.data.synthetic.video import SyntheticVideo, absence_spans, checked_size, generator, name_key, trajectory
from lib.data.trackingnet.classmap import class_map
from lib.data.trackingnet.layout import SET_IDS

logger = logging.getLogger(__name__)

SUBSETS = ("TRAIN", "TEST")
TEST_LOOK = "object"  # the look of test videos, which have no class


def chunk_name(subset: str, set_id: int) -> str:
    return f"TRAIN_{set_id}" if subset == "TRAIN" else "TEST"


def train_videos(set_id: int, count: int, seed: int) -> list:
    """``count`` distinct class-map videos for chunk ``set_id``, drawn by ``seed``."""
    pool = sorted(class_map())[set_id::len(SET_IDS)]
    if count > len(pool):
        raise DatasetError(f"at most {len(pool)} synthetic videos per TrackingNet chunk (real video names are "
                           f"used), got {count}")
    picked = generator(seed, name_key("trackingnet"), set_id).choice(len(pool), size=count, replace=False)
    return [pool[i] for i in picked]


def made_up_videos(count: int, seed: int) -> list:
    """``count`` distinct made-up YouTube-like video names (``<11 characters>_<n>``)."""
    rng = generator(seed, name_key("trackingnet-test"))
    names: dict = {}
    while len(names) < count:
        video = "".join(YOUTUBE_CHARS[i] for i in rng.integers(len(YOUTUBE_CHARS), size=11))
        names.setdefault(f"{video}_{int(rng.integers(0, 4))}", None)
    return list(names)


def _video(name: str, look: str, frames: int, size: tuple, seed: int, first_only: bool, images: bool) -> tuple:
    """``(anno text, SyntheticVideo or None)`` of one video; the text does not depend on ``images``."""
    rng = generator(seed, name_key("trackingnet"), name_key(name))
    if images:
        video = SyntheticVideo(rng, frames, size, look)
        boxes = video.boxes
    else:  # the same draws as SyntheticVideo's first ones: the same boxes
        video = None
        boxes = trajectory(rng, frames, *size)
        absence_spans(rng, frames)
    lines = [f"{x:.2f},{y:.2f},{w:.2f},{h:.2f}\n" for x, y, w, h in boxes.tolist()]
    return "".join(lines[:1] if first_only else lines), video


def _chunk_videos(subset: str, set_id: int, count: int, seed: int) -> tuple:
    """``(names, looks)`` of a chunk's videos: class-map names and their classes, or made-up test names."""
    if subset == "TRAIN":
        names = train_videos(set_id, count, seed)
        return names, [class_map()[n] for n in names]
    return made_up_videos(count, seed), [TEST_LOOK] * count


def _frame_names(videos: list, counts: list, images: bool) -> dict:
    """``{video: frame file names}`` of a chunk (empty without images)."""
    return {v: [f"{i}.jpg" for i in range(c)] for v, c in zip(videos, counts)} if images else {}


def _up_to_date(chunk: Path, texts: dict, frames: dict) -> bool:
    """``chunk`` holds exactly these annotation texts (``{video: text}``) and frame files, nothing else."""
    try:
        if sorted(os.listdir(chunk / "anno")) != sorted(f"{v}.txt" for v in texts):
            return False
        if sorted(os.listdir(chunk)) != (["anno", "frames"] if frames else ["anno"]):
            return False
        if frames and any(sorted(os.listdir(chunk / "frames" / v)) != sorted(n) for v, n in frames.items()):
            return False
    except (FileNotFoundError, NotADirectoryError):
        return False
    return all((chunk / "anno" / f"{v}.txt").read_text() == text for v, text in texts.items())


def _write_chunk(chunk: Path, texts: dict, videos: dict, overwrite: bool) -> None:
    if chunk.exists() and any(chunk.iterdir()):
        if not overwrite:
            raise DatasetError(f"{chunk} already holds other data (another seed, size or frame count, or a real "
                               f"TrackingNet chunk); choose another output folder or pass overwrite=True")
        shutil.rmtree(chunk)
    (chunk / "anno").mkdir(parents=True, exist_ok=True)
    for name, video in videos.items():
        if video is not None:
            (chunk / "frames" / name).mkdir(parents=True, exist_ok=True)
            for i in range(len(video)):
                (chunk / "frames" / name / f"{i}.jpg").write_bytes(video.jpeg(i))
    for name, text in texts.items():  # annotations last
        (chunk / "anno" / f"{name}.txt").write_text(text)


def _check_arguments(subset: str, sets, sequences: int, frames, size) -> tuple:
    if subset not in SUBSETS:
        raise DatasetError(f"unknown TrackingNet subset {subset!r}; expected one of {', '.join(SUBSETS)}")
    sets = [0] if subset == "TEST" else list(dict.fromkeys(sets))
    if not sets or any(s not in SET_IDS for s in sets):
        raise DatasetError(f"TrackingNet training chunks are 0 ... 11, got {list(sets)}")
    if sequences < 1:
        raise DatasetError(f"sequences per chunk must be at least 1, got {sequences}")
    total = len(sets) * sequences
    counts = [int(frames)] * total if np.ndim(frames) == 0 else [int(f) for f in frames]
    if len(counts) != total or min(counts) < 1:
        raise DatasetError(f"frames must be one count >= 1 or one per video ({total}, chunk by chunk), got "
                           f"{frames!r}")
    width, height = checked_size(size)
    return sets, counts, (width, height)


def make_synthetic_trackingnet(out: str | Path, sets: Sequence[int] = (0,), sequences: int = 6,
                               frames: int | Sequence[int] = 30, size: Sequence[int] = (96, 72), seed: int = 0,
                               overwrite: bool = False, subset: str = "TRAIN", images: bool = True) -> Path:
    """Write ``sequences`` videos into each chunk ``TRAIN_<s>`` of ``sets`` (``subset='TRAIN'``), or into ``TEST``
    (``subset='TEST'``: ``sets`` ignored, each annotation file holds the first box only); returns ``out``.

    ``frames``: one count for every video or one per video (chunk by chunk); ``size`` = (width, height);
    ``images=False`` writes the annotation files only (the same ones). Same arguments -> byte-identical files;
    a chunk that already holds exactly this output is kept, other existing data is an error unless ``overwrite``.
    """
    sets, counts, size = _check_arguments(subset, sets, sequences, frames, size)
    root = Path(out)
    for k, set_id in enumerate(sets):
        names, looks = _chunk_videos(subset, set_id, sequences, int(seed))
        chunk_counts = counts[k * sequences:(k + 1) * sequences]
        made = {n: _video(n, look, c, size, int(seed), subset == "TEST", images)
                for n, look, c in zip(names, looks, chunk_counts)}
        texts = {n: text for n, (text, _) in made.items()}
        chunk = root / chunk_name(subset, set_id)
        if _up_to_date(chunk, texts, _frame_names(names, chunk_counts, images)):
            logger.info("synthetic TrackingNet %s: up to date", chunk)
            continue
        _write_chunk(chunk, texts, {n: video for n, (_, video) in made.items()}, overwrite)
        logger.info("synthetic TrackingNet %s: %d videos of %d-%d frames%s", chunk, sequences, min(chunk_counts),
                    max(chunk_counts), f" of {size[0]}x{size[1]}" if images else ", no images")
    return root
