"""The training sampler: per-index, seeded choice of a sequence and its template and search frames."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence

import numpy as np
import torch
from torch.utils.data import Dataset

from lib.data.errors import DatasetError, SampleRejected
from lib.data.frames import FrameError
from lib.utils.stage_timer import NO_TIMER

logger = logging.getLogger(__name__)

MIN_SEQUENCE_FRAMES = 20  # shorter sequences are never sampled
MAX_REDRAWS = 20  # with bad frames skipped: draws of one sample before giving up


def sample_rng(epoch_seed: int, index: int, redraw: int = 0) -> np.random.Generator:
    """The generator of sample ``index`` in the epoch seeded ``epoch_seed``: a pure function of both (and of
    ``redraw``, the attempt after draws that hit bad frames)."""
    entropy = [int(epoch_seed), int(index)] + ([int(redraw)] if redraw else [])
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(entropy)))


def visible_frame_ids(dataset, seq_id: int) -> np.ndarray:
    """Sorted 0-based ids of the visible frames of sequence ``seq_id``."""
    visible = dataset.get_sequence_info(seq_id)["visible"]
    return torch.nonzero(visible, as_tuple=False).flatten().numpy()


def frame_and_visible_counts(dataset) -> tuple:
    """(S,) frame counts and (S,) visible-frame counts of every sequence, from the dataset's annotation table
    in one pass when it has one."""
    table = getattr(dataset, "table", None)
    if table is not None:
        offsets = table.offsets
        visible = np.add.reduceat(table.visible.astype(np.int64), offsets[:-1]) if table.total_frames else None
        frames = np.diff(offsets)
        if visible is None:
            visible = np.zeros(len(frames), dtype=np.int64)
        visible[frames == 0] = 0  # reduceat gives the next row's value for an empty sequence
        return frames, visible
    infos = [dataset.get_sequence_info(i)["visible"] for i in range(dataset.get_num_sequences())]
    return np.array([len(v) for v in infos]), np.array([int(v.sum()) for v in infos])


def sample_frame_ids_order(visible_ids: np.ndarray, count: int, max_gap: int,
                           rng: np.random.Generator) -> list:
    """'order' mode: ``count`` visible ids drawn with replacement within +-``max_gap`` of a visible base.

    The window always holds the base itself, so it never needs widening (the original widens it by 5 and
    retries when it is empty, which cannot happen when the base is visible). Ids are sorted ascending, or
    descending with probability 0.5.
    """
    base = int(visible_ids[rng.integers(len(visible_ids))])
    low = np.searchsorted(visible_ids, base - max_gap, side="left")
    high = np.searchsorted(visible_ids, base + max_gap, side="right")
    ids = np.sort(visible_ids[rng.integers(low, high, size=count)])
    if rng.random() < 0.5:
        ids = ids[::-1]
    return [int(i) for i in ids]


class TrackingSampler(Dataset):
    """``samples_per_epoch`` training samples; item ``index`` depends only on (epoch seed, ``index``).

    Each item: a dataset drawn by ``p_datasets``, a sequence with at least 20 frames and more than
    2 x (templates + searches) visible ones, then frames by :func:`sample_frame_ids_order`: the first
    ``num_template_frames`` are templates, the rest search frames. ``processing(sample, rng)`` receives
    the same generator. Call :meth:`set_epoch_seed` before each epoch's DataLoader iterator is created.

    A frame that cannot be decoded (:class:`FrameError`) stops training, unless ``skip_bad_frames``: the
    sample is then drawn again from a generator of (epoch seed, index, attempt) -- still independent of
    workers and processes -- and the frame is reported with a count of those skipped in this process.
    """

    def __init__(self, datasets: Sequence, p_datasets: Sequence[float], samples_per_epoch: int,
                 max_gap: int, num_search_frames: int, num_template_frames: int,
                 processing: Callable[[dict, np.random.Generator], dict], epoch_seed: int = 0,
                 skip_bad_frames: bool = False, timer=NO_TIMER):
        if len(datasets) != len(p_datasets) or not datasets:
            raise DatasetError(f"{len(datasets)} datasets but {len(p_datasets)} sampling ratios")
        weights = np.asarray(p_datasets, dtype=np.float64)
        if (weights < 0).any() or weights.sum() <= 0:
            raise DatasetError(f"dataset ratios must be non-negative with a positive sum, got {list(p_datasets)}")
        if samples_per_epoch < 1 or max_gap < 0 or num_search_frames < 1 or num_template_frames < 1:
            raise DatasetError("samples_per_epoch, num_search_frames and num_template_frames must be >= 1 "
                               "and max_gap >= 0")
        self.datasets = list(datasets)
        self.p_datasets = weights / weights.sum()
        self.samples_per_epoch = int(samples_per_epoch)
        self.max_gap = int(max_gap)
        self.num_search_frames = int(num_search_frames)
        self.num_template_frames = int(num_template_frames)
        self.processing = processing
        self.skip_bad_frames = skip_bad_frames
        self.timer = timer  # a benchmark's StageTimer, else a no-op
        self.bad_frames_skipped = 0  # in this process (each DataLoader worker counts its own)
        self._eligible = [self._eligible_sequences(d) for d in self.datasets]
        self.set_epoch_seed(epoch_seed)

    def _eligible_sequences(self, dataset) -> np.ndarray:
        """Ids of the sequences that can give a sample: every image of an image dataset; videos with at least
        MIN_SEQUENCE_FRAMES frames and more than 2 x (templates + searches) visible ones."""
        name = getattr(dataset, "name", dataset)
        if not getattr(dataset, "is_video", True):
            if dataset.get_num_sequences() == 0:
                raise DatasetError(f"dataset {name} holds no image")
            return np.arange(dataset.get_num_sequences())
        needed = 2 * (self.num_search_frames + self.num_template_frames)
        frames, visible = frame_and_visible_counts(dataset)
        eligible = np.flatnonzero((frames >= MIN_SEQUENCE_FRAMES) & (visible > needed))
        if not len(eligible):
            raise DatasetError(f"dataset {name} has no sequence with at least {MIN_SEQUENCE_FRAMES} frames and "
                               f"more than {needed} visible ones")
        skipped = dataset.get_num_sequences() - len(eligible)
        if skipped:
            logger.info("%s: %d sequence(s) too short or too rarely visible to sample", name, skipped)
        return eligible

    @property
    def samplable_sequences(self) -> list:
        """Per dataset, how many of its sequences samples are drawn from."""
        return [len(ids) for ids in self._eligible]

    def set_epoch_seed(self, seed: int) -> None:
        """Seed of the coming epoch (an int >= 0); set it before creating the DataLoader iterator."""
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
            raise ValueError(f"epoch seed must be an int >= 0, got {seed!r}")
        self.epoch_seed = int(seed)

    def __len__(self) -> int:
        return self.samples_per_epoch

    def __getitem__(self, index: int) -> dict:
        if not 0 <= index < self.samples_per_epoch:
            raise IndexError(f"sample index {index} out of range [0, {self.samples_per_epoch})")
        for redraw in range(MAX_REDRAWS):
            rng = sample_rng(self.epoch_seed, index, redraw)
            try:
                return self.processing(self.draw_frames(rng), rng)
            except SampleRejected:  # a box that cannot be cropped (an empty COCO box): draw again, as the original
                continue
            except FrameError as exc:
                if not self.skip_bad_frames:
                    raise FrameError(f"{exc} (DATA.BAD_FRAMES: skip trains on without such frames)") from None
                self.bad_frames_skipped += 1
                logger.warning("skipping a bad frame (%d so far in this process): %s", self.bad_frames_skipped, exc)
        raise DatasetError(f"sample {index}: {MAX_REDRAWS} draws in a row hit bad frames or boxes that cannot be "
                           f"cropped; check the dataset")

    def draw_frames(self, rng: np.random.Generator) -> dict:
        """Dataset, sequence and frames of one sample, before processing (frames or :class:`FrameRef` s, and
        frame-pixel boxes)."""
        with self.timer.stage("annotations"):
            dataset_index = int(rng.choice(len(self.datasets), p=self.p_datasets))
            dataset = self.datasets[dataset_index]
            eligible = self._eligible[dataset_index]
            seq_id = int(eligible[rng.integers(len(eligible))])
            count = self.num_template_frames + self.num_search_frames
            if getattr(dataset, "is_video", True):
                frame_ids = sample_frame_ids_order(visible_frame_ids(dataset, seq_id), count, self.max_gap, rng)
            else:  # an image: every frame of the sample is the image itself
                frame_ids = [0] * count
        # Frame references where the dataset has them: processing decodes each frame once, reduced if it can.
        get_frames = getattr(dataset, "get_frame_refs", dataset.get_frames)
        frames, anno, meta = get_frames(seq_id, frame_ids)
        split = self.num_template_frames
        return {
            "template_images": frames[:split], "template_anno": anno["bbox"][:split],
            "search_images": frames[split:], "search_anno": anno["bbox"][split:],
            "search_visible": anno["visible"][split:],
            "dataset": dataset.name, "sequence": meta["sequence_name"], "frame_ids": frame_ids,
        }
