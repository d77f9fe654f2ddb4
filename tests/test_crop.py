"""The crop rule (lib/utils/crop.py): the original's window, its padding quirk, the resize, the box maps.

The reference data of the original are checked case by case in test_check_faithful.py; these tests pin
the rules down on small hand-made inputs, so that a failure says which rule broke.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import torch

from lib.utils.crop import (
    CropWindow,
    crop_box_to_frame,
    crop_image,
    crop_window,
    flip_box_xywh,
    frame_box_to_crop,
    frame_box_to_crop_pixels,
    window_pixels,
)


def coordinate_frame(width: int, height: int) -> np.ndarray:
    """(H, W, 2) int32: every pixel holds (x + 1, y + 1), so 0 marks padding in a crop of it."""
    ys, xs = np.mgrid[0:height, 0:width]
    return np.dstack([xs + 1, ys + 1]).astype(np.int32)


def test_window_side_is_ceil_of_sqrt_area_times_factor():
    assert crop_window((100.0, 80.0, 50.0, 32.0), 4.0).side == 160  # ceil(160.0)
    assert crop_window((0.0, 0.0, 3.0, 5.0), 2.0).side == 8  # ceil(7.746)
    assert crop_window((300.3, 200.7, 0.1, 0.1), 4.0).side == 1  # ceil(0.4): a one-pixel window
    assert isinstance(crop_window((0.0, 0.0, 3.0, 5.0), 2.0).side, int)


@pytest.mark.parametrize("box,corner", [
    ((7.5, 8.5, 10.0, 10.0), (2, 4)),  # corner at 2.5 / 3.5: half to even -> 2 / 4
    ((10.5, 11.5, 10.0, 10.0), (6, 6)),  # 5.5 / 6.5 -> 6 / 6
    ((2.5, 1.5, 10.0, 10.0), (-2, -4)),  # -2.5 / -3.5 -> -2 / -4
    ((7.5000001, 8.5, 10.0, 10.0), (3, 4)),  # just above a half rounds up
])
def test_window_corner_is_rounded_half_to_even(box, corner):
    window = crop_window(box, 2.0)  # side 20
    assert (window.x0, window.y0) == corner
    assert (window.center_x, window.center_y) == (box[0] + box[2] / 2, box[1] + box[3] / 2)  # not rounded


@pytest.mark.parametrize("box", [(0.0, 0.0, 0.0, 5.0), (0.0, 0.0, -5.0, -4.0), (float("nan"), 0.0, 5.0, 5.0),
                                 (0.0, 0.0, float("inf"), 5.0)])
def test_boxes_without_a_positive_finite_size_have_no_window(box):
    with pytest.raises(ValueError, match="positive width and height"):
        crop_window(box, 4.0)


def test_last_column_and_row_of_the_frame_are_padding_once_the_window_reaches_them():
    frame = coordinate_frame(10, 8)
    reaching = window_pixels(frame, CropWindow(7.0, 5.0, 6, 4, 2))  # columns 4..9, rows 2..7: to both edges
    assert reaching[:, :, 0].max(axis=0).tolist() == [5, 6, 7, 8, 9, 0]  # x + 1; column 9 (the last) is padding
    assert reaching[:, :, 1].max(axis=1).tolist() == [3, 4, 5, 6, 7, 0]  # row 7 (the last) is padding
    short = window_pixels(frame, CropWindow(6.0, 4.0, 5, 4, 2))  # columns 4..8: stops before the last
    assert short[:, :, 0].max(axis=0).tolist() == [5, 6, 7, 8, 9]
    left = window_pixels(frame, CropWindow(1.0, 4.0, 4, -2, 2))  # columns -2..1: the first column is real
    assert left[:, :, 0].max(axis=0).tolist() == [0, 0, 1, 2]


def test_window_inside_the_frame_is_a_view_and_outside_is_zeros():
    frame = coordinate_frame(20, 20)
    inside = window_pixels(frame, CropWindow(10.0, 10.0, 6, 7, 7))
    assert np.shares_memory(inside, frame)
    outside = window_pixels(frame, CropWindow(-30.0, 5.0, 6, -33, 2))  # the original pulls in real pixels here
    assert outside.shape == (6, 6, 2) and not outside.any()
    beyond = window_pixels(frame, CropWindow(40.0, 5.0, 6, 37, 2))
    assert beyond.shape == (6, 6, 2) and not beyond.any()


@pytest.mark.parametrize("window", [CropWindow(0, 0, 9, 3, 4), CropWindow(0, 0, 12, -4, 20), CropWindow(0, 0, 7, 24, 1),
                                    CropWindow(0, 0, 40, -5, -5)])
def test_mirrored_window_is_the_window_of_the_mirrored_frame(window):
    rng = np.random.default_rng(1)
    frame = rng.integers(0, 256, (25, 30, 3), dtype=np.uint8)
    mirrored_frame = np.ascontiguousarray(frame[:, ::-1])
    np.testing.assert_array_equal(window_pixels(frame, window, mirror=True), window_pixels(mirrored_frame, window))
    np.testing.assert_array_equal(crop_image(frame, window, 16, mirror=True), crop_image(mirrored_frame, window, 16))


def test_crop_is_the_padded_window_resized_bilinearly():
    rng = np.random.default_rng(0)
    frame = rng.integers(0, 256, (40, 50, 3), dtype=np.uint8)
    window = crop_window((30.0, 20.0, 15.0, 12.0), 3.0)  # side 41, leaves the frame on the right and bottom
    crop = crop_image(frame, window, 32)
    padded = np.zeros((window.side, window.side, 3), np.uint8)
    x0, y0 = window.x0, window.y0
    padded[:39 - y0, :49 - x0] = frame[y0:39, x0:49]  # the frame without its last row and column
    np.testing.assert_array_equal(crop, cv2.resize(padded, (32, 32), interpolation=cv2.INTER_LINEAR))
    assert crop.dtype == np.uint8 and crop.shape == (32, 32, 3)


def test_training_target_centres_on_the_extract_box_and_normalises_by_size_minus_one():
    extract = torch.tensor([100.0, 100.0, 32.0, 32.0])  # window 128 px, resize factor 2 into 256
    window = crop_window(extract.tolist(), 4.0)
    assert window.resize_factor(256) == 2.0
    same = frame_box_to_crop_pixels(extract, extract, 2.0, 256)
    assert same.tolist() == [127.5 - 32.0, 127.5 - 32.0, 64.0, 64.0]  # centred on (S - 1) / 2
    whole = torch.tensor([52.25, 52.25, 127.5, 127.5])  # spans the first to the last pixel centre
    assert frame_box_to_crop(whole, extract, 2.0, 256).tolist() == [0.0, 0.0, 1.0, 1.0]
    assert frame_box_to_crop(whole, extract, 2.0, 256).dtype == torch.float32


def test_training_target_ignores_the_windows_rounding():
    box = torch.tensor([7.5, 8.5, 10.0, 10.0])  # window corner rounded from 2.5 / 3.5 to 2 / 4
    target = frame_box_to_crop_pixels(box, box, crop_window(box.tolist(), 2.0).resize_factor(128), 128)
    assert target[:2].tolist() == [63.5 - 32.0, 63.5 - 32.0]  # still exactly centred


def test_tracker_map_uses_size_not_size_minus_one_around_the_previous_centre():
    window = crop_window([40.0, 30.0, 20.0, 10.0], 4.0)  # side 57, centre (50, 35), corner rounded to (22, 6)
    assert (window.x0, window.y0) == (22, 6)
    centre = crop_box_to_frame(torch.tensor([0.5, 0.5, 20 / 57, 10 / 57]), window, 64)
    assert centre == pytest.approx([40.0, 30.0, 20.0, 10.0], abs=1e-5)  # the crop's centre is the previous centre
    quarter = crop_box_to_frame(torch.tensor([0.75, 0.5, 20 / 57, 10 / 57]), window, 64)
    assert quarter[0] - centre[0] == pytest.approx(0.25 * 57, abs=1e-5)  # x S / resize factor = a quarter window


def test_a_trained_offset_comes_back_scaled_by_size_over_size_minus_one():
    """The original's train / test mismatch, kept: normalised by S - 1 in training, mapped back with S."""
    extract = [200.0, 120.0, 40.0, 30.0]
    window = crop_window(extract, 4.0)
    box = torch.tensor([215.0, 125.0, 40.0, 30.0], dtype=torch.float64)  # 15 px right, 5 px down
    target = frame_box_to_crop(box, torch.tensor(extract, dtype=torch.float64), window.resize_factor(256), 256)
    cxcywh = torch.cat([target[:2] + target[2:] / 2, target[2:]])
    back = crop_box_to_frame(cxcywh, window, 256)
    scale = 256 / 255
    centre_x, centre_y = extract[0] + 20.0, extract[1] + 15.0
    assert back[0] + back[2] / 2 - centre_x == pytest.approx(15.0 * scale)
    assert back[1] + back[3] / 2 - centre_y == pytest.approx(5.0 * scale)
    assert back[2] == pytest.approx(40.0 * scale)


def test_flip_is_its_own_inverse():
    boxes = torch.rand(20, 4, dtype=torch.float64) * 300
    assert torch.allclose(flip_box_xywh(flip_box_xywh(boxes, 320.0), 320.0), boxes, atol=1e-9)
    assert flip_box_xywh(torch.tensor([10.0, 5.0, 30.0, 7.0]), 100.0).tolist() == [60.0, 5.0, 30.0, 7.0]
