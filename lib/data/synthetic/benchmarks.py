"""Generate small copies of the test benchmarks in their public layouts (GOT-10k test and val, TrackingNet,
TNL2K, UAV123, NfS, OTB100, TC128, LaSOT_ext), for tests and end-to-end runs of the tracker and evaluation.

GOT-10k, TrackingNet and LaSOT_ext are written by their datasets' own generators (``got10k``, ``trackingnet``,
``lasot``). Benchmarks listed by their files get ``sequences`` generated sequences of ``frames`` frames. The
table-driven ones (UAV123, NfS, OTB100) get real names of their table with the table's frame ranges, which
cannot be shortened: the rows of the special cases worth testing first (``SPECIAL_CASES``: a UAV sub-sequence
starting at frame 1075, OTB's Tiger1 with initOmit 5, BlurCar3 starting at frame 3, the Jogging_1/_2 pair
sharing a folder), then the shortest. UAV123 ground truth holds NaN rows where the object is hidden; every
other OTB file separates its values by tabs; every other TC128 sequence starts at frame 3. Same arguments ->
byte-identical files.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Sequence
from pathlib import Path

from lib.data.benchmarks import nfs, otb, uav
from lib.data.benchmarks.lasot import extension_names
from lib.data.errors import DatasetError
from lib.data.lasot.splits import sequence_class
from lib.data.synthetic.file_tree import write_file_tree
from lib.data.synthetic.got10k import make_synthetic_got10k, sequence_name
from lib.data.synthetic.lasot import SequenceJob, write_sequence
from lib.data.synthetic.trackingnet import made_up_videos, make_synthetic_trackingnet
from lib.data.synthetic.video import SyntheticVideo, check_at_least_one, checked_size, generator, name_key

logger = logging.getLogger(__name__)

TABLE_ENTRIES = {"uav": uav.entries, "nfs": nfs.entries, "otb": otb.entries}
# Table rows written first, before the shortest ones (cheap: a few hundred frames each).
SPECIAL_CASES = {
    "uav": ("uav_person8_2",),  # sub-sequence of person8: frames 1075-1525, its ground truth's row 0 = 1075
    "nfs": (),
    "otb": ("Tiger1", "BlurCar3", "Jogging_1", "Jogging_2"),  # initOmit 5; starts at 3; two targets, one folder
}
LOOKS = ("bus", "deer", "kite", "fish", "drone", "person")  # object looks of the generated TNL2K, TC128 videos
TNL2K_NAMES = ("Cartoon_Dog_video", "advSamp_Car", "Bird_video", "INF_kite", "basketball")  # mixed case, as TNL2K's
TC128_NAMES = ("Airport", "Baby", "Ball", "Bikeshow", "Bike")  # + '_ce', as TC128's own sequences


def _video(seed: int, layout: str, key: str, frames: int, size: tuple, look: str) -> SyntheticVideo:
    return SyntheticVideo(generator(seed, name_key(layout), name_key(key)), frames, size, look)


def _box_lines(boxes, separator: str = ",") -> bytes:
    return "".join(separator.join(str(v) for v in box) + "\n" for box in boxes.tolist()).encode()


def _frames(folder: str, video: SyntheticVideo, names: Sequence[str]) -> dict:
    return {f"{folder}/{file}": video.jpeg(i) for i, file in enumerate(names)}


def _tnl2k(names: list, frames: int, size: tuple, seed: int) -> dict:
    files = {}
    for i, name in enumerate(names):
        look = LOOKS[i % len(LOOKS)]
        video = _video(seed, "tnl2k", name, frames, size, look)
        files |= _frames(f"{name}/imgs", video, [f"{k:05d}.jpg" for k in range(1, frames + 1)])
        files[f"{name}/groundtruth.txt"] = _box_lines(video.boxes)
        files[f"{name}/language.txt"] = f"the {video.look.pattern} {look} moving across the scene\n".encode()
    return files


def _tc128(names: list, frames: int, size: tuple, seed: int) -> dict:
    """Every other sequence starts at frame 3 (its ``_frames.txt`` says 3,<end>), as some of TC128's do."""
    files = {}
    for i, name in enumerate(names):
        start = 1 + 2 * (i % 2)
        video = _video(seed, "tc128", name, frames, size, LOOKS[i % len(LOOKS)])
        files |= _frames(f"{name}/img", video, [f"{k:04d}.jpg" for k in range(start, start + frames)])
        files[f"{name}/{name}_gt.txt"] = _box_lines(video.boxes)
        files[f"{name}/{name}_frames.txt"] = f"{start},{start + frames - 1}\n".encode()
    return files


def _hide_span(video: SyntheticVideo) -> None:
    """Take the object out of view over a stretch of frames (UAV123 marks such frames NaN)."""
    video.hide(len(video) * 3 // 5, max(2, len(video) // 20))


def _table_gt(layout: str, video: SyntheticVideo, rows: slice, tabs: bool) -> bytes:
    boxes = video.boxes[rows]
    if layout != "uav":
        return _box_lines(boxes, "\t" if tabs else ",")
    hidden = (video.occlusion | video.out_of_view)[rows]
    return "".join("NaN,NaN,NaN,NaN\n" if gone else ",".join(map(str, box)) + "\n"
                   for box, gone in zip(boxes.tolist(), hidden, strict=True)).encode()


def _table(layout: str, names: list, frames: int, size: tuple, seed: int) -> dict:
    """The chosen table rows (``frames`` unused: the table fixes them); sub-sequences of one folder share its
    frames, one video over their union (Jogging_1 and _2 get the same boxes: one object is drawn)."""
    entries = TABLE_ENTRIES[layout]()
    folders = {}
    for name in names:
        folders.setdefault(entries[name].frame_dir, []).append(entries[name])
    files = {}
    for folder, group in folders.items():
        low = min(e.first_frame - e.gt_rows_dropped for e in group)  # startFrame: the omitted frames exist too
        high = max(e.last_frame for e in group)
        video = _video(seed, layout, folder, high - low + 1, size, group[0].object_class)
        if layout == "uav":
            _hide_span(video)
        files |= {group[0].frame_file(n): video.jpeg(n - low) for n in range(low, high + 1)}
        for entry in group:
            rows = slice(entry.first_frame - entry.gt_rows_dropped - low, entry.last_frame - low + 1)
            tabs = layout == "otb" and names.index(entry.name) % 2 == 1
            files[entry.gt_file] = _table_gt(layout, video, rows, tabs)
    return files


def _table_names(layout: str, sequences: int) -> list:
    entries = TABLE_ENTRIES[layout]()
    if not 1 <= sequences <= len(entries):
        raise DatasetError(f"{layout} has {len(entries)} sequences in its table; asked for {sequences}")
    special = list(SPECIAL_CASES[layout][:sequences])
    shortest = sorted((e for e in entries.values() if e.name not in special), key=lambda e: len(e.frame_numbers))
    chosen = set(special + [e.name for e in shortest[:sequences - len(special)]])
    return [name for name in entries if name in chosen]


def _extension_names(sequences: int) -> list:
    """LaSOT_ext names, one class after the other: atv-1, badminton-1, ..., wingsuit-1, atv-2, ..."""
    names = extension_names()
    classes = list(dict.fromkeys(sequence_class(n) for n in names))
    if not 1 <= sequences <= len(names):
        raise DatasetError(f"lasot_extension_subset has {len(names)} sequences; asked for {sequences}")
    order = sorted(names, key=lambda n: (int(n.rsplit("-", 1)[1]), classes.index(sequence_class(n))))
    return order[:sequences]


def _cycled(bases: tuple, n: int) -> str:
    """Name ``n`` (from 1) of ``bases``: the bases, then the bases numbered 2, 3 ..."""
    return bases[(n - 1) % len(bases)] + ("" if n <= len(bases) else str((n - 1) // len(bases) + 1))


def synthetic_names(layout: str, sequences: int = 3, seed: int = 0) -> list:
    """The names :func:`make_synthetic_benchmark` writes for ``layout``, in the order the reader lists them."""
    if layout in TABLE_ENTRIES:
        return _table_names(layout, sequences)
    if layout == "lasot_extension_subset":
        return _extension_names(sequences)
    if sequences < 1:
        raise DatasetError(f"sequences must be at least 1, got {sequences}")
    numbers = range(1, sequences + 1)
    if layout in ("got10k_test", "got10k_val"):
        return [sequence_name(layout.removeprefix("got10k_"), n) for n in numbers]
    if layout == "trackingnet":
        return sorted(made_up_videos(sequences, seed))
    if layout == "tnl2k":
        return sorted(f"{_cycled(TNL2K_NAMES, n)}_{n:02d}" for n in numbers)
    if layout == "tc128":
        return sorted(f"{_cycled(TC128_NAMES, n)}_ce" for n in numbers)
    raise DatasetError(f"unknown benchmark layout {layout!r}; choose one of {', '.join(LAYOUTS)}")


def _extension(out: Path, names: list, frames: int, size: tuple, seed: int, overwrite: bool) -> int:
    """LaSOT's layout, written by the LaSOT generator; returns the sequences written (others were up to date)."""
    jobs = [SequenceJob(str(out / sequence_class(name) / name), sequence_class(name), int(name.rsplit("-", 1)[1]),
                         frames, size, seed, overwrite) for name in names]
    return sum(write_sequence(job) for job in jobs)


# layouts written here: (names, frames, size, seed) -> {path under the root: bytes}
FILE_TREES = {"tnl2k": _tnl2k, "tc128": _tc128,
              **{layout: functools.partial(_table, layout) for layout in TABLE_ENTRIES}}
TITLES = {"tnl2k": "TNL2K", "tc128": "TC128", "uav": uav.TITLE, "nfs": nfs.TITLE, "otb": otb.TITLE}
LAYOUTS = ("got10k_test", "got10k_val", "trackingnet", *FILE_TREES, "lasot_extension_subset")


def make_synthetic_benchmark(layout: str, out: str | Path, sequences: int = 3, frames: int = 30,
                             size: Sequence[int] = (48, 36), seed: int = 0, overwrite: bool = False) -> Path:
    """Write a small copy of benchmark ``layout`` (a ``--dataset_name``) under ``out``, its root; returns it.

    ``sequences``: how many (their names: :func:`synthetic_names`). ``frames``: frames per sequence, except for
    UAV123, NfS and OTB100, whose table fixes each sequence's range. ``size``: (width, height). Output already
    there is kept; other data is an error unless ``overwrite``. GOT-10k's splits and TrackingNet's TEST are
    folders of their roots, which they can share with the training data generated there.
    """
    if layout not in LAYOUTS:
        raise DatasetError(f"unknown benchmark layout {layout!r}; choose one of {', '.join(LAYOUTS)}")
    check_at_least_one(frames=frames)
    width, height = checked_size(size)
    root, size, seed, frames = Path(out), (width, height), int(seed), int(frames)
    if layout in ("got10k_test", "got10k_val"):
        return make_synthetic_got10k(root, sequences, frames, size, seed, layout.removeprefix("got10k_"), overwrite)
    if layout == "trackingnet":
        return make_synthetic_trackingnet(root, (0,), sequences, frames, size, seed, overwrite, "TEST")
    names = synthetic_names(layout, sequences, seed)
    if layout == "lasot_extension_subset":
        written = _extension(root, names, frames, size, seed, overwrite) > 0
    else:
        written = write_file_tree(root, FILE_TREES[layout](names, frames, size, seed), TITLES[layout], overwrite)
    logger.info("synthetic %s in %s: %s (%s)", layout, root, ", ".join(names), "written" if written else "up to date")
    return root
