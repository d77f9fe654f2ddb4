"""The evaluation rules that differ between benchmarks (UAV123, LaSOT_ext, zero-padding), GOT-10k's AO / SR, and
the submission archives of GOT-10k test and TrackingNet."""

from __future__ import annotations

import zipfile

import numpy as np
import pytest

from lib.test.evaluation.got10k_metrics import continuous_iou, got10k_scores, sequence_overlaps
from lib.test.evaluation.metrics import frame_errors, rules_for, sequence_curves
from lib.test.evaluation.running import ResultsError, write_results
from lib.test.evaluation.submission import pack_submission

BOX = [10.0, 10.0, 20.0, 20.0]


def _gt(frames: int) -> np.ndarray:
    return np.array([BOX] * frames, dtype=np.float64)


def test_uav_nan_rows_are_invalid_frames_that_pass_precision():
    gt = _gt(5)
    gt[2] = np.nan
    pred = _gt(5) + [100.0, 0, 0, 0]  # lost from frame 2 on
    with pytest.raises(ValueError, match="NaN in the ground truth"):
        frame_errors(pred, gt, None, rules_for("otb"))  # elsewhere a NaN is an error, as in the original
    errors = frame_errors(pred, gt, None, rules_for("uav"))
    assert errors.valid.tolist() == [True, True, False, True, True]
    assert errors.iou[2] == -1 and errors.center[2] == -1 and errors.norm_center[2] == -1
    curves = sequence_curves(pred, gt, None, rules_for("uav"))
    assert curves.precision_20 == pytest.approx(40.0)  # frame 1 (the ground truth) and the NaN frame are hits
    assert curves.success[0] == pytest.approx(0.2)  # only frame 1 has IoU > 0


def test_an_empty_box_fails_precision_except_on_uav():
    gt = _gt(4)
    gt[3] = 0.0
    for benchmark, expected in (("otb", 75.0), ("uav", 100.0)):
        assert sequence_curves(_gt(4), gt, None, rules_for(benchmark)).precision_20 == pytest.approx(expected)


def test_lasot_extension_uses_absence_flags_but_not_lasots_infinite_errors():
    gt = _gt(4)
    absent = np.array([False, False, True, False])
    ext = frame_errors(gt, gt, absent, rules_for("lasot_extension_subset"))
    lasot = frame_errors(gt, gt, absent, rules_for("lasot"))
    assert ext.valid.tolist() == lasot.valid.tolist() == [True, True, False, True]
    assert ext.norm_center[2] == -1 and ext.center[2] == np.inf  # a hit in normalised precision only
    assert lasot.norm_center[2] == np.inf and lasot.center[2] == np.inf  # LaSOT: a miss everywhere
    # other benchmarks have no absence flags: the frame counts as tracked
    assert frame_errors(gt, gt, absent, rules_for("otb")).valid.all()


def test_short_predictions_are_an_error_on_lasot_and_zero_padded_elsewhere():
    gt = _gt(6)
    with pytest.raises(ValueError, match="4 predictions for 6"):
        frame_errors(gt[:4], gt, None, rules_for("lasot"))
    errors = frame_errors(gt[:4], gt, None, rules_for("tnl2k"))
    assert errors.iou.tolist() == [1, 1, 1, 1, 0, 0]  # the padding stays empty (not repaired from frame 4)


def test_continuous_iou_and_image_clipping():
    assert continuous_iou(np.array([[0, 0, 10, 10.0]]), np.array([[5, 0, 10, 10.0]]))[0] == pytest.approx(50 / 150)
    gt = np.array([[0, 0, 10, 10], [90, 0, 20, 10], [90, 0, 20, 10]], dtype=np.float64)
    pred = np.array([[0, 0, 10, 10], [90, 0, 10, 10], [95, 0, 5, 10]], dtype=np.float64)
    # frame 1 skipped; in a 100-px wide image the gt of frames 2 and 3 is clipped to [90, 100]
    assert sequence_overlaps(pred, gt, resolution=(100, 50)).tolist() == pytest.approx([1.0, 0.5])
    assert sequence_overlaps(pred, gt).tolist() == pytest.approx([0.5, 0.25])  # no clipping without a resolution


def test_ao_pools_frames_and_drops_uncovered_ones():
    gt = _gt(5)
    pred = gt.copy()
    pred[3:] += [20.0, 0, 0, 0]  # frames 4 and 5 lost (IoU 0)
    cover = np.array([8, 8, 8, 0, 8])  # frame 4 not visible: left out
    kept = sequence_overlaps(pred, gt, cover)
    assert kept.tolist() == [1.0, 1.0, 0.0]
    scores = got10k_scores([kept, np.array([0.6, 0.8])])
    assert scores.frames == 5 and scores.sequences == 2
    assert scores.ao == pytest.approx(100 * 3.4 / 5)  # pooled, not the mean of the two sequences' means
    assert scores.sr50 == pytest.approx(80.0) and scores.sr75 == pytest.approx(60.0)


def _results(folder, names, frames=3):
    for index, name in enumerate(names):
        boxes = np.array([[1.9 + index, 2.2, 30.7, 40.0]] * frames)
        write_results(folder, name, boxes, np.full(frames, 0.01), float_results=True)


def test_got10k_submission_layout(tmp_path):
    folder = tmp_path / "seqtrack" / "cfg" / "got10k"
    names = ["GOT-10k_Test_000001", "GOT-10k_Test_000002"]
    _results(folder, names)
    _results(folder, ["GOT-10k_Val_000001"])  # val results share the folder: not packed
    packed = pack_submission("got10k_test", folder, names)
    assert packed.path == folder.parent / "got10k_submit.zip" and packed.sequences == 2 and packed.frames == 6
    with zipfile.ZipFile(packed.path) as archive:
        assert sorted(archive.namelist()) == sorted(
            [f"{n}/" for n in names] + [f"{n}/{n}_001.txt" for n in names] + [f"{n}/{n}_time.txt" for n in names])
        assert archive.read(f"{names[0]}/{names[0]}_001.txt").decode().splitlines() == ["1,2,30,40"] * 3
        assert archive.read(f"{names[1]}/{names[1]}_time.txt") == (folder / f"{names[1]}_time.txt").read_bytes()
    assert (folder / f"{names[0]}.txt").is_file()  # the results are kept (the original deletes them)


def test_trackingnet_submission_is_flat_and_keeps_every_name(tmp_path):
    folder = tmp_path / "trackingnet"
    names = ["aXallYZ_0", "b0b0b0b0b0b_1"]  # the original skips names containing 'all'
    _results(folder, names)
    packed = pack_submission("trackingnet", folder, None, tmp_path / "out.zip")
    with zipfile.ZipFile(packed.path) as archive:
        assert sorted(archive.namelist()) == sorted(f"{n}.txt" for n in names)
        assert archive.read("b0b0b0b0b0b_1.txt").decode().splitlines() == ["2,2,30,40"] * 3


def test_a_missing_sequence_stops_the_packing_unless_allowed(tmp_path):
    folder = tmp_path / "trackingnet"
    _results(folder, ["first_0"])
    with pytest.raises(ResultsError, match="1 of 2 sequences have no results.*second_0"):
        pack_submission("trackingnet", folder, ["first_0", "second_0"])
    assert not (tmp_path / "trackingnet_submit.zip").exists()
    packed = pack_submission("trackingnet", folder, ["first_0", "second_0"], allow_missing=True)
    assert packed.sequences == 1 and "second_0" in packed.warnings[0]
