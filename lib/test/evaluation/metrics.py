"""LaSOT one-pass evaluation (the pytracking protocol): success, precision and normalized precision curves.

Per sequence of N frames, with predictions and ground truth in xywh frame pixels:

- frame 1's prediction is replaced by the ground truth (the tracker was initialised with it);
- a frame is *scored* when its ground-truth box is valid (w > 0 and h > 0) and the target is present
  (neither ``full_occlusion`` nor ``out_of_view``). Frames that are not scored are failures at every
  threshold: IoU -1 (so ``IoU > 0`` fails too) and centre errors +inf. Whatever box the ground truth holds
  for an absent frame is ignored (real LaSOT writes 0,0,0,0 there; the synthetic data writes the hidden
  box). pytracking does the same for IoU and the precision, but gives frames with an invalid box and no
  absence flag a normalized centre error of -1, i.e. a hit at every threshold; we count them as failures;
- the denominator is always N (all frames, frame 1 included): absent frames pull the scores down;
- success curve: fraction of frames with ``IoU > t`` for t = 0, 0.05, ..., 1 (21 thresholds, strictly
  greater as pytracking and the LaSOT toolkit compare). The point at t = 1 is therefore always 0, and a
  perfect tracker's AUC is 100 x 20/21 = 95.24, as in those toolkits;
- precision curve: fraction with centre distance ``<= t`` pixels, t = 0 ... 50; normalized precision:
  the centre offset divided by the ground truth's w and h per axis, L2 norm ``<= t``, t = 0, 0.01 ... 0.5.

Over several sequences the curves are averaged (each sequence weighs the same, whatever its length);
AUC = mean of the averaged success curve x 100, P@20 = precision at 20 px x 100, NP@0.2 = normalized
precision at 0.2 x 100.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Mapping

import numpy as np
import torch

from lib.utils.box_ops import box_iou_xyxy, box_xywh_to_xyxy

OVERLAP_THRESHOLDS = np.arange(21) * 0.05  # 0, 0.05, ..., 1.0
CENTER_THRESHOLDS = np.arange(51, dtype=np.float64)  # pixels
NORM_CENTER_THRESHOLDS = np.arange(51) / 100.0  # 0, 0.01, ..., 0.5
PRECISION_AT = 20  # index of 20 px in CENTER_THRESHOLDS and of 0.2 in NORM_CENTER_THRESHOLDS


@dataclass(frozen=True)
class Curves:
    """Success, precision and normalized precision curves (fractions in [0, 1]) of one or more sequences."""

    success: np.ndarray  # (21,) over OVERLAP_THRESHOLDS
    precision: np.ndarray  # (51,) over CENTER_THRESHOLDS
    norm_precision: np.ndarray  # (51,) over NORM_CENTER_THRESHOLDS
    sequences: int = 1  # how many sequences were averaged

    @property
    def auc(self) -> float:
        return float(self.success.mean() * 100)

    @property
    def precision_20(self) -> float:
        return float(self.precision[PRECISION_AT] * 100)

    @property
    def norm_precision_20(self) -> float:
        return float(self.norm_precision[PRECISION_AT] * 100)

    def summary(self) -> dict:
        """``{'AUC', 'P@20', 'NP@0.2', 'sequences'}`` in percent."""
        return {"AUC": self.auc, "P@20": self.precision_20, "NP@0.2": self.norm_precision_20,
                "sequences": self.sequences}


def _check_shapes(pred: np.ndarray, gt: np.ndarray, absent: np.ndarray) -> None:
    if pred.ndim != 2 or pred.shape[1] != 4 or pred.shape != gt.shape or absent.shape != (gt.shape[0],):
        raise ValueError(f"expected predictions and ground truth (N, 4) and absence flags (N,), got "
                         f"{pred.shape}, {gt.shape} and {absent.shape}")
    if gt.shape[0] == 0:
        raise ValueError("a sequence with no frames cannot be evaluated")


def frame_errors(pred_xywh: np.ndarray, gt_xywh: np.ndarray, absent: np.ndarray) -> tuple:
    """Per-frame ``(iou, centre_error_px, normalized_centre_error)``, each (N,); see the module docstring.

    Frame 1's prediction is taken to be the ground truth. Frames that are not scored get -1, inf, inf.
    """
    pred = np.array(pred_xywh, dtype=np.float64)
    gt = np.asarray(gt_xywh, dtype=np.float64)
    absent = np.asarray(absent, dtype=bool)
    _check_shapes(pred, gt, absent)
    pred[0] = gt[0]
    scored = (gt[:, 2] > 0) & (gt[:, 3] > 0) & ~absent
    iou = box_iou_xyxy(box_xywh_to_xyxy(torch.from_numpy(pred)), box_xywh_to_xyxy(torch.from_numpy(gt))).numpy()
    offset = (pred[:, :2] + 0.5 * pred[:, 2:]) - (gt[:, :2] + 0.5 * gt[:, 2:])  # (N, 2) centre offsets
    centre = np.linalg.norm(offset, axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):  # invalid gt sizes are masked just below
        normalized = np.linalg.norm(offset / gt[:, 2:], axis=1)
    iou = np.where(scored, iou, -1.0)
    centre = np.where(scored, centre, np.inf)
    normalized = np.where(scored, normalized, np.inf)
    return iou, centre, normalized


def sequence_curves(pred_xywh: np.ndarray, gt_xywh: np.ndarray, absent: np.ndarray) -> Curves:
    """The three curves of one sequence; the denominator is its number of frames."""
    iou, centre, normalized = frame_errors(pred_xywh, gt_xywh, absent)
    return Curves(success=(iou[:, None] > OVERLAP_THRESHOLDS[None]).mean(axis=0),
                  precision=(centre[:, None] <= CENTER_THRESHOLDS[None]).mean(axis=0),
                  norm_precision=(normalized[:, None] <= NORM_CENTER_THRESHOLDS[None]).mean(axis=0))


def mean_curves(curves: Iterable[Curves]) -> Curves:
    """Average of several sequences' curves (each sequence weighs the same)."""
    curves = list(curves)
    if not curves:
        raise ValueError("no sequences to average")
    return Curves(success=np.mean([c.success for c in curves], axis=0),
                  precision=np.mean([c.precision for c in curves], axis=0),
                  norm_precision=np.mean([c.norm_precision for c in curves], axis=0),
                  sequences=sum(c.sequences for c in curves))


def frozen_box_predictions(gt_xywh: np.ndarray) -> np.ndarray:
    """The 'frozen box' baseline: the first ground-truth box repeated on every frame -> (N, 4)."""
    gt = np.asarray(gt_xywh, dtype=np.float64)
    return np.repeat(gt[:1], len(gt), axis=0)


def group_by_class(per_sequence: Mapping[str, Curves]) -> dict:
    """``{'mouse-1': curves, ...}`` -> ``{'mouse': mean curves, ...}`` sorted by class name."""
    classes: dict = {}
    for name, curves in per_sequence.items():
        classes.setdefault(name.rsplit("-", 1)[0], []).append(curves)
    return {name: mean_curves(classes[name]) for name in sorted(classes)}


def format_table(rows: Mapping[str, Mapping[str, Curves]], first_column: str) -> str:
    """A text table: one line per row key, one 'AUC / P@20 / NP@0.2' cell per run (column key)."""
    runs = list(dict.fromkeys(run for cells in rows.values() for run in cells))
    width = max([len(first_column)] + [len(key) for key in rows]) + 2
    cell = max([22] + [len(run) + 2 for run in runs])
    lines = [first_column.ljust(width) + "".join(run.rjust(cell) for run in runs),
             " " * width + "".join("AUC / P@20 / NP@0.2".rjust(cell) for _ in runs)]
    for key, cells in rows.items():
        text = [f"{c.auc:.1f} / {c.precision_20:.1f} / {c.norm_precision_20:.1f}" if (c := cells.get(run)) else "-"
                for run in runs]
        lines.append(key.ljust(width) + "".join(t.rjust(cell) for t in text))
    return "\n".join(lines)


def format_overall(overall: Mapping[str, Curves]) -> str:
    """One line per run: sequences, AUC, P@20, NP@0.2 (percent)."""
    width = max([3] + [len(run) for run in overall]) + 2
    lines = ["run".ljust(width) + f"{'seqs':>6}{'AUC':>8}{'P@20':>8}{'NP@0.2':>8}"]
    for run, c in overall.items():
        lines.append(run.ljust(width) + f"{c.sequences:>6}{c.auc:>8.2f}{c.precision_20:>8.2f}"
                     f"{c.norm_precision_20:>8.2f}")
    return "\n".join(lines)
