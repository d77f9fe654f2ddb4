"""Crop geometry and processing: where the box lands in the crop, flips, zero padding, normalisation."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from lib.train.data.processing import CropSpec, SeqTrackProcessing, crop_is_degenerate
from lib.train.data.sampler import sample_rng
from lib.utils.crop import crop_image, crop_window, flip_box_xywh, frame_box_to_crop

MEAN = (0.485, 0.456, 0.406)
STD = (0.229, 0.224, 0.225)
NO_JITTER = CropSpec(size=128, factor=4.0, center_jitter=0.0, scale_jitter=0.0)
SEARCH_JITTER = CropSpec(size=64, factor=4.0, center_jitter=3.5, scale_jitter=0.5)


def white_box_frame(box, width=320, height=240) -> np.ndarray:
    """A black RGB frame with a white xywh box (integer pixels)."""
    frame = np.zeros((height, width, 3), np.uint8)
    x, y, w, h = box
    frame[y:y + h, x:x + w] = 255
    return frame


def make_sample(frame, box, templates=2, searches=1) -> dict:
    box = torch.tensor(box, dtype=torch.float32)
    return {"template_images": [frame] * templates, "template_anno": [box] * templates,
            "search_images": [frame] * searches, "search_anno": [box] * searches,
            "search_visible": [torch.tensor(True)] * searches}


def processing(template=NO_JITTER, search=NO_JITTER, **kwargs) -> SeqTrackProcessing:
    return SeqTrackProcessing(template, search, MEAN, STD, **kwargs)


def unnormalize(images: torch.Tensor) -> torch.Tensor:
    """(N, 3, H, W) normalised -> (N, 3, H, W) in [0, 1]."""
    return images * torch.tensor(STD).view(1, 3, 1, 1) + torch.tensor(MEAN).view(1, 3, 1, 1)


def test_zero_jitter_box_is_the_originals_target():
    box = (100, 80, 50, 50)
    out = processing(flip_prob=0.0, grayscale_prob=0.0)(make_sample(white_box_frame(box), box), sample_rng(0, 0))
    # side = 200 frame px -> 128 crop px: the 50-px box is 32 px wide, centred on (127 / 2, 127 / 2), and
    # normalised by 127 (the original's S - 1).
    expected = torch.tensor([[63.5 - 16, 63.5 - 16, 32.0, 32.0]] * 2) / 127
    assert torch.equal(out["template_anno"], expected)
    assert torch.equal(out["search_anno"], expected[:1])
    box_f32 = torch.tensor(box, dtype=torch.float32)
    assert torch.equal(out["search_anno"][0], frame_box_to_crop(box_f32, box_f32, 128 / 200, 128))
    pixels = unnormalize(out["search_images"])[0]
    assert pixels[:, 50:78, 50:78].min() > 0.75  # inside the box: white x brightness >= 0.8
    assert pixels[:, :46, :].max() < 0.02 and pixels[:, 82:, :].max() < 0.02  # rows above / below: black


def test_output_shapes_types_and_determinism():
    box = (100, 80, 40, 30)
    sample = make_sample(white_box_frame(box), box, templates=2, searches=1)
    proc = processing(template=CropSpec(64, 2.0, 0.0, 0.0), search=SEARCH_JITTER)
    out = proc(sample, sample_rng(3, 7))
    assert out["template_images"].shape == (2, 3, 64, 64) and out["template_images"].dtype == torch.float32
    assert out["search_images"].shape == (1, 3, 64, 64)
    assert out["template_anno"].shape == (2, 4) and out["search_anno"].shape == (1, 4)
    assert out["search_visible"].dtype == torch.bool and out["search_visible"].tolist() == [True]
    again = proc(sample, sample_rng(3, 7))
    assert all(torch.equal(out[k], again[k]) for k in out)
    other = proc(sample, sample_rng(3, 8))
    assert not torch.equal(out["search_anno"], other["search_anno"])


@pytest.mark.parametrize("flip_prob", [0.0, 1.0])
def test_box_and_image_move_together_under_jitter_and_flip(flip_prob):
    box = (40, 150, 36, 24)  # off-centre, so a flip changes where it is
    sample = make_sample(white_box_frame(box), box)
    proc = processing(search=SEARCH_JITTER, flip_prob=flip_prob)
    for index in range(12):
        out = proc(sample, sample_rng(1, index))
        pixels = unnormalize(out["search_images"])[0].mean(0)  # (H, W)
        x, y, w, h = (out["search_anno"][0] * 63 + torch.tensor([0.5, 0.5, 0, 0])).tolist()  # crop pixels
        inside = pixels[int(np.ceil(y)) + 1:int(np.floor(y + h)) - 1, int(np.ceil(x)) + 1:int(np.floor(x + w)) - 1]
        outside = torch.ones_like(pixels, dtype=torch.bool)
        outside[max(0, int(y) - 1):int(y + h) + 2, max(0, int(x) - 1):int(x + w) + 2] = False
        if inside.numel():
            assert inside.min() > 0.75, f"sample {index}: the box does not cover the white object"
        assert pixels[outside].max() < 0.02, f"sample {index}: white pixels outside the box"


def test_flip_mirrors_the_crop():
    frame = np.zeros((120, 160, 3), np.uint8)
    frame[40:80, 60:80] = (255, 0, 0)  # left half of the object red
    frame[40:80, 80:100] = (0, 0, 255)  # right half blue
    box = (60, 40, 40, 40)
    plain = processing(flip_prob=0.0, grayscale_prob=0.0)(make_sample(frame, box), sample_rng(0, 1))
    flipped = processing(flip_prob=1.0, grayscale_prob=0.0)(make_sample(frame, box), sample_rng(0, 1))
    a, b = unnormalize(plain["template_images"][:1])[0], unnormalize(flipped["template_images"][:1])[0]
    assert a[0, 64, 56] > 0.75 and a[2, 64, 72] > 0.75  # red left of the centre, blue right
    assert b[2, 64, 56] > 0.75 and b[0, 64, 72] > 0.75  # swapped after the flip
    # A centred box stays centred; an off-centre one is mirrored about the crop's vertical axis.
    assert torch.equal(plain["template_anno"], flipped["template_anno"])


def test_flipped_sample_is_the_sample_of_the_mirrored_frame():
    rng = np.random.default_rng(0)
    frame = rng.integers(0, 256, (90, 130, 3), dtype=np.uint8)
    box = (20, 30, 25, 18)
    mirrored_box = flip_box_xywh(torch.tensor(box, dtype=torch.float32), 130).tolist()
    flipped = processing(flip_prob=1.0, grayscale_prob=0.0, brightness_jitter=0.0)(make_sample(frame, box),
                                                                                     sample_rng(0, 3))
    direct = processing(flip_prob=0.0, grayscale_prob=0.0, brightness_jitter=0.0)(
        make_sample(np.ascontiguousarray(frame[:, ::-1]), mirrored_box), sample_rng(0, 3))
    assert torch.equal(flipped["template_images"], direct["template_images"])
    assert torch.equal(flipped["template_anno"], direct["template_anno"])


def test_padding_outside_the_frame_is_zero():
    frame = np.full((48, 64, 3), 255, np.uint8)
    window = crop_window((0.0, 0.0, 16.0, 16.0), 4.0)  # 64-px window centred on (8, 8): mostly outside
    crop = crop_image(frame, window, 64)
    assert crop.dtype == np.uint8
    assert crop[:23, :, :].max() == 0 and crop[:, :23, :].max() == 0  # above and left of the frame
    assert crop[25:, 25:, :].min() == 255
    box = (0, 0, 16, 16)
    out = processing(flip_prob=0.0)(make_sample(frame, box), sample_rng(0, 2))
    padded = out["search_images"][0][:, :20, :20]
    expected = (-torch.tensor(MEAN) / torch.tensor(STD)).view(3, 1, 1).expand_as(padded)
    assert torch.equal(padded, expected.float())


def test_degenerate_jitter_is_redrawn():
    assert crop_is_degenerate(torch.tensor([10.0, 10.0, 0.5, 4.0]), 64)
    assert crop_is_degenerate(torch.tensor([70.0, 10.0, 4.0, 4.0]), 64)
    assert crop_is_degenerate(torch.tensor([62.0, 10.0, 4.0, 4.0]), 64)  # centred on 64, past the last pixel (63)
    assert not crop_is_degenerate(torch.tensor([10.0, 10.0, 4.0, 4.0]), 64)
    box = (100, 80, 40, 30)
    wild = CropSpec(size=64, factor=1.0, center_jitter=20.0, scale_jitter=2.0)
    proc = processing(search=wild)
    for index in range(20):
        out = proc(make_sample(white_box_frame(box), box), sample_rng(5, index))
        x, y, w, h = (out["search_anno"][0] * 63).tolist()  # crop pixels (centre coordinates)
        assert w >= 1 and h >= 1 and 0 <= x + w / 2 <= 63 and 0 <= y + h / 2 <= 63


def test_grayscale_makes_channels_equal():
    frame = np.zeros((120, 160, 3), np.uint8)
    frame[40:80, 60:100] = (200, 30, 90)
    out = processing(grayscale_prob=1.0, flip_prob=0.0)(make_sample(frame, (60, 40, 40, 40)), sample_rng(0, 0))
    pixels = unnormalize(out["search_images"])[0]
    assert torch.allclose(pixels[0], pixels[1], atol=1e-5) and torch.allclose(pixels[1], pixels[2], atol=1e-5)
