"""SeqTrack training processing: jittered square crops of the template and search frames, normalised."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch

from lib.data.errors import SampleRejected
from lib.data.image_loader import FrameRef
from lib.train.data.transforms import (
    JointParams,
    draw_brightness,
    draw_joint_params,
    jitter_box,
    normalize_image,
    to_grayscale,
)
from lib.utils.crop import (
    CropWindow,
    crop_image,
    crop_window,
    decode_reduction,
    flip_box_xywh,
    frame_box_to_crop_pixels,
    normalize_crop_box,
)
from lib.utils.stage_timer import NO_TIMER


@dataclass(frozen=True)
class CropSpec:
    """How one kind of frame (template or search) is cropped."""

    size: int  # crop side in pixels after resizing
    factor: float  # crop side = ceil(sqrt(w * h) * factor) frame pixels
    center_jitter: float  # centre jitter (in units of sqrt of the jittered area)
    scale_jitter: float  # log-normal scale jitter of each side


@dataclass(frozen=True)
class _CropPlan:
    """Everything random about one frame's crop, drawn before the frame is decoded."""

    part: str  # 'template' or 'search'
    frame: object  # HxWx3 uint8 array or FrameRef
    frame_size: tuple  # full-size (width, height) in pixels (mirroring and reduced decodes need it)
    window: CropWindow  # in frame pixels (of the mirrored frame when flipped)
    crop_box: torch.Tensor  # (4,) float32 xywh, normalised by the crop size - 1 (the original's target)
    brightness: float
    reduction: int  # the JPEG decode reduction this crop allows


def crop_is_degenerate(crop_box, size: int) -> bool:
    """The ground truth in the crop (xywh, crop pixels; array or tensor) is under a pixel wide or high, or
    centred outside the crop's pixel centres ``[0, size - 1]``."""
    x, y, w, h = crop_box.tolist()
    cx, cy = x + 0.5 * w, y + 0.5 * h
    return w < 1 or h < 1 or not (0 <= cx <= size - 1 and 0 <= cy <= size - 1)


class SeqTrackProcessing:
    """Turn a sample's frames and boxes into normalised crops and crop-normalised boxes.

    Input (from the sampler): ``template_images`` / ``search_images`` (lists of HxWx3 uint8 RGB frames or
    :class:`FrameRef` s, decoded here at up to ``1/max_decode_reduction`` size where the crop shrinks them),
    ``template_anno`` / ``search_anno`` (lists of xywh frame-pixel boxes), ``search_visible`` (list of bool).
    Output: ``template_images`` (T, 3, Ht, Wt) and ``search_images`` (S, 3, Hs, Ws) float32,
    ``template_anno`` (T, 4) and ``search_anno`` (S, 4) float32 xywh in [0, 1] of the crop, the original's
    target (:func:`lib.utils.crop.frame_box_to_crop`: top-left corner and size divided by the crop size - 1;
    may leave [0, 1] when the object leaves the crop), ``search_visible`` (S,) bool.
    Boxes are float32 from the start, as the original's tensors are: the window of a given jittered box and
    the target are then the original's to the bit. All randomness comes from the ``rng`` passed in.
    """

    def __init__(self, template: CropSpec, search: CropSpec, mean: Sequence[float], std: Sequence[float],
                 grayscale_prob: float = 0.05, flip_prob: float = 0.5, brightness_jitter: float = 0.2,
                 max_jitter_tries: int = 10, max_decode_reduction: int = 8, timer=NO_TIMER):
        self.specs = {"template": template, "search": search}
        self.mean = np.asarray(mean, dtype=np.float32)
        self.std = np.asarray(std, dtype=np.float32)
        self.grayscale_prob = grayscale_prob
        self.flip_prob = flip_prob
        self.brightness_jitter = brightness_jitter
        self.max_jitter_tries = max_jitter_tries
        self.max_decode_reduction = max_decode_reduction
        self.timer = timer  # a benchmark's StageTimer, else a no-op

    def __call__(self, sample: dict, rng: np.random.Generator) -> dict:
        # Plan every crop first (all random draws, in a fixed order: templates, then search frames), then
        # decode each distinct frame once, as small as its crops allow, then crop, jitter and normalise.
        with self.timer.stage("crop_augment"):
            joint = draw_joint_params(rng, self.grayscale_prob, self.flip_prob)
            plans = [self._plan_frame(part, frame, box, spec, joint, rng)
                     for part, spec in self.specs.items()
                     for frame, box in zip(sample[f"{part}_images"], sample[f"{part}_anno"])]
        with self.timer.stage("decode"):
            decoded = self._decode_frames(plans)
        with self.timer.stage("crop_augment"):
            out = {}
            for part, spec in self.specs.items():
                mine = [plan for plan in plans if plan.part == part]
                images = torch.empty((len(mine), 3, spec.size, spec.size), dtype=torch.float32)
                for i, plan in enumerate(mine):
                    image, reduction = decoded[id(plan.frame)]
                    crop = crop_image(image, plan.window, spec.size, mirror=joint.flip, reduction=reduction,
                                      frame_size=plan.frame_size)
                    if joint.grayscale:
                        crop = to_grayscale(crop)
                    normalize_image(crop, plan.brightness, self.mean, self.std, out=images[i].numpy())
                out[f"{part}_images"] = images
                out[f"{part}_anno"] = torch.stack([plan.crop_box for plan in mine])
            out["search_visible"] = torch.tensor([bool(v) for v in sample["search_visible"]], dtype=torch.bool)
        return out

    def _plan_frame(self, part: str, frame, box, spec: CropSpec, joint: JointParams,
                    rng: np.random.Generator) -> _CropPlan:
        """The window, normalised crop box and brightness of one frame (an array or a :class:`FrameRef`)."""
        frame_size = (frame.width, frame.height) if isinstance(frame, FrameRef) else (frame.shape[1], frame.shape[0])
        box = np.asarray(box, dtype=np.float32).reshape(4)  # as the original's float32 tensors
        if joint.flip:
            box = flip_box_xywh(box, frame_size[0])
        window, crop_box = self._jittered_window(box, spec, rng)
        brightness = draw_brightness(rng, self.brightness_jitter)
        reduction = decode_reduction(window, spec.size, self.max_decode_reduction)
        return _CropPlan(part, frame, frame_size, window, torch.from_numpy(normalize_crop_box(crop_box, spec.size)),
                         brightness, reduction)

    @staticmethod
    def _decode_frames(plans: list) -> dict:
        """``{id(frame): (image, applied reduction)}``: each distinct frame decoded once, at the smallest
        reduction any of its crops needs; arrays (already decoded) are used as they are."""
        wanted: dict = {}
        for plan in plans:
            key = id(plan.frame)
            wanted[key] = min(wanted.get(key, plan.reduction), plan.reduction)
        decoded = {}
        for plan in plans:
            key = id(plan.frame)
            if key not in decoded:
                frame = plan.frame
                decoded[key] = frame.decode(wanted[key]) if isinstance(frame, FrameRef) else (frame, 1)
        return decoded

    def _jittered_window(self, box: np.ndarray, spec: CropSpec, rng: np.random.Generator) -> tuple:
        """``(window, ground truth in crop pixels)`` around a jittered float32 ``box``; redrawn while
        degenerate, then the unjittered box."""
        for _ in range(self.max_jitter_tries):
            jittered = np.array(jitter_box(box.tolist(), rng, spec.center_jitter, spec.scale_jitter), np.float32)
            try:
                window = crop_window(jittered.tolist(), spec.factor)
            except ValueError:
                continue
            crop_box = frame_box_to_crop_pixels(box, jittered, window.resize_factor(spec.size), spec.size)
            if not crop_is_degenerate(crop_box, spec.size):
                return window, crop_box
        try:
            window: CropWindow = crop_window(box.tolist(), spec.factor)
        except ValueError as exc:  # a box of (almost) no area: the sampler draws another sample
            raise SampleRejected(f"box {box.tolist()} cannot be cropped: {exc}") from None
        return window, frame_box_to_crop_pixels(box, box, window.resize_factor(spec.size), spec.size)
