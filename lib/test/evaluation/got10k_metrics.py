"""GOT-10k's own scores -- average overlap (AO) and success rates (SR0.5, SR0.75) -- as its toolkit and
evaluation server compute them, for ``got10k_val`` (the test split is scored by the server from a packed
submission: ``tracking/pack_submission.py``).

Unlike the success AUC (:mod:`lib.test.evaluation.metrics`), these:

- skip frame 1 (the initialisation);
- clip both boxes to the image (``0 <= x <= W``, ``0 <= w <= W - x``, the same for y and h) before the IoU;
- use the continuous convention (right = x + w, no +1) and ``intersection / (union + eps)``, clipped to [0, 1];
- drop the frames whose ``cover.label`` is 0 (the target is not visible), when the labels are there;
- pool the frames of all sequences: AO is the mean IoU over every kept frame, not a mean of per-sequence means.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

SR_THRESHOLDS = (0.5, 0.75)


def _clip_to_image(boxes: np.ndarray, width: float, height: float) -> np.ndarray:
    """(N, 4) xywh boxes clipped to the ``width`` x ``height`` image (x first, then w within what is left)."""
    boxes = boxes.copy()
    boxes[:, 0] = np.clip(boxes[:, 0], 0, width)
    boxes[:, 1] = np.clip(boxes[:, 1], 0, height)
    boxes[:, 2] = np.clip(boxes[:, 2], 0, width - boxes[:, 0])
    boxes[:, 3] = np.clip(boxes[:, 3], 0, height - boxes[:, 1])
    return boxes


def continuous_iou(pred: np.ndarray, gt: np.ndarray) -> np.ndarray:
    """(N,) IoU of xywh boxes with right = x + w, ``intersection / (union + eps)``, clipped to [0, 1]."""
    left = np.maximum(pred[:, 0], gt[:, 0])
    top = np.maximum(pred[:, 1], gt[:, 1])
    right = np.minimum(pred[:, 0] + pred[:, 2], gt[:, 0] + gt[:, 2])
    bottom = np.minimum(pred[:, 1] + pred[:, 3], gt[:, 1] + gt[:, 3])
    intersection = np.maximum(right - left, 0) * np.maximum(bottom - top, 0)
    union = pred[:, 2] * pred[:, 3] + gt[:, 2] * gt[:, 3] - intersection
    return np.clip(intersection / (union + np.finfo(float).eps), 0.0, 1.0)


def sequence_overlaps(pred_xywh: np.ndarray, gt_xywh: np.ndarray, cover: np.ndarray | None = None,
                      resolution: tuple | None = None) -> np.ndarray:
    """The IoUs of one sequence's frames 2 .. N that count for AO (cover > 0), boxes clipped to ``resolution``
    (width, height) when it is known. Predictions are cut or zero-padded to the ground truth's length."""
    gt = np.asarray(gt_xywh, dtype=np.float64)
    pred = np.asarray(pred_xywh, dtype=np.float64)[:len(gt)]
    if len(pred) < len(gt):
        pred = np.concatenate([pred, np.zeros((len(gt) - len(pred), 4))])
    pred, gt = pred[1:], gt[1:]
    if resolution is not None:
        pred, gt = _clip_to_image(pred, *resolution), _clip_to_image(gt, *resolution)
    ious = continuous_iou(pred, gt)
    if cover is not None:
        cover = np.asarray(cover)[1:len(gt) + 1]
        if len(cover) != len(ious):
            raise ValueError(f"{len(cover) + 1} cover labels for {len(gt) + 1} ground-truth frames")
        ious = ious[cover > 0]
    return ious


@dataclass(frozen=True)
class Got10kScores:
    """AO and SR in percent over the pooled frames of ``sequences`` sequences."""

    ao: float
    sr50: float
    sr75: float
    frames: int
    sequences: int

    def summary(self) -> dict:
        return {"AO": self.ao, "SR0.5": self.sr50, "SR0.75": self.sr75, "frames": self.frames,
                "sequences": self.sequences}


def got10k_scores(per_sequence_overlaps: Iterable[np.ndarray]) -> Got10kScores:
    """AO, SR0.5 and SR0.75 (percent) of the pooled per-frame IoUs of several sequences."""
    parts = list(per_sequence_overlaps)
    ious = np.concatenate(parts) if parts else np.zeros(0)
    if not len(ious):
        raise ValueError("no frame to score (every frame's cover label is 0, or no sequence)")
    sr50, sr75 = (float(np.mean(ious > t) * 100) for t in SR_THRESHOLDS)
    return Got10kScores(float(ious.mean() * 100), sr50, sr75, len(ious), len(parts))
