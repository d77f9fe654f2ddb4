"""Compare this project with outputs computed by the original SeqTrack code: crops, targets, tracker, metrics."""

from __future__ import annotations

import argparse
import json
import math
import sys
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

import cv2
import numpy as np
import torch

from lib.config.seqtrack.config import default_config
from lib.data.image_loader import FrameRef, opencv_loader
from lib.models.seqtrack.tokens import target_tokens, tokens_to_boxes
from lib.test.evaluation.metrics import (
    CENTER_THRESHOLDS,
    NORM_CENTER_THRESHOLDS,
    OVERLAP_THRESHOLDS,
    curves_of,
    frame_errors,
    mean_curves,
)
from lib.test.evaluation.running import read_results
from lib.test.tracker.seqtrack import clip_box, crop_to_frame_box
from lib.train.data.processing import CropSpec, SeqTrackProcessing
from lib.train.data.sampler import sample_rng
from lib.utils.crop import crop_image, crop_window, frame_box_to_crop, frame_box_to_crop_pixels, window_pixels

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_REFERENCE = REPO_ROOT / "tests" / "fixtures" / "original_reference"
CROP_MAX_LEVELS = 1  # a crop may differ by one grey level ...
CROP_MAX_FRACTION = 0.001  # ... on at most 0.1 % of its values (OpenCV rounding); otherwise it must be equal
METRIC_TOLERANCE = 1e-6

EXAMPLE = f"""example:
  python scripts/check_faithful.py
  python scripts/check_faithful.py --verbose --json faithful.json

The reference data ({DEFAULT_REFERENCE.relative_to(REPO_ROOT)}, README there) were computed by the
original SeqTrack code on stored frames and boxes. Parts: the crop as the tracker makes it, the window it
takes (before resizing), the crop as the training data path makes it (through SeqTrackProcessing, frames
read from files, DATA.MAX_DECODE_REDUCTION 1), the training targets (box in the crop and tokens), the
token conversion, the tracker's box mapping, the LaSOT metrics. Crops must be equal (or differ by 1 grey
level on at most 0.1 % of values), everything else equal, metrics within 1e-6. Inputs the original refuses
must be refused; documented deviations on degenerate input (README, 'Differences from the original') are
listed, not failures.
exit codes: 0 every part agrees, 1 some case differs, 2 the reference data cannot be read"""

DEVIATION_SIZE = "a box without a positive, finite width and height is refused (the original crops it)"
DEVIATION_OUTSIDE = ("a window wholly outside the frame crops to zeros (the original's slicing pulls real "
                     "pixels in through negative indices, or gives a non-square window)")


class ReferenceError(ValueError):
    """The reference data are missing or malformed."""


@dataclass
class PartReport:
    """How one part compares: cases, the worst difference, and what differs or deviates on purpose."""

    part: str
    unit: str  # of the worst difference
    cases: int = 0
    worst: float = 0.0
    failures: list = field(default_factory=list)  # 'case: what differs'
    deviations: list = field(default_factory=list)  # documented deviations on degenerate input
    refused: int = 0  # inputs the original and this project both refuse

    def compare(self, case: str, difference: float, tolerance: float = 0.0, detail: str = "") -> None:
        self.cases += 1
        self.worst = max(self.worst, float(difference))
        if not difference <= tolerance:  # NaN counts as a difference
            self.failures.append(f"{case}: {detail or f'differs by {difference:g}'}")

    def fail(self, case: str, why: str) -> None:
        self.cases += 1
        self.failures.append(f"{case}: {why}")

    def deviate(self, case: str, why: str) -> None:
        self.cases += 1
        self.deviations.append(f"{case}: {why}")

    def refuse(self) -> None:
        self.cases += 1
        self.refused += 1

    def refused_input(self, case: str, original_refuses: bool, why: str) -> None:
        """This project refused a case: as the original does, or as a documented deviation ``why``."""
        if original_refuses:
            self.refuse()
        else:
            self.deviate(case, why)


class Reference:
    """The reference files of one folder: JSON cases and the arrays of the ``.npz`` files."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        try:
            self.crops = json.loads((self.folder / "crops.json").read_text())["cases"]
            self.targets = json.loads((self.folder / "targets.json").read_text())
            self.mapback = json.loads((self.folder / "mapback.json").read_text())["cases"]
            self.metrics = json.loads((self.folder / "metrics.json").read_text())
            self.frames = dict(np.load(self.folder / "frames.npz"))
            self.arrays = np.load(self.folder / "crops.npz")
        except (OSError, KeyError, ValueError) as exc:
            raise ReferenceError(f"cannot read the reference data in {self.folder}: {exc}") from None

    def frame(self, case: dict) -> np.ndarray:
        return self.frames[f"frame{case['frame']}"]


def case_name(case: dict) -> str:
    return f"case {case['id']} ({case['label']})"


def crop_difference(ours: np.ndarray, theirs: np.ndarray) -> tuple:
    """``(largest difference in grey levels, fraction of values that differ)``; shapes must agree."""
    if ours.shape != theirs.shape:
        return math.inf, 1.0
    difference = np.abs(ours.astype(np.int16) - theirs.astype(np.int16))
    return int(difference.max()), float((difference > 0).mean())


def compare_crop(report: PartReport, name: str, ours: np.ndarray, theirs: np.ndarray) -> None:
    levels, fraction = crop_difference(ours, theirs)
    within = levels == 0 or (levels <= CROP_MAX_LEVELS and fraction <= CROP_MAX_FRACTION)
    report.compare(name, levels, math.inf if within else -1.0,
                   f"{levels} grey levels on {fraction:.2%} of values (shape {ours.shape} vs {theirs.shape})")


def wholly_outside(window, frame: np.ndarray) -> bool:
    """No pixel of the window is a frame pixel (the padded last column / row included)."""
    return not window_pixels(np.ones(frame.shape[:2], np.uint8), window).any()


def _box(values) -> list:
    return [float(v) for v in values]


def case_window(report: PartReport, case: dict, original_refuses: bool):
    """The tracker's window of a crop case (Python-float box), or None when this project refuses the box."""
    try:
        return crop_window(_box(case["box"]), case["search_area_factor"])
    except ValueError:
        report.refused_input(case_name(case), original_refuses, DEVIATION_SIZE)
        return None


# ------------------------------------------------------------------------------------------------ crops
def check_tracker_crops(ref: Reference) -> PartReport:
    """The tracker's crop (``crop_window`` of the Python-float box, ``crop_image``) vs the original's."""
    report = PartReport("crop (tracker)", "grey levels")
    for case in ref.crops:
        name, expected, frame = case_name(case), case["test"], ref.frame(case)
        window = case_window(report, case, "error" in expected)
        if window is None:
            continue
        if "error" in expected:
            report.fail(name, f"the original refuses it ({expected['error']}); this project crops it")
            continue
        ours = crop_image(frame, window, case["output_sz"])
        theirs = ref.arrays[expected["crop_key"]]
        if window.resize_factor(case["output_sz"]) != expected["resize_factor"]:
            report.fail(name, f"resize factor {window.resize_factor(case['output_sz'])} vs {expected['resize_factor']}")
        elif wholly_outside(window, frame) and ours.any():
            report.fail(name, "a window wholly outside the frame must crop to zeros")
        elif wholly_outside(window, frame) and not np.array_equal(ours, theirs):
            report.deviate(name, DEVIATION_OUTSIDE)
        else:
            compare_crop(report, name, ours, theirs)
    return report


def pixel_sources(window_coords: np.ndarray, axis: int) -> list:
    """Source coordinate of every column (axis 1) or row (axis 0) of a coordinate-encoded window, -1 = padding."""
    channel = window_coords[..., 0 if axis == 1 else 1]
    return [int(v) - 1 for v in channel.max(axis=0 if axis == 1 else 1)]


def run_length(sources: list) -> list:
    """``[first source, count]`` runs of consecutive sources (or of padding, -1), as the reference codes them."""
    runs: list = []
    for value in sources:
        if runs and ((value == -1 and runs[-1][0] == -1) or
                     (value != -1 and runs[-1][0] != -1 and runs[-1][0] + runs[-1][1] == value)):
            runs[-1][1] += 1
        else:
            runs.append([value, 1])
    return runs


def check_windows(ref: Reference) -> PartReport:
    """The window before resizing: its shape and where each column and row comes from (padding included)."""
    report = PartReport("crop window (unresized)", "columns / rows")
    for case in ref.crops:
        name, expected, frame = case_name(case), case["window"], ref.frame(case)
        window = case_window(report, case, "error" in expected)
        if window is None:
            continue
        height, width = frame.shape[:2]
        ys, xs = np.mgrid[0:height, 0:width]
        coords = np.dstack([xs + 1, ys + 1]).astype(np.int32)  # (H, W, 2): x + 1, y + 1; 0 = padding
        ours = window_pixels(coords, window)
        columns, rows = run_length(pixel_sources(ours, 1)), run_length(pixel_sources(ours, 0))
        same = (list(ours.shape[:2]) == expected["unresized_shape"] and columns == expected["col_segments"]
                and rows == expected["row_segments"])
        if same:
            report.compare(name, 0)
        elif wholly_outside(window, frame):
            report.deviate(name, DEVIATION_OUTSIDE)
        else:
            report.fail(name, f"shape {list(ours.shape[:2])} columns {columns} rows {rows}; the original: "
                              f"{expected['unresized_shape']} {expected['col_segments']} {expected['row_segments']}")
    return report


def _training_processing(case: dict) -> SeqTrackProcessing:
    """The training data path with no randomness: no jitter, flip, grayscale or brightness; full-size decode."""
    data = default_config().DATA
    spec = CropSpec(case["output_sz"], case["search_area_factor"], 0.0, 0.0)
    return SeqTrackProcessing(spec, spec, data.MEAN, data.STD, grayscale_prob=0.0, flip_prob=0.0,
                              brightness_jitter=0.0, max_decode_reduction=1)


def _denormalize(image: torch.Tensor) -> np.ndarray:
    """(3, H, W) normalised float32 at brightness 1 -> the HxWx3 uint8 crop it was made from."""
    data = default_config().DATA
    mean, std = torch.tensor(data.MEAN).view(3, 1, 1), torch.tensor(data.STD).view(3, 1, 1)
    pixels = ((image.double() * std + mean) * 255).round().clamp(0, 255)
    return pixels.to(torch.uint8).permute(1, 2, 0).numpy()


def check_training_crops(ref: Reference) -> PartReport:
    """The training path's crop of a given (float32) jittered box, frames read from PNG files as FrameRefs."""
    report = PartReport("crop (training path)", "grey levels")
    with tempfile.TemporaryDirectory(prefix="check_faithful_") as folder:
        refs = {}
        for key, frame in ref.frames.items():
            path = Path(folder) / f"{key}.png"
            cv2.imwrite(str(path), cv2.cvtColor(frame, cv2.COLOR_RGB2BGR))
            refs[key] = FrameRef(str(path), frame.shape[1], frame.shape[0], opencv_loader)
        for case in ref.crops:
            name, expected = case_name(case), case["train_float32_tensor_box"]
            box = torch.tensor(_box(case["box"]), dtype=torch.float32)
            frame_ref = refs[f"frame{case['frame']}"]
            sample = {"template_images": [frame_ref] * 2, "template_anno": [box] * 2,
                      "search_images": [frame_ref], "search_anno": [box], "search_visible": [True]}
            try:
                out = _training_processing(case)(sample, sample_rng(0, case["id"]))
            except ValueError:
                report.refused_input(name, "error" in expected, DEVIATION_SIZE)
                continue
            if "error" in expected:
                report.fail(name, f"the original refuses it ({expected['error']}); the training path crops it")
                continue
            key = case["train"]["crop_key"] if expected["equals_list_box"] else expected["crop_key"]
            ours, theirs = _denormalize(out["search_images"][0]), ref.arrays[key]
            window = crop_window(box.tolist(), case["search_area_factor"])
            if wholly_outside(window, ref.frame(case)) and ours.any():
                report.fail(name, "a window wholly outside the frame must crop to zeros")
            elif wholly_outside(window, ref.frame(case)) and not np.array_equal(ours, theirs):
                report.deviate(name, DEVIATION_OUTSIDE)
            else:
                compare_crop(report, name, ours, theirs)
    return report


# ------------------------------------------------------------------------------------------------ targets
def _max_difference(ours, theirs) -> float:
    return float(np.max(np.abs(np.asarray(ours, np.float64) - np.asarray(theirs, np.float64))))


def check_targets(ref: Reference) -> PartReport:
    """Training targets: the box in the crop (pixels and normalised, float32) and its tokens, BINS 4000 and 32."""
    report = PartReport("training targets", "crop px / bins")
    for case in ref.targets["cases"]:
        box_in = torch.tensor(case["box_in"], dtype=torch.float32)
        box_extract = torch.tensor(case["box_extract"], dtype=torch.float32)
        size = case["output_sz"]
        resize_factor = crop_window(box_extract.tolist(), case["search_area_factor"]).resize_factor(size)
        pixels = frame_box_to_crop_pixels(box_in, box_extract, resize_factor, size)
        normalised = frame_box_to_crop(box_in, box_extract, resize_factor, size)
        differences = [abs(resize_factor - case["resize_factor"]),
                       _max_difference(pixels, case["box_crop_px_f32"]),
                       _max_difference(normalised, case["box_crop_norm_f32"])]
        for bins in (4000, 32):
            differences.append(_max_difference(target_tokens(normalised, bins, "xywh"), case[f"tokens_bins{bins}"]))
        report.compare(case_name(case), max(differences))
    return report


def check_tokens(ref: Reference) -> PartReport:
    """The token conversion alone, on normalised boxes (some outside the crop, some on bin edges)."""
    report = PartReport("tokens", "bins")
    for case in ref.targets["token_cases"]:
        box = torch.tensor(case["box_norm_f32"], dtype=torch.float32)
        differences = [_max_difference(target_tokens(box, bins, "xywh"), case[f"tokens_bins{bins}"])
                       for bins in (4000, 32)]
        report.compare(case_name(case), max(differences))
    return report


def check_mapback(ref: Reference) -> PartReport:
    """The tracker's map from tokens back to the frame, and the clipped new state."""
    report = PartReport("tracker box mapping", "frame px")
    for case in ref.mapback:
        window = crop_window(case["state"], case["search_factor"])
        size, bins = case["search_size"], case["bins"]
        boxes = tokens_to_boxes(torch.tensor(case["tokens"]), bins)  # what the network's inference returns
        frame_box = crop_to_frame_box(boxes, "xywh", window, size)
        height, width = case["image_hw"]
        differences = [abs(window.resize_factor(size) - case["resize_factor"]),
                       _max_difference((boxes * size / window.resize_factor(size)).tolist(),
                                       case["pred_box_cxcywh_frame_scale"]),
                       _max_difference(frame_box, case["map_box_back_xywh"]),
                       _max_difference(clip_box(frame_box, height, width), case["new_state_xywh"])]
        report.compare(case_name(case), max(differences))
    return report


# ------------------------------------------------------------------------------------------------ metrics
def _floats(values) -> np.ndarray:
    return np.array(values, dtype=object).astype(np.float64)  # reads 'inf' / 'nan' strings too


def _metric_difference(ours, theirs) -> float:
    """Largest difference of two float arrays; infinities must agree in place and sign."""
    ours, theirs = np.asarray(ours, np.float64), _floats(theirs)
    if ours.shape != theirs.shape or not np.array_equal(np.isinf(ours), np.isinf(theirs)):
        return math.inf
    if not np.array_equal(ours[np.isinf(ours)], theirs[np.isinf(theirs)]):
        return math.inf
    finite = np.isfinite(theirs)
    return float(np.abs(ours[finite] - theirs[finite]).max()) if finite.any() else 0.0


def _predictions_through_a_result_file(sequence: dict, folder: Path) -> np.ndarray:
    """The sequence's predictions written as its result file was (delimiter, printf format), read back."""
    spec = sequence["result_file"]
    path = folder / f"{sequence['name']}.txt"
    np.savetxt(path, _floats(sequence["prediction"]), fmt=spec["format"],
               delimiter={"tab": "\t", "comma": ","}[spec["delimiter"]])
    return read_results(path)


def check_metrics(ref: Reference) -> PartReport:
    """Per-frame errors, per-sequence curves, the overall figures and the edge cases of the LaSOT evaluation."""
    report = PartReport("LaSOT metrics", "absolute")
    curves = []
    with tempfile.TemporaryDirectory(prefix="check_faithful_") as folder:
        for sequence in ref.metrics["sequences"]:
            prediction = _predictions_through_a_result_file(sequence, Path(folder))
            absent = ~np.asarray(sequence["target_visible"], dtype=bool)
            errors = frame_errors(prediction, _floats(sequence["groundtruth"]), absent)
            seq_curves = curves_of(errors)
            curves.append(seq_curves)
            per_frame = sequence["per_frame"]
            pairs = [(errors.iou, per_frame["iou"]), (errors.center, per_frame["center_error"]),
                     (errors.norm_center, per_frame["norm_center_error"]),
                     (errors.valid.astype(float), np.asarray(per_frame["valid"], float)),
                     ([errors.average_overlap], [sequence["avg_overlap"]]),
                     (seq_curves.success, sequence["success_curve"]),
                     (seq_curves.precision, sequence["precision_curve"]),
                     (seq_curves.norm_precision, sequence["norm_precision_curve"])]
            report.compare(f"sequence {sequence['name']} ({sequence['note']})",
                           max(_metric_difference(a, b) for a, b in pairs), METRIC_TOLERANCE)
    overall, expected = mean_curves(curves), ref.metrics["overall"]
    pairs = [([overall.auc, overall.op50, overall.op75, overall.precision_20, overall.norm_precision_20],
              [expected["AUC"], expected["OP50"][0], expected["OP75"][0], expected["P@20"], expected["NP@0.2"]]),
             (overall.percent(overall.success), expected["success_curve_percent"]),
             (overall.percent(overall.precision), expected["precision_curve_percent"]),
             (overall.percent(overall.norm_precision), expected["norm_precision_curve_percent"]),
             (OVERLAP_THRESHOLDS, expected["threshold_set_overlap"]),
             (CENTER_THRESHOLDS, expected["threshold_set_center"]),
             (NORM_CENTER_THRESHOLDS, expected["threshold_set_center_norm"])]
    report.compare(f"overall, {len(curves)} sequences", max(_metric_difference(a, b) for a, b in pairs),
                   METRIC_TOLERANCE)
    for edge in ref.metrics["edge_cases"]:
        check_metric_edge_case(report, edge)
    return report


def check_metric_edge_case(report: PartReport, edge: dict) -> None:
    sequence, expected = edge["sequence"], edge["overall"]
    name = f"edge case {sequence['name']} ({sequence['note']})"
    try:
        errors = frame_errors(_floats(sequence["prediction"]), _floats(sequence["groundtruth"]),
                              ~np.asarray(sequence["target_visible"], dtype=bool))
    except ValueError as exc:
        if "error" in expected:
            report.refuse()
        else:
            report.fail(name, f"refused ({exc}); the original scores it")
        return
    if "error" in expected:
        report.fail(name, f"the original refuses it ({expected['error']}); this project scores it")
        return
    summary = mean_curves([curves_of(errors)])
    report.compare(name, _metric_difference([summary.auc, summary.precision_20, summary.norm_precision_20],
                                            [expected["AUC"], expected["P@20"], expected["NP@0.2"]]), METRIC_TOLERANCE)


# ------------------------------------------------------------------------------------------------ main
CHECKS = (check_tracker_crops, check_windows, check_training_crops, check_targets, check_tokens, check_mapback,
          check_metrics)


def run_checks(reference: str | Path = DEFAULT_REFERENCE) -> list:
    """Every part's :class:`PartReport`, in the order of ``CHECKS``."""
    ref = Reference(Path(reference))
    return [check(ref) for check in CHECKS]


def format_reports(reports: list, verbose: bool = False) -> str:
    lines = [f"{'part':<26}{'cases':>6}  {'worst difference':<26}result"]
    for r in reports:
        result = "ok" if not r.failures else f"DIFFERS in {len(r.failures)} case(s)"
        extras = [f"{r.refused} refused as the original refuses them"] if r.refused else []
        extras += [f"{len(r.deviations)} documented deviation(s)"] if r.deviations else []
        worst = f"{r.worst:g} {r.unit}"
        lines.append(f"{r.part:<26}{r.cases:>6}  {worst:<26}{result}" + (f" ({'; '.join(extras)})" if extras else ""))
    for r in reports:
        lines += [f"  {r.part}: DIFFERS {f}" for f in r.failures]
        lines += [f"  {r.part}: deviation {d}" for d in (r.deviations if verbose else [])]
    return "\n".join(lines)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__, epilog=EXAMPLE,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reference", default=str(DEFAULT_REFERENCE),
                        help="folder of the original's reference outputs (default: %(default)s)")
    parser.add_argument("--verbose", action="store_true", help="also list the documented deviations, case by case")
    parser.add_argument("--json", default=None, metavar="PATH", help="also write every part's report to this file")
    return parser


def main(argv: list | None = None) -> int:
    args = build_parser().parse_args(argv)
    torch.set_num_threads(1)
    try:
        reports = run_checks(args.reference)
    except ReferenceError as exc:
        print(f"check_faithful: error: {exc}", file=sys.stderr)
        return 2
    print(format_reports(reports, args.verbose))
    if args.json:
        Path(args.json).write_text(json.dumps([asdict(r) for r in reports], indent=2) + "\n")
    differs = [r.part for r in reports if r.failures]
    print("\n" + (f"DIFFERS from the original: {', '.join(differs)}" if differs
                  else "every part agrees with the original"))
    return 1 if differs else 0


if __name__ == "__main__":
    sys.exit(main())
