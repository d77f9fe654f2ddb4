"""Random training transforms drawn from a per-sample generator: joint flags, box jitter, pixel jitter."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import NamedTuple

import cv2
import numpy as np


class JointParams(NamedTuple):
    """Choices shared by every frame of one sample."""

    grayscale: bool
    flip: bool


def draw_joint_params(rng: np.random.Generator, grayscale_prob: float, flip_prob: float) -> JointParams:
    """Grayscale with ``grayscale_prob`` and a left-right flip with ``flip_prob``, for the whole sample."""
    grayscale = bool(rng.random() < grayscale_prob)
    flip = bool(rng.random() < flip_prob)
    return JointParams(grayscale, flip)


def jitter_box(box_xywh: Sequence[float], rng: np.random.Generator, center_jitter: float,
               scale_jitter: float) -> tuple:
    """A jittered copy of an xywh box (pixels).

    Size x exp(N(0, 1) * scale_jitter) per side; centre moved by sqrt(jittered area) * center_jitter *
    (U(0, 1) - 0.5) per axis. Always four draws from ``rng`` (two normal, two uniform).
    """
    x, y, w, h = (float(v) for v in box_xywh)
    scale = np.exp(rng.standard_normal(2) * scale_jitter)
    shift = rng.random(2) - 0.5
    new_w, new_h = w * scale[0], h * scale[1]
    max_offset = math.sqrt(new_w * new_h) * center_jitter
    cx = x + 0.5 * w + max_offset * shift[0]
    cy = y + 0.5 * h + max_offset * shift[1]
    return (cx - 0.5 * new_w, cy - 0.5 * new_h, new_w, new_h)


def draw_brightness(rng: np.random.Generator, jitter: float) -> float:
    """A brightness factor from U[max(0, 1 - jitter), 1 + jitter]."""
    return float(rng.uniform(max(0.0, 1.0 - jitter), 1.0 + jitter))


def to_grayscale(image: np.ndarray) -> np.ndarray:
    """An RGB uint8 image as gray, repeated on three channels."""
    gray = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
    return cv2.merge((gray, gray, gray))


def normalize_image(image: np.ndarray, brightness: float, mean: Sequence[float], std: Sequence[float],
                    out: np.ndarray | None = None) -> np.ndarray:
    """HxWx3 uint8 RGB -> 3xHxW float32: x brightness (clipped at 255), / 255, minus mean, over std.

    Written into ``out`` (a float32 3xHxW array, e.g. a view of a batch tensor) when given.
    """
    chw = image.transpose(2, 0, 1)  # (H, W, 3) -> (3, H, W), a view
    if out is None:
        out = np.empty(chw.shape, dtype=np.float32)
    np.multiply(chw, np.float32(brightness / 255.0), out=out, dtype=np.float32)
    np.minimum(out, np.float32(1.0), out=out)
    out -= np.asarray(mean, dtype=np.float32).reshape(3, 1, 1)
    out /= np.asarray(std, dtype=np.float32).reshape(3, 1, 1)
    return out
