"""One-pass evaluation as the original computes it (pytracking's rules, which the paper's numbers use), for
every benchmark, with the rules that differ between benchmarks in :class:`EvalRules`; and GOT-10k's AO / SR.

Per sequence of N ground-truth frames, predictions and ground truth ``xywh`` in frame pixels (float64):

1. **input checks**: a NaN or a negative width / height in the predictions is an error (the original raises
   too), and so is a NaN in the ground truth except on UAV123, whose NaN rows mark absent frames; more
   predictions than ground-truth frames are cut to the ground truth's length (LaSOT's monkey-25 has one
   extra); fewer are an error on LaSOT and zero-padded elsewhere (after step 2, so the padding stays empty);
2. **zero-size predictions**: from frame 2 on, a predicted box of zero width or height is replaced by the
   previous frame's (already repaired) prediction, except where the ground truth is NaN;
3. **frame 1** is the ground truth (the tracker was initialised with it);
4. **pixel convention** inclusive: right = x + w - 1, centre = x + (w - 1) / 2; IoU = intersection of
   ``[x, x + w - 1]`` spans (+1) over the union of the areas;
5. **valid frames**: ground-truth width and height > 0 (a NaN is not > 0), and on LaSOT and LaSOT_ext the
   target visible (neither ``full_occlusion`` nor ``out_of_view``). An invalid frame gets IoU -1 and centre
   error +inf (UAV123: -1, a hit at every precision threshold), so it fails every success threshold. Its
   normalised centre error is -1 -- a hit at every normalised-precision threshold -- **unless**, on LaSOT
   only, the frame is flagged absent, which sets it (and the centre error) to +inf. So a frame whose box is
   empty without an absence flag counts as a *hit* in normalised precision (the original's rule, kept);
6. **curves** over every frame of the sequence (absent ones in the denominator): success = fraction with
   ``IoU > t``, t = 0, 0.05, ..., 1 (strictly greater: a perfect tracker scores 20/21 = 95.24 AUC);
   precision = centre error ``<= t`` px, t = 0 ... 50; normalised precision = ``<= t``, t = 0 ... 0.5.
   Kept in float32, ``count / N``, as the original keeps them.

Over several sequences (each weighs the same) the float32 curves are averaged and multiplied by 100;
AUC = the mean of that success curve, OP50 / OP75 = its points at 0.5 / 0.75, P@20 = precision at 20 px,
NP@0.2 = normalised precision at 0.2 (percent, float32, as the original prints them).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np
import torch

# 0, 0.05, ..., 1.0, built as the original builds them: torch's float64 arange gives 0.6500000000000001 and
# 0.7500000000000001 at 13 and 15 (i * 0.05 gives 0.65 and 0.75), which decides an IoU of exactly 0.65.
OVERLAP_THRESHOLDS = torch.arange(0.0, 1.0 + 0.05, 0.05, dtype=torch.float64).numpy()
CENTER_THRESHOLDS = np.arange(51, dtype=np.float64)  # pixels
NORM_CENTER_THRESHOLDS = np.arange(51, dtype=np.float64) / 100.0  # 0, 0.01, ..., 0.5
PRECISION_AT = 20  # index of 20 px in CENTER_THRESHOLDS and of 0.2 in NORM_CENTER_THRESHOLDS
OP50_AT, OP75_AT = 10, 15  # indices of 0.5 and 0.75 in OVERLAP_THRESHOLDS


@dataclass(frozen=True)
class EvalRules:
    """What differs between benchmarks in the original's per-frame errors (steps 1, 2 and 5 above)."""

    use_visibility: bool = False  # absence flags make frames invalid (LaSOT, LaSOT_ext)
    absent_misses_everything: bool = False  # absent frames' centre errors are +inf (LaSOT only)
    invalid_center_hit: bool = False  # invalid frames' centre error is -1, a hit (UAV123)
    nan_ground_truth: bool = False  # NaN ground-truth rows are absent frames, not an error (UAV123)
    strict_length: bool = False  # fewer predictions than frames is an error (LaSOT) instead of zero-padding


RULES = {
    "lasot": EvalRules(use_visibility=True, absent_misses_everything=True, strict_length=True),
    "lasot_extension_subset": EvalRules(use_visibility=True),
    "uav": EvalRules(invalid_center_hit=True, nan_ground_truth=True),
}


def rules_for(benchmark: str) -> EvalRules:
    """The rules of ``benchmark`` (a ``--dataset_name``); the common ones for every benchmark not in RULES."""
    return RULES.get(benchmark, EvalRules())


@dataclass(frozen=True)
class Curves:
    """Success, precision and normalised precision curves (float32 fractions) of one or more sequences."""

    success: np.ndarray  # (21,) over OVERLAP_THRESHOLDS
    precision: np.ndarray  # (51,) over CENTER_THRESHOLDS
    norm_precision: np.ndarray  # (51,) over NORM_CENTER_THRESHOLDS
    sequences: int = 1  # how many sequences were averaged

    def percent(self, curve: np.ndarray) -> np.ndarray:
        """A curve x 100 in float32, as the original scales it before summarising."""
        return (torch.from_numpy(np.asarray(curve, dtype=np.float32)) * 100.0).numpy()

    @property
    def auc(self) -> float:
        return float(torch.from_numpy(self.percent(self.success)).mean())

    @property
    def op50(self) -> float:
        return float(self.percent(self.success)[OP50_AT])

    @property
    def op75(self) -> float:
        return float(self.percent(self.success)[OP75_AT])

    @property
    def precision_20(self) -> float:
        return float(self.percent(self.precision)[PRECISION_AT])

    @property
    def norm_precision_20(self) -> float:
        return float(self.percent(self.norm_precision)[PRECISION_AT])

    def summary(self) -> dict:
        """``{'AUC', 'OP50', 'OP75', 'P@20', 'NP@0.2', 'sequences'}`` in percent."""
        return {"AUC": self.auc, "OP50": self.op50, "OP75": self.op75, "P@20": self.precision_20,
                "NP@0.2": self.norm_precision_20, "sequences": self.sequences}


@dataclass(frozen=True)
class FrameErrors:
    """Per-frame errors of one sequence, each (N,) float64 (see the module docstring for the -1 / inf rules)."""

    iou: np.ndarray
    center: np.ndarray  # pixels
    norm_center: np.ndarray
    valid: np.ndarray  # bool: ground truth non-empty and the target visible

    @property
    def average_overlap(self) -> float:
        """Mean IoU over the valid frames (the original's ``avg_overlap``); NaN when none is valid."""
        return float(self.iou[self.valid].mean()) if self.valid.any() else float("nan")


def _checked_inputs(pred_xywh, gt_xywh, absent, rules: EvalRules) -> tuple:
    """Float64 copies of the inputs, checked (step 1; the length is fixed after the repair of step 2)."""
    pred = np.array(pred_xywh, dtype=np.float64)
    gt = np.array(gt_xywh, dtype=np.float64)
    absent = np.zeros(len(gt), dtype=bool) if absent is None else np.asarray(absent, dtype=bool)
    if pred.ndim != 2 or pred.shape[1] != 4 or gt.ndim != 2 or gt.shape[1] != 4 or absent.shape != (gt.shape[0],):
        raise ValueError(f"expected predictions (M, 4), ground truth (N, 4) and absence flags (N,), got "
                         f"{pred.shape}, {gt.shape} and {absent.shape}")
    if gt.shape[0] == 0:
        raise ValueError("a sequence with no frames cannot be evaluated")
    if np.isnan(pred).any() or (pred[:, 2:] < 0).any():
        bad = int(np.flatnonzero(np.isnan(pred).any(1) | (pred[:, 2:] < 0).any(1))[0])
        raise ValueError(f"invalid predictions: frame {bad + 1} is {pred[bad].tolist()} (NaN or negative size)")
    if np.isnan(gt).any() and not rules.nan_ground_truth:
        bad = int(np.flatnonzero(np.isnan(gt).any(1))[0])
        raise ValueError(f"NaN in the ground truth, frame {bad + 1}: {gt[bad].tolist()}")
    if len(pred) < len(gt) and rules.strict_length:
        raise ValueError(f"{len(pred)} predictions for {len(gt)} ground-truth frames")
    return pred[:len(gt)], gt, absent


def _repair_zero_sizes(pred: np.ndarray, gt: np.ndarray) -> None:
    """In place, from frame 2 on: a box of zero width or height takes the previous frame's box (not where the
    ground truth is NaN)."""
    gt_nan = np.isnan(gt[:len(pred)]).any(1)
    for index in np.flatnonzero((pred[1:, 2:] == 0).any(1)) + 1:  # in order, so a run copies one box
        if not gt_nan[index]:
            pred[index] = pred[index - 1]


def _iou_inclusive(pred: np.ndarray, gt: np.ndarray) -> np.ndarray:
    """(N,) IoU of xywh boxes with the inclusive pixel convention (right = x + w - 1)."""
    top_left = np.maximum(pred[:, :2], gt[:, :2])
    bottom_right = np.minimum(pred[:, :2] + pred[:, 2:] - 1.0, gt[:, :2] + gt[:, 2:] - 1.0)
    intersection = np.clip(bottom_right - top_left + 1.0, 0, None).prod(1)
    union = pred[:, 2:].prod(1) + gt[:, 2:].prod(1) - intersection
    return intersection / union


def _center_errors(pred: np.ndarray, gt: np.ndarray) -> tuple:
    """(N,) centre distances in pixels and normalised by the ground truth's size (inclusive centres)."""
    pred_center = pred[:, :2] + 0.5 * (pred[:, 2:] - 1.0)
    gt_center = gt[:, :2] + 0.5 * (gt[:, 2:] - 1.0)
    center = np.sqrt(((pred_center - gt_center) ** 2).sum(1))
    norm = np.sqrt(((pred_center / gt[:, 2:] - gt_center / gt[:, 2:]) ** 2).sum(1))
    return center, norm


def frame_errors(pred_xywh: np.ndarray, gt_xywh: np.ndarray, absent: np.ndarray | None = None,
                 rules: EvalRules = RULES["lasot"]) -> FrameErrors:
    """Per-frame IoU, centre error and normalised centre error of one sequence (rules 1-5 above).

    ``absent`` (N,) bool flags frames where the target is absent (LaSOT's full_occlusion | out_of_view);
    None = no flags. ``rules``: the benchmark's (:func:`rules_for`); LaSOT's by default.
    """
    pred, gt, absent = _checked_inputs(pred_xywh, gt_xywh, absent, rules)
    _repair_zero_sizes(pred, gt)
    if len(pred) < len(gt):  # zero-padded after the repair, as the original
        pred = np.concatenate([pred, np.zeros((len(gt) - len(pred), 4))])
    pred[0] = gt[0]
    visible = ~absent
    valid = (gt[:, 2] > 0) & (gt[:, 3] > 0)
    if rules.use_visibility:
        valid &= visible
    with np.errstate(divide="ignore", invalid="ignore"):  # empty or NaN gt boxes: overwritten just below
        iou = _iou_inclusive(pred, gt)
        center, norm = _center_errors(pred, gt)
    iou[~valid] = -1.0
    center[~valid] = -1.0 if rules.invalid_center_hit else np.inf
    norm[~valid] = -1.0
    if rules.absent_misses_everything:
        norm[~visible] = np.inf
        center[~visible] = np.inf
    return FrameErrors(iou, center, norm, valid)


def _fraction(hits: np.ndarray, frames: int) -> np.ndarray:
    """(N, T) bool -> (T,) float32 ``count / frames``, divided in float32 as the original does."""
    return (torch.from_numpy(hits.sum(0)).float() / frames).numpy()


def curves_of(errors: FrameErrors) -> Curves:
    """The three curves of one sequence from its frame errors; the denominator is its number of frames."""
    frames = len(errors.iou)
    return Curves(success=_fraction(errors.iou[:, None] > OVERLAP_THRESHOLDS[None], frames),
                  precision=_fraction(errors.center[:, None] <= CENTER_THRESHOLDS[None], frames),
                  norm_precision=_fraction(errors.norm_center[:, None] <= NORM_CENTER_THRESHOLDS[None], frames))


def sequence_curves(pred_xywh: np.ndarray, gt_xywh: np.ndarray, absent: np.ndarray | None = None,
                    rules: EvalRules = RULES["lasot"]) -> Curves:
    """The three curves of one sequence (rules 1-6 of the module docstring)."""
    return curves_of(frame_errors(pred_xywh, gt_xywh, absent, rules))


def mean_curves(curves: Iterable[Curves]) -> Curves:
    """The float32 average of several sequences' curves (each sequence weighs the same)."""
    curves = list(curves)
    if not curves:
        raise ValueError("no sequences to average")

    def mean(name: str) -> np.ndarray:
        return torch.from_numpy(np.stack([getattr(c, name) for c in curves]).astype(np.float32)).mean(0).numpy()

    return Curves(success=mean("success"), precision=mean("precision"), norm_precision=mean("norm_precision"),
                  sequences=sum(c.sequences for c in curves))


def frozen_box_predictions(gt_xywh: np.ndarray) -> np.ndarray:
    """The 'frozen box' baseline: the first ground-truth box repeated on every frame -> (N, 4)."""
    gt = np.asarray(gt_xywh, dtype=np.float64)
    return np.repeat(gt[:1], len(gt), axis=0)


def group_by_class(per_sequence: Mapping[str, Curves], class_of: Mapping[str, str | None] | None = None) -> dict:
    """``{'mouse-1': curves, ...}`` -> ``{'mouse': mean curves, ...}`` sorted by class name; the class of a
    sequence is ``class_of[name]`` when given (sequences without one are left out), else LaSOT's name prefix."""
    classes: dict = {}
    for name, curves in per_sequence.items():
        cls = name.rsplit("-", 1)[0] if class_of is None else class_of.get(name)
        if cls is not None:
            classes.setdefault(cls, []).append(curves)
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
    """One line per run: sequences, AUC, OP50, OP75, P@20, NP@0.2 (percent, two decimals as the original)."""
    width = max([3] + [len(run) for run in overall]) + 2
    lines = ["run".ljust(width) + f"{'seqs':>6}{'AUC':>8}{'OP50':>8}{'OP75':>8}{'P@20':>8}{'NP@0.2':>8}"]
    for run, c in overall.items():
        lines.append(run.ljust(width) + f"{c.sequences:>6}{c.auc:>8.2f}{c.op50:>8.2f}{c.op75:>8.2f}"
                     f"{c.precision_20:>8.2f}{c.norm_precision_20:>8.2f}")
    return "\n".join(lines)
