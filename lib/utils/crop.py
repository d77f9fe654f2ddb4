"""Square crops around a box, as the original SeqTrack makes them: the window, the image crop, box mappings.

One crop rule serves training and tracking alike (the original's ``sample_target``):

- **window**: side ``s = ceil(sqrt(w * h) * factor)`` frame pixels; top-left corner
  ``x0 = round(x + w/2 - s/2)``, ``y0 = round(y + h/2 - s/2)`` with Python's ``round`` (half to even), so
  the window covers the pixel columns ``x0 .. x0 + s - 1`` and rows ``y0 .. y0 + s - 1``;
- **padding**: zeros outside the frame, and -- a quirk of the original, kept on purpose because its
  released weights were trained on it -- the frame's **last column and last row count as outside**: the
  original pads ``x0 + s - W + 1`` columns on the right (one more than needed) whenever the window reaches
  the right edge, which replaces the last real column by zeros; the same at the bottom;
- **resize**: the padded ``s x s`` crop resized to ``out_size`` with OpenCV's bilinear ``cv2.resize``, so
  the crop is uint8-equal to the original's on the same OpenCV. ``resize_factor = out_size / s``.

The box mappings are the original's too, and they are *not* an inverse pair on purpose (see
:func:`frame_box_to_crop` and :func:`crop_box_to_frame`): training normalises by ``out_size - 1`` around
``(out_size - 1) / 2``, tracking maps back with ``out_size`` around ``out_size / 2``; both centre on the
box the window was built from, not on the rounded window.

Boxes are ``xywh`` (top-left x, top-left y, width, height) in frame pixels unless a name says otherwise.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import NamedTuple

import cv2
import numpy as np
import torch


class CropWindow(NamedTuple):
    """The square window of a crop: the box centre it is built around, its side and its pixel corner."""

    center_x: float  # centre of the box the window is built from (frame pixels); the box maps use it
    center_y: float
    side: int  # window side in frame pixels, ceil(sqrt(w * h) * factor)
    x0: int  # first pixel column of the window: round(center_x - side / 2), half to even
    y0: int  # first pixel row of the window

    def resize_factor(self, out_size: int) -> float:
        """Crop pixels per frame pixel once the window is resized to ``out_size``."""
        return out_size / self.side


def crop_window(box_xywh: Sequence[float], factor: float) -> CropWindow:
    """The original's window around ``box_xywh`` (frame pixels) for a crop of ``factor`` x its size.

    The box values are used as given: the training path passes float32 boxes (as the original's tensors
    are), the tracker Python floats. A box without a positive, finite width and height has no window
    (the original fails on most of them too, and crops a nonsense window for negative w and h).
    """
    x, y, w, h = (float(v) for v in box_xywh)
    if not (w > 0 and h > 0 and math.isfinite(x) and math.isfinite(y) and math.isfinite(w * h)):
        raise ValueError(f"crop_window needs a finite box with positive width and height, got {list(box_xywh)}")
    side = math.ceil(math.sqrt(w * h) * factor)
    if side < 1:
        raise ValueError(f"crop side {side} of box {list(box_xywh)} x factor {factor} is below one pixel")
    center_x, center_y = x + 0.5 * w, y + 0.5 * h
    # Python's round() is half-to-even (2.5 -> 2, 3.5 -> 4), as the original rounds the corner.
    return CropWindow(center_x, center_y, side, round(center_x - 0.5 * side), round(center_y - 0.5 * side))


def _kept_span(start: int, side: int, first_valid: int, end_valid: int) -> tuple:
    """``(lo, hi)`` of the window's pixels ``[start, start + side)`` that lie in ``[first_valid, end_valid)``;
    ``lo == hi`` when none do."""
    lo, hi = max(start, first_valid), min(start + side, end_valid)
    return (lo, hi) if hi > lo else (lo, lo)


def _padded_region(image: np.ndarray, window: CropWindow, mirror: bool) -> np.ndarray:
    """The window's ``side x side`` pixels, zero-padded as the original pads them, in the image's own
    left-to-right order (mirrored windows still to be flipped). A view of ``image`` when nothing is padded."""
    height, width = image.shape[:2]
    side = window.side
    rows = _kept_span(window.y0, side, 0, height - 1)
    if mirror:  # mirrored columns [x0, x0 + s) are image columns [W - x0 - s, W - x0)
        start = width - window.x0 - side
        cols = _kept_span(start, side, 1, width)  # mirrored column W - 1 (= image column 0) is padding
    else:
        start = window.x0
        cols = _kept_span(start, side, 0, width - 1)
    if rows[0] == rows[1] or cols[0] == cols[1]:
        return np.zeros((side, side) + image.shape[2:], dtype=image.dtype)
    kept = image[rows[0]:rows[1], cols[0]:cols[1]]
    top, bottom = rows[0] - window.y0, window.y0 + side - rows[1]
    left, right = cols[0] - start, start + side - cols[1]
    if top == bottom == left == right == 0:
        return kept
    return cv2.copyMakeBorder(kept, top, bottom, left, right, cv2.BORDER_CONSTANT, value=0)


def window_pixels(image: np.ndarray, window: CropWindow, mirror: bool = False) -> np.ndarray:
    """The window's ``side x side`` pixels before resizing, zero-padded as the original pads them.

    Frame pixels count only in columns ``0 .. W - 2`` and rows ``0 .. H - 2`` (the original's extra
    right / bottom padding column and row, see the module docstring); everything else is 0. With
    ``mirror`` the window is in the coordinates of the left-right mirrored frame (column ``j`` of the
    mirrored frame is column ``W - 1 - j`` of ``image``), without mirroring the whole frame. A window
    wholly outside the frame gives zeros (the original's slicing pulls real pixels in through negative
    indices there: a deviation on purpose). Returns a view of ``image`` when no padding is needed.
    """
    region = _padded_region(image, window, mirror)
    return cv2.flip(region, 1) if mirror else region


def crop_image(image: np.ndarray, window: CropWindow, out_size: int, mirror: bool = False, reduction: int = 1,
               frame_size: tuple | None = None) -> np.ndarray:
    """Crop ``window`` out of ``image``, resized to ``out_size`` x ``out_size``; uint8 in, uint8 out.

    At ``reduction`` 1 (a full-size frame) this is the original's crop exactly: :func:`window_pixels`
    resized with ``cv2.resize`` (bilinear). ``mirror`` takes the window from the left-right mirrored frame.

    ``image`` may instead be the frame decoded at ``1/reduction`` of its size (its pixel ``i`` covering
    frame pixels ``[i * r, (i + 1) * r)``); ``frame_size`` is then the full frame's ``(width, height)``,
    which the reduced size (rounded up) does not tell. The window is the same one, in frame pixels; one
    bilinear ``cv2.warpAffine`` reads it from the reduced pixels, and the crop's columns and rows that the
    original pads are zeroed, so it differs from the full-size crop by interpolation only.
    """
    if reduction == 1:
        crop = cv2.resize(_padded_region(image, window, mirror), (out_size, out_size), interpolation=cv2.INTER_LINEAR)
        # Flipping the small resized crop instead of the window before resizing: the same pixels (the
        # bilinear weights are symmetric; tested), without copying the whole window.
        return cv2.flip(crop, 1) if mirror else crop
    if frame_size is None:
        raise ValueError("crop_image: a crop of a reduced image needs the full frame_size (width, height)")
    frame_width, frame_height = frame_size
    scale = window.resize_factor(out_size)  # crop pixels per frame pixel
    step = scale * reduction  # crop pixels per image pixel
    # Image pixel i is the frame point (i + 0.5) * r, crop pixel j the crop point j + 0.5 (OpenCV's centres).
    if mirror:  # mirrored x = frame_width - x
        ax, bx = -step, scale * (frame_width - 0.5 * reduction - window.x0) - 0.5
    else:
        ax, bx = step, scale * (0.5 * reduction - window.x0) - 0.5
    by = scale * (0.5 * reduction - window.y0) - 0.5
    matrix = np.array([[ax, 0.0, bx], [0.0, step, by]], dtype=np.float64)
    crop = cv2.warpAffine(image, matrix, (out_size, out_size), flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_CONSTANT, borderValue=(0, 0, 0, 0))
    _zero_outside(crop, window, scale, frame_width, frame_height)
    return crop


def _zero_outside(crop: np.ndarray, window: CropWindow, scale: float, frame_width: float, frame_height: float) -> None:
    """Zero the crop columns / rows whose centres lie outside the frame's counted pixels ``[0, W - 1)`` x
    ``[0, H - 1)`` (the original's padding), which a reduced decode smears: its last pixel covers ``r``
    frame pixels, past the frame's edge when the size is not a multiple of ``r``."""
    for axis, start, extent in ((1, window.x0, frame_width), (0, window.y0, frame_height)):
        if start >= 0 and start + window.side <= extent - 1:
            continue  # the window lies inside the counted pixels on this axis
        # Crop pixel j is centred on frame x = start + (j + 0.5) / scale; keep 0 <= x < extent - 1.
        first = max(0, math.ceil(-start * scale - 0.5))
        end = min(crop.shape[axis], max(0, math.ceil((extent - 1 - start) * scale - 0.5)))
        if axis == 1:
            crop[:, :first] = 0
            crop[:, max(first, end):] = 0
        else:
            crop[:first] = 0
            crop[max(first, end):] = 0


def decode_reduction(window: CropWindow, out_size: int, max_reduction: int = 8) -> int:
    """The largest JPEG decode reduction (1, 2, 4 or 8, at most ``max_reduction``) at which the crop still
    shrinks or keeps the decoded pixels: ``r`` such that ``r x out_size / side <= 1``."""
    reduction = 1
    while reduction * 2 <= max_reduction and reduction * 2 * window.resize_factor(out_size) <= 1.0:
        reduction *= 2
    return reduction


def frame_box_to_crop_pixels(box_xywh, extract_box_xywh, resize_factor: float, out_size: int):
    """Training target in crop pixels: ``[..., 4]`` xywh frame boxes -> xywh in the ``out_size`` crop.

    The original's rule: the box centre lands at ``(out_size - 1) / 2 + (centre - extract centre) x
    resize_factor`` and its size is scaled by ``resize_factor``, where ``extract_box_xywh`` is the
    (jittered) box the window was built from. The window's rounding to whole pixels is not compensated.
    Computed in ``box_xywh``'s dtype (training: float32), one IEEE operation at a time in the original's
    order, so the result is its float32 tensors' to the bit. Arrays or tensors in, the same kind out
    (computed in NumPy, several times quicker than torch on four numbers).
    """
    box = np.asarray(box_xywh)
    extract = np.asarray(extract_box_xywh, dtype=box.dtype)
    half_crop = (np.full(2, out_size, dtype=box.dtype) - 1) / 2
    extract_center = extract[..., :2] + 0.5 * extract[..., 2:]
    center = half_crop + (box[..., :2] + 0.5 * box[..., 2:] - extract_center) * resize_factor
    size = box[..., 2:] * resize_factor
    pixels = np.concatenate((center - 0.5 * size, size), axis=-1)
    return torch.from_numpy(pixels) if isinstance(box_xywh, torch.Tensor) else pixels


def normalize_crop_box(box_xywh, out_size: int):
    """Crop-pixel boxes (array or tensor) -> the training target's normalisation: divided by ``out_size - 1``.

    0 is the first crop pixel's centre and 1 the last one's. The box may leave [0, 1] when the object
    leaves the crop; the tokens take its visible part (``lib.models.seqtrack.tokens``).
    """
    return box_xywh / (out_size - 1)


def frame_box_to_crop(box_xywh, extract_box_xywh, resize_factor: float, out_size: int):
    """Training target, normalised: :func:`frame_box_to_crop_pixels` then :func:`normalize_crop_box`."""
    return normalize_crop_box(frame_box_to_crop_pixels(box_xywh, extract_box_xywh, resize_factor, out_size), out_size)


def crop_box_to_frame(box_cxcywh: torch.Tensor, window: CropWindow, out_size: int) -> list:
    """Tracking: a normalised ``(cx, cy, w, h)`` box in the crop (the network's output) -> xywh frame pixels.

    The original's rule: ``box x out_size / resize_factor`` (in the tensor's dtype: float32 from the
    network), then shifted by the window's box centre minus half the window, in Python floats. This uses
    ``out_size`` where training normalises by ``out_size - 1`` (the original's mismatch, kept: its weights
    are evaluated with it), so it is not the inverse of :func:`frame_box_to_crop`: a trained offset ``d``
    from the centre comes back as ``d x out_size / (out_size - 1)``.
    """
    resize_factor = window.resize_factor(out_size)
    cx, cy, w, h = (box_cxcywh.reshape(4) * out_size / resize_factor).tolist()
    half_side = 0.5 * out_size / resize_factor
    cx_frame = cx + (window.center_x - half_side)
    cy_frame = cy + (window.center_y - half_side)
    return [cx_frame - 0.5 * w, cy_frame - 0.5 * h, w, h]


def flip_box_xywh(box_xywh, frame_width: float):
    """``[..., 4]`` xywh boxes (pixels; a tensor or an array, kept) in a frame mirrored left-right; its own
    inverse."""
    flipped = box_xywh * 1  # a copy of the same type and dtype
    flipped[..., 0] = frame_width - box_xywh[..., 0] - box_xywh[..., 2]
    return flipped
