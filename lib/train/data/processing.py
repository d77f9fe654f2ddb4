"""SeqTrack training processing: jittered square crops of the template and search frames, normalised."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import torch

from lib.train.data.transforms import (JointParams, draw_brightness, draw_joint_params, jitter_box,
                                       normalize_image, to_grayscale)
from lib.utils.crop import CropWindow, crop_image, crop_window, flip_box_xywh, frame_box_to_crop


@dataclass(frozen=True)
class CropSpec:
    """How one kind of frame (template or search) is cropped."""

    size: int  # crop side in pixels after resizing
    factor: float  # crop side = ceil(sqrt(w * h) * factor) frame pixels
    center_jitter: float  # centre jitter (in units of sqrt of the jittered area)
    scale_jitter: float  # log-normal scale jitter of each side


def crop_is_degenerate(crop_box: torch.Tensor, size: int) -> bool:
    """The ground truth in the crop (xywh, crop pixels) is under a pixel wide or high, or centred outside."""
    x, y, w, h = crop_box.tolist()
    cx, cy = x + 0.5 * w, y + 0.5 * h
    return w < 1 or h < 1 or not (0 <= cx <= size and 0 <= cy <= size)


class SeqTrackProcessing:
    """Turn a sample's frames and boxes into normalised crops and crop-normalised boxes.

    Input (from the sampler): ``template_images`` / ``search_images`` (lists of HxWx3 uint8 RGB frames),
    ``template_anno`` / ``search_anno`` (lists of xywh frame-pixel boxes), ``search_visible`` (list of bool).
    Output: ``template_images`` (T, 3, Ht, Wt) and ``search_images`` (S, 3, Hs, Ws) float32,
    ``template_anno`` (T, 4) and ``search_anno`` (S, 4) float32 xywh in [0, 1] of the crop (top-left corner,
    divided by the crop size; may leave [0, 1] when the object leaves the crop), ``search_visible`` (S,) bool.
    All randomness comes from the ``rng`` passed in.
    """

    def __init__(self, template: CropSpec, search: CropSpec, mean: Sequence[float], std: Sequence[float],
                 grayscale_prob: float = 0.05, flip_prob: float = 0.5, brightness_jitter: float = 0.2,
                 max_jitter_tries: int = 10):
        self.specs = {"template": template, "search": search}
        self.mean = np.asarray(mean, dtype=np.float32)
        self.std = np.asarray(std, dtype=np.float32)
        self.grayscale_prob = grayscale_prob
        self.flip_prob = flip_prob
        self.brightness_jitter = brightness_jitter
        self.max_jitter_tries = max_jitter_tries

    def __call__(self, sample: dict, rng: np.random.Generator) -> dict:
        joint = draw_joint_params(rng, self.grayscale_prob, self.flip_prob)
        out = {}
        for part, spec in self.specs.items():  # templates first, then search frames: a fixed draw order
            frames, boxes = sample[f"{part}_images"], sample[f"{part}_anno"]
            images = torch.empty((len(frames), 3, spec.size, spec.size), dtype=torch.float32)
            annos = torch.empty((len(frames), 4), dtype=torch.float32)
            for i, (frame, box) in enumerate(zip(frames, boxes)):
                annos[i] = self._process_frame(frame, box, spec, joint, rng, images[i].numpy())
            out[f"{part}_images"], out[f"{part}_anno"] = images, annos
        out["search_visible"] = torch.tensor([bool(v) for v in sample["search_visible"]], dtype=torch.bool)
        return out

    def _process_frame(self, frame: np.ndarray, box, spec: CropSpec, joint: JointParams,
                       rng: np.random.Generator, image_out: np.ndarray) -> torch.Tensor:
        """Crop, jitter and normalise one frame into ``image_out`` (3, size, size); return its crop box."""
        box = torch.as_tensor(box, dtype=torch.float64).reshape(4)
        if joint.flip:
            box = flip_box_xywh(box, frame.shape[1])
        window, crop_box = self._jittered_window(box, spec, rng)
        crop = crop_image(frame, window, spec.size, mirror=joint.flip)
        if joint.grayscale:
            crop = to_grayscale(crop)
        normalize_image(crop, draw_brightness(rng, self.brightness_jitter), self.mean, self.std, out=image_out)
        return (crop_box / spec.size).to(torch.float32)

    def _jittered_window(self, box: torch.Tensor, spec: CropSpec, rng: np.random.Generator) -> tuple:
        """A crop window around a jittered ``box``; redrawn while degenerate, then the unjittered box."""
        for _ in range(self.max_jitter_tries):
            jittered = jitter_box(box.tolist(), rng, spec.center_jitter, spec.scale_jitter)
            try:
                window = crop_window(jittered, spec.factor)
            except ValueError:
                continue
            crop_box = frame_box_to_crop(box, window, spec.size)
            if not crop_is_degenerate(crop_box, spec.size):
                return window, crop_box
        window: CropWindow = crop_window(box.tolist(), spec.factor)
        return window, frame_box_to_crop(box, window, spec.size)
