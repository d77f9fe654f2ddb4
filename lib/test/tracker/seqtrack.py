"""The SeqTrack tracker: template crops of the first frame, then per frame a search crop, encode, decode a box.

Coordinates: boxes given to and returned by the tracker are ``xywh`` (top-left x, top-left y, width,
height) in frame pixels; images are HxWx3 uint8 RGB. The network sees square crops (``lib.utils.crop``),
normalised exactly as in training: ``(pixel / 255 - DATA.MEAN) / DATA.STD``.

Template update. The config's ``TEST.UPDATE_INTERVALS[<dataset>]`` and ``UPDATE_THRESHOLD[<dataset>]``
list one interval and one threshold per extra template (LaSOT: one, 450 frames, 0.6); a benchmark without
its own entry uses ``DEFAULT``. Every
``interval`` frames, the extra template is re-cropped around the new box if the update score is above
the threshold; the first template is never replaced. ``net.inference`` returns the plain sum of the four
chosen (windowed) probabilities, in [0, 4]; the original tracker multiplies that sum by 10 before comparing
it with 0.6, i.e. it updates whenever the sum exceeds 0.06 — almost always, unless the decoder is lost.
We keep that rule (``UPDATE_SCORE_SCALE = 10``) because the published LaSOT numbers were produced with it;
the threshold of 0.6 only reads like a probability. The confidence the tracker reports is the plain sum.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import torch

from lib.config.seqtrack.config import ConfigError
from lib.data.benchmarks.registry import BENCHMARKS
from lib.utils.box_ops import seq_format_to_cxcywh
from lib.utils.crop import CropWindow, crop_box_to_frame, crop_image, crop_window
from lib.utils.precision import Precision, resolve_precision

UPDATE_SCORE_SCALE = 10.0  # the original's factor between the confidence sum and the update threshold
CLIP_MARGIN = 10  # pixels: a box keeps at least this much of itself (and this size) inside the frame


@dataclass(frozen=True)
class TrackerParams:
    """The test-time settings the tracker uses, read once from the config."""

    template_factor: float
    template_size: int
    search_factor: float
    search_size: int
    window: bool  # Hanning window on the cx, cy distributions
    update_intervals: tuple  # frames between updates, one per extra template
    update_thresholds: tuple  # update-score thresholds, one per extra template
    bins: int
    seq_format: str
    mean: tuple
    std: tuple

    @classmethod
    def from_config(cls, cfg, dataset_name: str = "LASOT") -> TrackerParams:
        """Read ``cfg.TEST`` (per-benchmark lists under ``dataset_name``) and check it fits the network."""
        test = cfg.TEST
        key = dataset_name.upper()
        if key not in test.UPDATE_INTERVALS or key not in test.UPDATE_THRESHOLD:
            known = {b.config_key for b in BENCHMARKS.values()}
            if key not in known:
                raise ConfigError(f"no TEST.UPDATE_INTERVALS / UPDATE_THRESHOLD entry for dataset {dataset_name!r}, "
                                  f"and it is not a benchmark; configured: {sorted(test.UPDATE_INTERVALS)}, "
                                  f"benchmarks: {sorted(known)}")
            key = "DEFAULT"  # a benchmark the original's YAMLs give no entry (UAV, NFS, OTB, TC128, GOT10K_VAL)
        intervals, thresholds = tuple(test.UPDATE_INTERVALS[key]), tuple(test.UPDATE_THRESHOLD[key])
        if len(intervals) != len(thresholds) or any(i < 1 for i in intervals):
            raise ConfigError(f"TEST.UPDATE_INTERVALS.{key} {list(intervals)} and UPDATE_THRESHOLD.{key} "
                             f"{list(thresholds)} must be lists of equal length with intervals >= 1")
        if 1 + len(intervals) != test.NUM_TEMPLATES:
            raise ConfigError(f"TEST.NUM_TEMPLATES is {test.NUM_TEMPLATES} but TEST.UPDATE_INTERVALS.{key} lists "
                             f"{len(intervals)} update interval(s): expected NUM_TEMPLATES = 1 + that")
        for part, size in (("SEARCH", test.SEARCH_SIZE), ("TEMPLATE", test.TEMPLATE_SIZE)):
            trained = cfg.DATA[part].SIZE
            if size != trained:
                raise ConfigError(f"TEST.{part}_SIZE ({size}) differs from DATA.{part}.SIZE ({trained}): the "
                                 f"network's position embeddings are built for {trained}-px crops")
        return cls(float(test.TEMPLATE_FACTOR), int(test.TEMPLATE_SIZE), float(test.SEARCH_FACTOR),
                   int(test.SEARCH_SIZE), bool(test.WINDOW), intervals, thresholds, int(cfg.MODEL.BINS),
                   cfg.DATA.SEQ_FORMAT, tuple(cfg.DATA.MEAN), tuple(cfg.DATA.STD))


class TrackOutput(NamedTuple):
    """One frame's result: ``box`` xywh in frame pixels, ``confidence`` = sum of the 4 token probabilities."""

    box: list
    confidence: float


def clip_box(box_xywh: Sequence[float], height: int, width: int, margin: float = CLIP_MARGIN) -> list:
    """Clip an xywh box (pixels) so that it lies inside the ``width`` x ``height`` frame.

    The left/top edge stays within ``[0, side - margin]`` and the right/bottom edge within
    ``[margin, side]``; width and height are then at least ``margin`` (collapsed and inverted boxes grow
    to that size). The result always lies inside the frame (``margin`` shrinks to the frame side for
    frames smaller than it) and has a positive size, so it can be cropped around on the next frame.
    """
    x, y, w, h = (float(v) for v in box_xywh)
    boxes = []
    for start, extent, side in ((x, w, width), (y, h, height)):
        m = min(float(margin), float(side))
        end = min(max(start + extent, m), float(side))
        start = min(max(start, 0.0), side - m)
        boxes.append((start, max(end - start, m)))
    (x, w), (y, h) = boxes
    return [x, y, w, h]


def normalize_crop(crop: np.ndarray, mean: Sequence[float], std: Sequence[float]) -> torch.Tensor:
    """HxWx3 uint8 RGB crop -> (3, H, W) float32 ``(pixel / 255 - mean) / std``, as training does."""
    chw = torch.from_numpy(np.ascontiguousarray(crop.transpose(2, 0, 1))).float().div_(255.0)  # (3, H, W)
    mean_t = torch.tensor(mean, dtype=torch.float32).view(3, 1, 1)
    std_t = torch.tensor(std, dtype=torch.float32).view(3, 1, 1)
    return (chw - mean_t) / std_t


def crop_to_frame_box(box_seq: torch.Tensor, seq_format: str, window: CropWindow, crop_size: int) -> list:
    """A normalised box in token order ``seq_format`` (the network's float32 output) -> xywh frame pixels.

    :func:`lib.utils.crop.crop_box_to_frame`: the original's map back (x crop size / resize factor in
    float32, then around the previous box's centre), bit for bit.
    """
    return crop_box_to_frame(seq_format_to_cxcywh(box_seq, seq_format), window, crop_size)


class SeqTrackTracker:
    """Track one target through a sequence: :meth:`initialize` on the first frame, then :meth:`track`."""

    def __init__(self, net: torch.nn.Module, cfg, device: str | torch.device = "cpu", dataset_name: str = "LASOT",
                 use_cache: bool = True, precision: Precision | None = None):
        self.params = TrackerParams.from_config(cfg, dataset_name)
        self.device = torch.device(device)
        # fp32 unless asked (TEST.AMP / --amp): the original's evaluation is fp32
        self.precision = precision or resolve_precision(False, self.device, "TEST.AMP")
        self.net = net.to(self.device).eval()
        if self.precision.bf16:
            # A bf16 copy of the weights, made once: autocast would otherwise cast every weight at every frame
            # (the tracker's weights need no gradient, so autocast does not keep the casts).
            self.net = copy.deepcopy(self.net).to(torch.bfloat16)
        self.use_cache = use_cache  # False = recompute the whole prefix at each decoding step (for profiling)
        self.templates = None  # (T, 1, 3, S, S) normalised crops; index 0 = first frame, never replaced
        self.state = None  # the current box, xywh frame pixels
        self.frame_id = 0  # frames tracked since initialize
        self._last_box = None  # the last frame's decoded box in the crop, in [0, 1] (tokens / (bins - 1))

    @property
    def last_tokens(self) -> list | None:
        """The four coordinate bins chosen on the last frame (for comparisons; None before the first)."""
        if self._last_box is None:
            return None
        return torch.round(self._last_box.float() * (self.params.bins - 1)).long().tolist()

    def _crop(self, image: np.ndarray, box_xywh: Sequence[float], factor: float, size: int) -> tuple:
        """(normalised crop (1, 1, 3, size, size) on the device, its window)."""
        window = crop_window(box_xywh, factor)
        crop = crop_image(image, window, size)
        tensor = normalize_crop(crop, self.params.mean, self.params.std)
        return tensor.view(1, 1, 3, size, size).to(self.device), window

    @staticmethod
    def _check_image(image: np.ndarray) -> None:
        if not (isinstance(image, np.ndarray) and image.ndim == 3 and image.shape[2] == 3
                and image.dtype == np.uint8):
            shape = getattr(image, "shape", None)
            raise ValueError(f"the tracker takes HxWx3 uint8 RGB images, got {type(image).__name__} "
                             f"shape {shape} dtype {getattr(image, 'dtype', None)}")

    def initialize(self, image: np.ndarray, init_box: Sequence[float]) -> None:
        """Crop the template around ``init_box`` (xywh, pixels); every template slot starts with it."""
        self._check_image(image)
        box = [float(v) for v in init_box]
        if len(box) != 4 or not all(math.isfinite(v) for v in box) or box[2] <= 0 or box[3] <= 0:
            raise ValueError(f"the initial box must be x,y,w,h with a positive width and height, got {list(init_box)}")
        p = self.params
        template, _ = self._crop(image, box, p.template_factor, p.template_size)
        self.templates = template.repeat(1 + len(p.update_intervals), 1, 1, 1, 1)  # (T, 1, 3, S, S)
        self.state = box
        self.frame_id = 0
        self._last_box = None

    @torch.no_grad()
    def track(self, image: np.ndarray) -> TrackOutput:
        """The target's box in ``image`` (xywh, pixels, clipped to the frame) and the decoder's confidence."""
        if self.templates is None:
            raise RuntimeError("call initialize(first_frame, box) before track()")
        self._check_image(image)
        p = self.params
        self.frame_id += 1
        height, width = image.shape[:2]
        search, window = self._crop(image, self.state, p.search_factor, p.search_size)
        with self.precision.autocast():
            memory = self.net.encode(self.templates, search)  # (1, N, hidden)
            boxes, confidence = self.net.inference(memory, window=p.window, use_cache=self.use_cache)
        self._last_box = boxes[0]
        frame_box = crop_to_frame_box(boxes[0].cpu(), p.seq_format, window, p.search_size)
        self.state = clip_box(frame_box, height, width)
        confidence = float(confidence[0])
        self._maybe_update_templates(image, confidence)
        return TrackOutput(list(self.state), confidence)

    def _maybe_update_templates(self, image: np.ndarray, confidence: float) -> None:
        """Replace extra template ``i`` every ``update_intervals[i]`` frames when the score passes its threshold."""
        p = self.params
        for index, (interval, threshold) in enumerate(zip(p.update_intervals, p.update_thresholds)):
            if self.frame_id % interval == 0 and UPDATE_SCORE_SCALE * confidence > threshold:
                template, _ = self._crop(image, self.state, p.template_factor, p.template_size)
                self.templates[index + 1] = template[0]
