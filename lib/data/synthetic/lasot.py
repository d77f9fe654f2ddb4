"""Generate a small LaSOT-format dataset (``<class>/<class>-<n>/img/%08d.jpg`` and its annotation files)."""

from __future__ import annotations

import logging
import multiprocessing
import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from lib.data.errors import DatasetError
from lib.data.lasot.splits import check_classes
from lib.data.synthetic.video import ClassLook, SyntheticVideo, check_at_least_one, checked_size, generator, name_key

logger = logging.getLogger(__name__)

MAX_SEQUENCES = 20  # LaSOT names <class>-1 ... <class>-20


def _annotation_texts(name: str, boxes, occlusion, out_of_view, look: ClassLook, realistic: bool) -> dict:
    # the sentence names the background, so _up_to_date never mistakes one mode's sequence for the other's
    scene = "through a cluttered scene" if realistic else "over a textured background"
    return {
        "groundtruth.txt": "".join(f"{x},{y},{w},{h}\n" for x, y, w, h in boxes.tolist()),
        "full_occlusion.txt": ",".join("1" if f else "0" for f in occlusion) + "\n",
        "out_of_view.txt": ",".join("1" if f else "0" for f in out_of_view) + "\n",
        "nlp.txt": f"{look.pattern} {name} moving {scene}\n",
    }


@dataclass(frozen=True)
class SequenceJob:
    seq_dir: str
    name: str  # class name
    number: int  # 1 ... 20
    frames: int
    size: tuple  # (width, height)
    seed: int
    overwrite: bool
    realistic: bool = False  # LaSOT-like scene texture and object sizes


def _up_to_date(seq_dir: Path, texts: dict, frames: int) -> bool:
    """The sequence already holds exactly what this job would write (same annotations, all frames)."""
    for file_name, text in texts.items():
        path = seq_dir / file_name
        if not path.is_file() or path.read_text() != text:
            return False
    img_dir = seq_dir / "img"
    return img_dir.is_dir() and sorted(os.listdir(img_dir)) == [f"{i:08d}.jpg" for i in range(1, frames + 1)]


def _prepare_dir(seq_dir: Path, overwrite: bool) -> None:
    if seq_dir.exists() and any(seq_dir.iterdir()):
        if not overwrite:
            raise DatasetError(f"{seq_dir} already holds other data (another seed, size or frame count, or a "
                               f"real LaSOT sequence); choose another output folder or pass --overwrite "
                               f"(overwrite=True) to replace it")
        shutil.rmtree(seq_dir)
    (seq_dir / "img").mkdir(parents=True, exist_ok=True)


def write_sequence(job: SequenceJob) -> bool:
    """Render one sequence; False when it was already up to date. All draws come from its own seed."""
    video = SyntheticVideo(generator(job.seed, name_key(job.name), job.number), job.frames, job.size, job.name,
                           job.realistic)
    texts = _annotation_texts(job.name, video.boxes, video.occlusion, video.out_of_view, video.look, job.realistic)
    seq_dir = Path(job.seq_dir)
    if _up_to_date(seq_dir, texts, job.frames):
        return False
    _prepare_dir(seq_dir, job.overwrite)
    for i in range(job.frames):
        (seq_dir / "img" / f"{i + 1:08d}.jpg").write_bytes(video.jpeg(i))
    for file_name, text in texts.items():  # annotations last: an interrupted sequence is not up to date
        (seq_dir / file_name).write_text(text)
    return True


def _check_arguments(classes, sequences: int, frames: int, size) -> tuple:
    if not classes:
        raise DatasetError("name at least one LaSOT class to generate, e.g. mouse electricfan")
    chosen = check_classes(classes)
    if not 1 <= sequences <= MAX_SEQUENCES:
        raise DatasetError(f"sequences per class must be 1 to {MAX_SEQUENCES} (LaSOT's <class>-1 ... -20), "
                           f"got {sequences}")
    check_at_least_one(frames=frames)
    width, height = checked_size(size)
    return chosen, (width, height)


def make_synthetic_lasot(out: str | Path, classes: Sequence[str], sequences: int = 20, frames: int = 120,
                         size: Sequence[int] = (320, 240), seed: int = 0, workers: int | None = None,
                         overwrite: bool = False, realistic: bool = False) -> Path:
    """Write ``classes`` x ``sequences`` LaSOT-layout sequences of ``frames`` frames (``size`` = width, height).

    Same arguments -> byte-identical files, whatever ``workers`` (processes; None = the CPU count, at most 8).
    A sequence that already holds exactly this output is kept; other existing data is an error unless
    ``overwrite``. Sequences are named ``<class>-1 ...``, so the official split sends 16 of 20 to train.
    ``realistic`` makes frames that cost what real LaSOT frames cost to decode (natural-image-like scenes,
    ~115 KB JPEGs at 1280x720) and objects sized like LaSOT's, for speed benchmarks. Returns the root.
    """
    chosen, size = _check_arguments(classes, sequences, frames, size)
    root = Path(out)
    jobs = [SequenceJob(str(root / name / f"{name}-{n}"), name, n, int(frames), size, int(seed), overwrite,
                         bool(realistic)) for name in chosen for n in range(1, sequences + 1)]
    workers = min(len(jobs), workers or min(os.cpu_count() or 1, 8))
    if workers > 1:
        with multiprocessing.get_context().Pool(workers) as pool:
            written = pool.map(write_sequence, jobs, chunksize=1)
    else:
        written = [write_sequence(job) for job in jobs]
    logger.info("synthetic LaSOT in %s: %d classes x %d sequences x %d frames of %dx%d%s (%d written, %d up to "
                "date)", root, len(chosen), sequences, frames, size[0], size[1], ", realistic" if realistic else "",
                sum(written), len(jobs) - sum(written))
    return root
