"""LaSOT metrics on hand-made cases, result files (write, read, done-ness) and the plots."""

from __future__ import annotations

import numpy as np
import pytest

from lib.test.evaluation.metrics import (
    OVERLAP_THRESHOLDS,
    frame_errors,
    frozen_box_predictions,
    group_by_class,
    mean_curves,
    sequence_curves,
)
from lib.test.evaluation.plots import plot_curves
from lib.test.evaluation.running import ResultsError, read_results, results_done, write_results

BOX = [0.0, 0.0, 10.0, 10.0]


def _gt(frames: int) -> np.ndarray:
    return np.array([BOX] * frames, dtype=np.float64)


def test_perfect_tracker_scores_the_toolkit_maximum():
    gt = _gt(6)
    curves = sequence_curves(gt, gt, np.zeros(6, bool))
    # IoU 1 passes 'IoU > t' at every threshold but t = 1 (as in pytracking and the LaSOT toolkit).
    assert curves.success.tolist() == [1.0] * 20 + [0.0]
    assert curves.auc == pytest.approx(100 * 20 / 21)
    assert curves.precision_20 == 100.0 and curves.norm_precision_20 == 100.0
    assert curves.precision.min() == 1.0  # 0 px error is within every threshold, 0 included


def test_constant_offset_matches_hand_computed_iou():
    gt = _gt(4)
    pred = gt + [5.0, 0.0, 0.0, 0.0]  # half a box to the right: intersection 50, union 150
    errors = frame_errors(pred, gt, np.zeros(4, bool))
    assert errors.iou.tolist() == pytest.approx([1.0, 1 / 3, 1 / 3, 1 / 3])  # frame 1 is the ground truth
    assert errors.center.tolist() == [0.0, 5.0, 5.0, 5.0]
    assert errors.norm_center.tolist() == pytest.approx([0.0, 0.5, 0.5, 0.5])  # centres / size, then subtracted
    curves = sequence_curves(pred, gt, np.zeros(4, bool))
    below = OVERLAP_THRESHOLDS < 1 / 3  # 0 ... 0.30: 7 thresholds where all 4 frames pass
    assert below.sum() == 7
    assert curves.success[below].tolist() == [1.0] * 7
    assert curves.success[~below].tolist() == [0.25] * 13 + [0.0]
    assert curves.auc == pytest.approx((7 * 1.0 + 13 * 0.25) / 21 * 100)
    assert curves.precision_20 == 100.0  # 5 px <= 20 px
    assert curves.norm_precision_20 == 25.0  # 0.5 > 0.2: only frame 1


def test_absent_frames_are_failures_in_the_denominator():
    gt = _gt(10)
    absent = np.zeros(10, bool)
    absent[[3, 4, 7]] = True
    gt[7] = 0.0  # LaSOT writes 0,0,0,0 for some absent frames
    curves = sequence_curves(gt, gt, absent)  # the tracker 'finds' the target even where it is hidden
    assert curves.success[0] == pytest.approx(0.7)
    assert curves.precision_20 == pytest.approx(70.0)
    assert curves.norm_precision_20 == pytest.approx(70.0)
    errors = frame_errors(gt, gt, absent)
    assert errors.iou[absent].tolist() == [-1.0] * 3
    assert np.isinf(errors.center[absent]).all() and np.isinf(errors.norm_center[absent]).all()


def test_empty_ground_truth_without_absence_flag_fails_success_but_passes_normalised_precision():
    """The original's rule: such a frame's normalised error is -1, within every threshold."""
    gt = _gt(4)
    gt[2] = [5.0, 5.0, 0.0, 0.0]
    curves = sequence_curves(gt, gt, np.zeros(4, bool))
    assert curves.success[0] == 0.75
    assert curves.precision_20 == 75.0
    assert curves.norm_precision_20 == 100.0
    errors = frame_errors(gt, gt, np.zeros(4, bool))
    assert errors.norm_center[2] == -1.0 and errors.center[2] == np.inf and not errors.valid[2]


def test_zero_size_predictions_take_the_previous_frames_box():
    gt = _gt(5)
    pred = gt.copy()
    pred[1] = [3.0, 0.0, 10.0, 10.0]
    pred[2] = [0.0, 0.0, 0.0, 10.0]  # zero width: replaced by frame 2's box
    pred[3] = [0.0, 0.0, 10.0, 0.0]  # zero height: replaced by the (already replaced) frame 3's box
    errors = frame_errors(pred, gt, np.zeros(5, bool))
    assert errors.iou[1:4].tolist() == pytest.approx([7 / 13] * 3)
    assert errors.iou[4] == 1.0


def test_inclusive_pixel_convention_of_the_original():
    gt = np.array([[10.0, 10.0, 10.0, 10.0]] * 2)
    pred = np.array([[0.0, 0.0, 1.0, 1.0], [14.0, 10.0, 10.0, 10.0]])
    errors = frame_errors(pred, gt, np.zeros(2, bool))
    assert errors.iou[1] == pytest.approx(60 / 140)  # spans [14, 23] and [10, 19]: 6 columns in common
    assert errors.center[1] == 4.0


def test_invalid_inputs_are_refused_as_the_original_refuses_them():
    gt = _gt(3)
    with pytest.raises(ValueError, match="frame 2 .*NaN or negative"):
        frame_errors(np.array([BOX, [0.0, np.nan, 1.0, 1.0], BOX]), gt, np.zeros(3, bool))
    with pytest.raises(ValueError, match="NaN or negative"):
        frame_errors(np.array([BOX, [0.0, 0.0, -1.0, 1.0], BOX]), gt, np.zeros(3, bool))
    gt[1, 0] = np.nan
    with pytest.raises(ValueError, match="NaN in the ground truth, frame 2"):
        frame_errors(_gt(3), gt, np.zeros(3, bool))


def test_extra_predictions_are_cut_to_the_ground_truth():
    curves = sequence_curves(_gt(5), _gt(4), np.zeros(4, bool))  # LaSOT's monkey-25 has one more line
    assert curves.precision_20 == 100.0


def test_first_frame_counts_as_ground_truth_whatever_the_file_says():
    gt = _gt(2)
    pred = np.array([[500.0, 500.0, 1.0, 1.0], BOX])
    assert sequence_curves(pred, gt, np.zeros(2, bool)).auc == pytest.approx(100 * 20 / 21)


def test_sequences_weigh_the_same_and_classes_group():
    short = sequence_curves(_gt(2), _gt(2), np.zeros(2, bool))  # all frames right
    lost = _gt(10) + [100.0, 0, 0, 0]
    long_lost = sequence_curves(lost, _gt(10), np.zeros(10, bool))  # only frame 1 right
    mean = mean_curves([short, long_lost])
    assert mean.sequences == 2
    assert mean.success[0] == pytest.approx((1.0 + 0.1) / 2)
    classes = group_by_class({"mouse-1": short, "mouse-8": long_lost, "bear-2": short})
    assert list(classes) == ["bear", "mouse"]
    assert classes["mouse"].sequences == 2 and classes["mouse"].precision[0] == pytest.approx(0.55)


def test_frozen_box_baseline_repeats_the_first_box():
    gt = np.array([[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0], [9.0, 9.0, 9.0, 9.0]])
    assert frozen_box_predictions(gt).tolist() == [[1.0, 2.0, 3.0, 4.0]] * 3


def test_mismatched_lengths_are_refused():
    with pytest.raises(ValueError, match="3 predictions for 4 ground-truth frames"):
        sequence_curves(_gt(3), _gt(4), np.zeros(4, bool))
    with pytest.raises(ValueError, match=r"\(N, 4\)"):
        sequence_curves(_gt(3), _gt(4), np.zeros(3, bool))
    with pytest.raises(ValueError, match="no sequences"):
        mean_curves([])


def test_result_files_are_truncated_to_integers_as_the_original_writes_them(tmp_path):
    boxes = np.array([[1.5, 2.999, 30.25, 40.0], [-3.7, 4.0, 5.0, 6.9]])
    path = write_results(tmp_path, "mouse-1", boxes, np.array([0.1, 0.02]))
    assert path.read_text().splitlines() == ["1\t2\t30\t40", "-3\t4\t5\t6"]  # astype(int): towards zero
    precise = write_results(tmp_path / "float", "mouse-1", boxes, np.array([0.1, 0.02]), float_results=True)
    assert precise.read_text().splitlines() == ["1.500\t2.999\t30.250\t40.000", "-3.700\t4.000\t5.000\t6.900"]
    np.testing.assert_array_equal(read_results(precise), boxes)


def test_result_files_round_trip_and_done_check(tmp_path):
    boxes = np.array([[1.0, 2.0, 30.0, 40.0], [3.0, 4.0, 5.0, 6.0]])
    path = write_results(tmp_path, "mouse-1", boxes, np.array([0.1, 0.02]))
    assert (tmp_path / "mouse-1_time.txt").read_text().splitlines() == ["0.100000", "0.020000"]
    np.testing.assert_array_equal(read_results(path), boxes)
    assert results_done(tmp_path, "mouse-1", 2)
    assert not results_done(tmp_path, "mouse-1", 3)  # a truncated result is not done
    assert not list(tmp_path.glob(".*.tmp"))  # no temporary file left behind
    (tmp_path / "comma.txt").write_text("1,2,3,4\n5,6,7,8\n")
    assert read_results(tmp_path / "comma.txt").tolist() == [[1, 2, 3, 4], [5, 6, 7, 8]]
    (tmp_path / "bad.txt").write_text("1\t2\t3\t4\n5\t6\t7\n")
    with pytest.raises(ResultsError, match="line 2"):
        read_results(tmp_path / "bad.txt")


def test_plots_are_written_as_png(tmp_path):
    gt = _gt(5)
    runs = {"perfect": sequence_curves(gt, gt, np.zeros(5, bool)),
            "offset": sequence_curves(gt + [5.0, 0, 0, 0], gt, np.zeros(5, bool))}
    written = plot_curves(runs, tmp_path / "plots")
    assert sorted(p.name for p in written) == ["norm_precision_plot.png", "precision_plot.png", "success_plot.png"]
    for path in written:
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
