"""Reduced JPEG decoding: header sizes, crops from 1/2-1/8 size decodes match full-size crops, one decode per
frame, and the processing's samples agree with the full-size path."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import torch

from lib.data.errors import DatasetError
from lib.data.image_loader import FrameRef, jpeg_size, opencv_loader
from lib.train.data.processing import CropSpec, SeqTrackProcessing
from lib.train.data.sampler import sample_rng
from lib.utils.crop import CropWindow, crop_image, crop_window, decode_reduction
from lib.utils.stage_timer import NO_TIMER, StageTimer

SPEC = CropSpec(size=128, factor=4.0, center_jitter=0.5, scale_jitter=0.1)
MEAN, STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)


def scene(width: int, height: int, seed: int = 0) -> np.ndarray:
    """A BGR frame with smooth colour gradients, shapes and fine texture (like footage, not pure noise)."""
    rng = np.random.default_rng(seed)
    coarse = rng.integers(0, 256, (9, 16, 3)).astype(np.uint8)
    frame = cv2.resize(coarse, (width, height), interpolation=cv2.INTER_CUBIC).astype(np.float32)
    fine = cv2.resize(rng.normal(0, 12, (height // 4, width // 4)).astype(np.float32), (width, height))
    frame += fine[..., None]
    for _ in range(30):
        x, y = int(rng.integers(0, width)), int(rng.integers(0, height))
        r = int(rng.integers(10, height // 4))
        cv2.circle(frame, (x, y), r, tuple(float(c) for c in rng.integers(0, 256, 3)), -1, cv2.LINE_AA)
    return np.clip(frame, 0, 255).astype(np.uint8)


@pytest.fixture(scope="module")
def jpeg_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("frames") / "00000001.jpg"
    cv2.imwrite(str(path), scene(1283, 721), [cv2.IMWRITE_JPEG_QUALITY, 92])  # sizes not divisible by 8
    return str(path)


def test_jpeg_size_reads_the_header(jpeg_file, tmp_path):
    assert jpeg_size(jpeg_file) == (1283, 721)
    progressive = tmp_path / "p.jpg"
    cv2.imwrite(str(progressive), scene(200, 120), [cv2.IMWRITE_JPEG_PROGRESSIVE, 1])
    assert jpeg_size(str(progressive)) == (200, 120)
    png = tmp_path / "f.png"
    cv2.imwrite(str(png), scene(64, 48))
    assert jpeg_size(str(png)) is None
    truncated = tmp_path / "t.jpg"
    truncated.write_bytes(b"\xff\xd8\xff\xe0\x00")
    assert jpeg_size(str(truncated)) is None
    with pytest.raises(DatasetError, match="file not found"):
        jpeg_size(str(tmp_path / "missing.jpg"))


@pytest.mark.parametrize("reduction", [2, 4, 8])
def test_reduced_decode_has_the_rounded_up_size(jpeg_file, reduction):
    image, applied = FrameRef(jpeg_file, 1283, 721, opencv_loader).decode(reduction)
    assert applied == reduction
    assert image.shape == (-(-721 // reduction), -(-1283 // reduction), 3) and image.dtype == np.uint8


def test_loader_without_reduction_decodes_full_size(jpeg_file):
    def plain_loader(path):  # a user's loader that knows nothing of reductions
        return opencv_loader(path)

    image, applied = FrameRef(jpeg_file, 1283, 721, plain_loader).decode(4)
    assert applied == 1 and image.shape == (721, 1283, 3)


def test_header_size_disagreeing_with_the_image_is_an_error(jpeg_file):
    with pytest.raises(DatasetError, match="header says 640x480"):
        FrameRef(jpeg_file, 640, 480, opencv_loader).decode(2)


def _area_reference(frame: np.ndarray, window: CropWindow, mirror: bool) -> np.ndarray:
    """The crop made the careful way: the whole frame area-averaged to the crop's scale, then cropped."""
    scale = 128 / window.side
    width = round(frame.shape[1] * scale)
    small = cv2.resize(frame, (width, round(frame.shape[0] * scale)), interpolation=cv2.INTER_AREA)
    return crop_image(small, window, 128, mirror=mirror, reduction=frame.shape[1] / width,
                      frame_size=(frame.shape[1], frame.shape[0])).astype(np.float32)


@pytest.mark.parametrize("side,mirror", [(300, False), (520, False), (520, True), (1100, True), (1400, False)])
def test_crop_from_a_reduced_decode_matches_the_full_size_crop(jpeg_file, side, mirror):
    """The same window, cropped from the full frame and from a 1/r decode, differs only by interpolation:
    a small mean difference, no closer to a carefully area-averaged crop for the full decode, and edges in the
    same place (no shift of even a pixel)."""
    centre_x, centre_y = 1283 / 2 + 37.3, 721 / 2 - 21.6
    window = CropWindow(centre_x, centre_y, side, round(centre_x - side / 2), round(centre_y - side / 2))  # partly out
    reduction = decode_reduction(window, 128)
    assert reduction == {300: 2, 520: 4, 1100: 8, 1400: 8}[side]
    frame = opencv_loader(jpeg_file)
    full = crop_image(frame, window, 128, mirror=mirror).astype(np.float32)
    reduced_image, applied = FrameRef(jpeg_file, 1283, 721, opencv_loader).decode(reduction)
    reduced = crop_image(reduced_image, window, 128, mirror=mirror, reduction=applied,
                         frame_size=(1283, 721)).astype(np.float32)
    reference = _area_reference(frame, window, mirror)
    inside = (full.sum(axis=2) > 0) & (reduced.sum(axis=2) > 0)  # away from the zero padding's edge
    inside[[0, -1], :] = inside[:, [0, -1]] = False
    assert inside.mean() > 0.4
    assert np.abs(full - reduced)[inside].mean() < 6.0  # of 255
    assert np.abs(reduced - reference)[inside].mean() <= np.abs(full - reference)[inside].mean() + 0.5
    # Alignment: shifting the reduced crop by a pixel in any direction only takes it further from the reference.
    def distance(dy, dx):
        return np.abs(np.roll(reduced, (dy, dx), axis=(0, 1)) - reference)[5:-5, 5:-5][inside[5:-5, 5:-5]].mean()

    assert min(((dy, dx) for dy in (-1, 0, 1) for dx in (-1, 0, 1)), key=lambda d: distance(*d)) == (0, 0)


def test_decode_reduction_never_upsamples():
    def window(side):
        return CropWindow(0.0, 0.0, side, 0, 0)

    assert decode_reduction(window(255), 128) == 1  # shrink < 2x: full size
    assert decode_reduction(window(256), 128) == 2
    assert decode_reduction(window(4000), 128) == 8
    assert decode_reduction(window(4000), 128, max_reduction=2) == 2
    assert decode_reduction(window(4000), 128, max_reduction=1) == 1


def _sample(refs, box):
    return {"template_images": refs[:2], "template_anno": [box, box], "search_images": refs[2:],
            "search_anno": [box], "search_visible": [True]}


def test_processing_decodes_each_frame_once_at_the_smallest_needed_reduction(jpeg_file, monkeypatch):
    calls = []

    def counting_loader(path, reduction=1):
        calls.append(reduction)
        return opencv_loader(path, reduction)

    counting_loader.supports_reduction = True
    ref = FrameRef(jpeg_file, 1283, 721, counting_loader)
    # The same frame as both templates (factor 2: reduction 2) and as the search frame (factor 8: reduction 4).
    processing = SeqTrackProcessing(CropSpec(128, 2.0, 0, 0), CropSpec(128, 8.0, 0, 0), MEAN, STD,
                                    flip_prob=0.0, grayscale_prob=0.0)
    box = torch.tensor([500.0, 300.0, 150.0, 140.0])  # sqrt(area) 145: windows of 290 and 1160 pixels
    processing(_sample([ref, ref, ref], box), sample_rng(0, 0))
    assert calls == [2]


def test_reduced_and_full_size_processing_agree(jpeg_file):
    """Same draws, same boxes; images within interpolation error (the samples of MAX_DECODE_REDUCTION 1 and 8)."""
    ref = FrameRef(jpeg_file, 1283, 721, opencv_loader)
    box = torch.tensor([400.0, 250.0, 180.0, 160.0])
    outputs = {}
    for max_reduction in (1, 8):
        processing = SeqTrackProcessing(SPEC, SPEC, MEAN, STD, max_decode_reduction=max_reduction)
        outputs[max_reduction] = [processing(_sample([ref, ref, ref], box), sample_rng(5, i)) for i in range(6)]
    for full, reduced in zip(outputs[1], outputs[8]):
        assert torch.equal(full["search_anno"], reduced["search_anno"])
        assert torch.equal(full["template_anno"], reduced["template_anno"])
        for key in ("template_images", "search_images"):
            difference = (full[key] - reduced[key]).abs() * 0.226 * 255  # back to pixel levels, roughly
            assert difference.mean() < 4.0


def test_an_injected_stage_timer_splits_the_time(jpeg_file):
    ref = FrameRef(jpeg_file, 1283, 721, opencv_loader)
    timer = StageTimer()
    processing = SeqTrackProcessing(SPEC, SPEC, MEAN, STD, timer=timer)
    processing(_sample([ref, ref, ref], torch.tensor([400.0, 250.0, 180.0, 160.0])), sample_rng(0, 1))
    seconds = timer.totals()
    assert set(seconds) == {"decode", "crop_augment"} and min(seconds.values()) > 0
    timer.reset()
    assert timer.totals() == {}
    assert NO_TIMER.totals() == {}  # the default measures nothing
    SeqTrackProcessing(SPEC, SPEC, MEAN, STD)(_sample([ref, ref, ref], torch.tensor([400.0, 250.0, 180.0, 160.0])),
                                             sample_rng(0, 1))
    assert timer.totals() == {}


@pytest.mark.parametrize("box,factor,mirror", [((500.0, 300.0, 150.0, 140.0), 2.0, False),
                                               ((600.5, 280.25, 90.0, 70.0), 4.0, True),
                                               ((101.5, 61.5, 160.0, 150.0), 4.0, False),  # leaves top-left
                                               ((1100.0, 600.0, 170.0, 110.0), 5.0, False),  # bottom-right
                                               ((300.0, 200.0, 300.0, 250.0), 4.0, True)])
def test_reduced_decode_takes_the_originals_window(jpeg_file, box, factor, mirror):
    """A reduced decode's crop is closest to the original's full-size crop of the same window: the
    original's windows one frame pixel off in any direction are all further from it."""
    window = crop_window(box, factor)
    reduction = decode_reduction(window, 128)
    assert reduction > 1
    frame = opencv_loader(jpeg_file)
    image, applied = FrameRef(jpeg_file, 1283, 721, opencv_loader).decode(reduction)
    reduced = crop_image(image, window, 128, mirror, applied, frame_size=(1283, 721)).astype(np.float32)

    def distance(dx: int, dy: int) -> float:
        full = crop_image(frame, window._replace(x0=window.x0 + dx, y0=window.y0 + dy), 128, mirror)
        return float(np.abs(full.astype(np.float32) - reduced).mean())

    shifts = [(dx, dy) for dx in (-1, 0, 1) for dy in (-1, 0, 1)]
    assert min(shifts, key=lambda shift: distance(*shift)) == (0, 0)
