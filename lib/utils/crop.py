"""Square crops around a box: the window, box mapping frame <-> crop (inverse pair), and the image crop.

Coordinates are continuous pixels: pixel ``i`` covers ``[i, i + 1)``; boxes are ``xywh`` (top-left x,
top-left y, width, height). A crop of window ``(x0, y0, side)`` resized to ``out_size`` maps a frame
point ``x`` to ``(x - x0) * out_size / side``. Used by the training data path and by the tracker.
"""

from __future__ import annotations

import math
from typing import NamedTuple, Sequence

import cv2
import numpy as np
import torch


class CropWindow(NamedTuple):
    """A square region of the frame: top-left corner ``(x0, y0)`` and ``side``, in frame pixels."""

    x0: float
    y0: float
    side: float

    def resize_factor(self, out_size: int) -> float:
        """Crop pixels per frame pixel once the window is resized to ``out_size``."""
        return out_size / self.side


def crop_window(box_xywh: Sequence[float], factor: float) -> CropWindow:
    """The square window of side ``ceil(sqrt(w * h) * factor)`` centred on ``box_xywh`` (pixels).

    The corner is not rounded, so the box centre is exactly the window centre.
    """
    x, y, w, h = (float(v) for v in box_xywh)
    if not (w > 0 and h > 0 and math.isfinite(w * h)):
        raise ValueError(f"crop_window needs a box with positive width and height, got {list(box_xywh)}")
    side = float(math.ceil(math.sqrt(w * h) * factor))
    if side < 1:
        raise ValueError(f"crop side {side} of box {list(box_xywh)} x factor {factor} is below one pixel")
    return CropWindow(x + 0.5 * w - 0.5 * side, y + 0.5 * h - 0.5 * side, side)


def frame_box_to_crop(box_xywh: torch.Tensor, window: CropWindow, out_size: int) -> torch.Tensor:
    """``[..., 4]`` xywh boxes in frame pixels -> xywh in the pixels of the ``out_size`` crop."""
    scale = window.resize_factor(out_size)
    offset = box_xywh.new_tensor([window.x0, window.y0, 0.0, 0.0])
    return (box_xywh - offset) * scale


def crop_box_to_frame(box_xywh: torch.Tensor, window: CropWindow, out_size: int) -> torch.Tensor:
    """Inverse of :func:`frame_box_to_crop`: crop-pixel xywh boxes -> frame-pixel xywh boxes."""
    scale = window.resize_factor(out_size)
    offset = box_xywh.new_tensor([window.x0, window.y0, 0.0, 0.0])
    return box_xywh / scale + offset


def flip_box_xywh(box_xywh: torch.Tensor, frame_width: float) -> torch.Tensor:
    """``[..., 4]`` xywh boxes (pixels) in a frame mirrored left-right; its own inverse."""
    x, y, w, h = box_xywh.unbind(-1)
    return torch.stack((frame_width - x - w, y, w, h), dim=-1)


def crop_image(image: np.ndarray, window: CropWindow, out_size: int, mirror: bool = False, reduction: int = 1,
               frame_width: float | None = None) -> np.ndarray:
    """Crop ``window`` out of ``image`` resized to ``out_size`` x ``out_size``, zeros outside the frame.

    One bilinear ``cv2.warpAffine`` that reads only the pixels it needs; the dtype is kept (uint8 in,
    uint8 out). With ``mirror`` the window is taken from the left-right mirrored image (as given by
    :func:`flip_box_xywh`) without materialising the mirrored frame. ``image`` may be the frame decoded at
    ``1/reduction`` of its size (its pixel ``i`` covering frame pixels ``[i * r, (i + 1) * r)``); ``window``
    stays in frame pixels, and mirroring then needs the full ``frame_width``.
    """
    if frame_width is None:
        if reduction != 1 and mirror:
            raise ValueError("crop_image: a mirrored crop of a reduced image needs frame_width")
        frame_width = image.shape[1] * reduction
    scale = window.resize_factor(out_size)  # crop pixels per frame pixel
    step = scale * reduction  # crop pixels per image pixel
    # Image pixel i is the frame point (i + 0.5) * r, crop pixel j the crop point j + 0.5 (OpenCV's centres).
    if mirror:  # mirrored x = frame_width - x
        ax, bx = -step, scale * (frame_width - 0.5 * reduction - window.x0) - 0.5
    else:
        ax, bx = step, scale * (0.5 * reduction - window.x0) - 0.5
    by = scale * (0.5 * reduction - window.y0) - 0.5
    matrix = np.array([[ax, 0.0, bx], [0.0, step, by]], dtype=np.float64)
    return cv2.warpAffine(image, matrix, (out_size, out_size), flags=cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_CONSTANT, borderValue=(0, 0, 0, 0))


def decode_reduction(window: CropWindow, out_size: int, max_reduction: int = 8) -> int:
    """The largest JPEG decode reduction (1, 2, 4 or 8, at most ``max_reduction``) at which the crop still
    shrinks or keeps the decoded pixels: ``r`` such that ``r x out_size / side <= 1``."""
    reduction = 1
    while reduction * 2 <= max_reduction and reduction * 2 * window.resize_factor(out_size) <= 1.0:
        reduction *= 2
    return reduction
