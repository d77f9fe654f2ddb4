"""scripts/check_faithful.py: every case of the original's reference outputs is reproduced, and the check
fails when a rule is broken (negative controls)."""

from __future__ import annotations

import math

import pytest
import torch
from e2e import load_script

from lib.utils import crop as crop_module

check = load_script("check_faithful")

# The degenerate inputs where this project deviates on purpose (README, 'Differences from the original').
NEGATIVE_SIZE = {34}  # negative width and height: refused
WHOLLY_OUTSIDE = {36, 37}  # the original's negative indices pull real pixels in; ours are zeros
NON_SQUARE = {38, 39}  # wholly outside too: same zero crop, but the original's window is not square
ORIGINAL_REFUSES = {32, 33, 35}  # zero width, negative width, NaN: the original raises, so do we


@pytest.fixture(scope="module")
def reference():
    return check.Reference(check.DEFAULT_REFERENCE)


@pytest.fixture(scope="module")
def reports(reference):
    return {report.part: report for report in (c(reference) for c in check.CHECKS)}


def _deviating_ids(report) -> set:
    return {int(text.split()[1]) for text in report.deviations}


def test_every_part_agrees_with_the_original(reports):
    counts = {part: r.cases for part, r in reports.items()}
    assert counts == {"crop (tracker)": 41, "crop window (unresized)": 41, "crop (training path)": 41,
                      "training targets": 40, "tokens": 13, "tracker box mapping": 20, "LaSOT metrics": 16}
    for part, report in reports.items():
        assert report.failures == [], part
    for part in ("crop (tracker)", "crop (training path)", "crop window (unresized)", "training targets", "tokens",
                 "tracker box mapping"):
        assert reports[part].worst == 0, part  # uint8-equal crops, bit-equal targets, tokens and boxes
    assert reports["LaSOT metrics"].worst <= 1e-6


def test_degenerate_inputs_deviate_only_where_documented(reports):
    for part in ("crop (tracker)", "crop (training path)"):
        assert _deviating_ids(reports[part]) == NEGATIVE_SIZE | WHOLLY_OUTSIDE
        assert reports[part].refused == len(ORIGINAL_REFUSES)
    assert _deviating_ids(reports["crop window (unresized)"]) == NEGATIVE_SIZE | WHOLLY_OUTSIDE | NON_SQUARE
    assert reports["LaSOT metrics"].refused == 4  # NaN / negative predictions, NaN gt, too few predictions


def test_cli_prints_every_part_and_exits_0(capsys):
    assert check.main([]) == 0
    out = capsys.readouterr().out
    for part in ("crop (tracker)", "crop (training path)", "training targets", "tracker box mapping", "LaSOT metrics"):
        assert part in out
    assert "every part agrees with the original" in out


def test_missing_reference_is_exit_2(tmp_path, capsys):
    assert check.main(["--reference", str(tmp_path / "nowhere")]) == 2
    assert "cannot read the reference data" in capsys.readouterr().err


# ------------------------------------------------------------------------------------ negative controls
def test_a_corner_that_is_not_rounded_half_to_even_is_caught(reference, monkeypatch, capsys):
    def floor_corner_window(box_xywh, factor):
        window = crop_module.crop_window(box_xywh, factor)
        side = window.side
        return window._replace(x0=math.floor(window.center_x - side / 2), y0=math.floor(window.center_y - side / 2))

    monkeypatch.setattr(check, "crop_window", floor_corner_window)
    report = check.check_tracker_crops(reference)
    failing = {int(text.split()[1]) for text in report.failures}
    assert {22, 24, 25} <= failing  # the half-to-even corners
    assert check.main([]) == 1
    assert "DIFFERS from the original: crop (tracker)" in capsys.readouterr().out


def test_padding_without_the_originals_extra_column_and_row_is_caught(reference, monkeypatch):
    real = crop_module._kept_span
    # Count the frame's last column and row as real pixels (padding only what lies outside the frame).
    monkeypatch.setattr(crop_module, "_kept_span", lambda start, side, first, end: real(start, side, first, end + 1))
    failing = {int(text.split()[1]) for text in check.check_tracker_crops(reference).failures}
    assert {8, 9, 17, 19, 21} <= failing  # windows reaching the right or bottom edge
    assert not failing & {18, 20, 26}  # windows that stop before it are unaffected


def test_targets_normalised_by_the_crop_size_are_caught(reference, monkeypatch):
    def by_size(box, extract, resize_factor, out_size):
        return crop_module.frame_box_to_crop_pixels(box, extract, resize_factor, out_size) / out_size

    monkeypatch.setattr(check, "frame_box_to_crop", by_size)
    assert len(check.check_targets(reference).failures) >= 30


def test_tokens_clamped_after_the_conversion_are_caught(reference, monkeypatch):
    from lib.models.seqtrack.tokens import boxes_to_tokens
    from lib.utils.box_ops import box_xywh_to_cxcywh

    monkeypatch.setattr(check, "target_tokens",
                        lambda box, bins, fmt: boxes_to_tokens(box_xywh_to_cxcywh(torch.as_tensor(box)), bins))
    failing = {int(text.split()[1]) for text in check.check_tokens(reference).failures}
    assert {2, 3, 4, 5} <= failing  # the boxes that leave the crop


def test_metrics_that_fail_unflagged_empty_frames_are_caught(reference, monkeypatch):
    real = check.frame_errors

    def strict(pred, gt, absent):
        errors = real(pred, gt, absent)
        errors.norm_center[~errors.valid] = math.inf  # count empty, unflagged frames as failures
        return errors

    monkeypatch.setattr(check, "frame_errors", strict)
    failures = check.check_metrics(reference).failures
    assert any("synth-3" in text for text in failures) and any(text.startswith("overall") for text in failures)


def test_a_training_path_with_its_own_window_rule_is_caught(reference, monkeypatch):
    from lib.train.data import processing

    def centred_window(box_xywh, factor):  # the rule this project had before: corner not rounded
        window = crop_module.crop_window(box_xywh, factor)
        return window._replace(x0=int(window.center_x - window.side / 2), y0=int(window.center_y - window.side / 2))

    monkeypatch.setattr(processing, "crop_window", centred_window)
    assert check.check_training_crops(reference).failures


def test_a_tracker_mapping_with_size_minus_one_is_caught(reference, monkeypatch):
    def by_size_minus_one(box_seq, seq_format, window, crop_size):
        return crop_module.crop_box_to_frame(box_seq * (crop_size - 1) / crop_size, window, crop_size)

    monkeypatch.setattr(check, "crop_to_frame_box", by_size_minus_one)
    assert len(check.check_mapback(reference).failures) >= 15
