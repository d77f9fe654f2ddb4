"""Synthetic videos: a class-textured object moving over a textured, panning background, with its boxes
and absence flags. Every dataset layout the generators write (LaSOT, GOT-10k, TrackingNet, COCO, the
benchmarks, a user folder) renders its frames here.

The default output is small and cheap to decode (smooth backgrounds, objects of 14-26 % of the frame).
``realistic=True`` instead mimics real LaSOT footage where a speed benchmark cares: a natural-image-like
scene (so JPEG files and decoding cost are like real 720p/1080p frames) and LaSOT's spread of object sizes.
Everything is drawn from the generator passed in: same seed, same bytes.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import cv2
import numpy as np

from lib.data.errors import DatasetError

PATTERNS = ("checker", "stripes", "rings", "dots")
TEXTURE_SIZE = 64  # side of the object texture before it is resized to the box
PAN_MARGIN = 16  # background pixels beyond the frame on each side, for the camera pan
JPEG_QUALITY = 90

# realistic=True object sizes: sqrt(w*h) / frame height is log-normal like LaSOT's training boxes (their
# sqrt(area) quantiles 10/25/50/75/90 % are 28/58/127/245/409 px at 720 px high frames).
LASOT_SIZE_MEDIAN = 0.176  # median of sqrt(w*h) / H
LASOT_SIZE_SIGMA = 0.9  # spread of log(sqrt(w*h))
LASOT_SIZE_MIN = 0.03  # clip: at least this fraction of H ...
LASOT_SIZE_MAX = 0.8  # ... and at most this fraction of min(W, H)

# realistic=True scene texture. Cells are in pixels, not fractions of the frame, so the JPEG size grows with
# the pixel count like real footage (tuned: ~115 KB per 1280x720 frame at JPEG_QUALITY, ~2.1x that at 1920x1080).
SCENE_GREY = 118.0  # mean brightness
SCENE_COARSE = (8, 256, 40.0)  # colour blotches: finest cell, coarsest cell, amplitude of the coarsest
SCENE_DETAIL = (1, 32, 13.0)  # grey texture over everything (shapes too): same fields
SCENE_SHAPES = (24, 48)  # range of the number of filled shapes (scene structure)


@dataclass(frozen=True)
class ClassLook:
    """What every object of a class looks like (fixed by the class name, whatever the seed)."""

    colors: tuple  # two BGR colours of the pattern
    pattern: str  # one of PATTERNS
    period: int  # pattern period in texture pixels
    ellipse: bool  # elliptic rather than rectangular silhouette


def generator(*keys: int) -> np.random.Generator:
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(list(keys))))


def name_key(name: str) -> int:
    return zlib.crc32(name.encode("utf-8"))


def _hsv_to_bgr(hue: float, saturation: float, value: float) -> tuple:
    pixel = np.array([[[hue, saturation, value]]], dtype=np.uint8)
    return tuple(int(c) for c in cv2.cvtColor(pixel, cv2.COLOR_HSV2BGR)[0, 0])


def class_look(name: str) -> ClassLook:
    """The appearance of class ``name``: vivid colours, a pattern and a silhouette."""
    rng = generator(name_key(name))
    hue = rng.uniform(0, 180)
    bright = _hsv_to_bgr(hue, rng.uniform(200, 255), rng.uniform(210, 255))
    dark = _hsv_to_bgr((hue + 90) % 180, rng.uniform(180, 255), rng.uniform(90, 140))
    return ClassLook((bright, dark), PATTERNS[int(rng.integers(len(PATTERNS)))], int(rng.integers(8, 14)),
                     bool(rng.random() < 0.5))


def object_texture(look: ClassLook) -> tuple:
    """(TEXTURE_SIZE x TEXTURE_SIZE x 3 BGR texture, silhouette mask) of a class."""
    yy, xx = np.mgrid[0:TEXTURE_SIZE, 0:TEXTURE_SIZE]
    p, c = look.period, TEXTURE_SIZE / 2
    pattern = {
        "checker": (xx // p + yy // p) % 2 == 0,
        "stripes": ((xx + yy) // p) % 2 == 0,
        "rings": (np.hypot(xx - c, yy - c) // p) % 2 == 0,
        "dots": (xx % (2 * p) - p) ** 2 + (yy % (2 * p) - p) ** 2 < (0.6 * p) ** 2,
    }[look.pattern]
    texture = np.where(pattern[..., None], np.array(look.colors[0], np.uint8), np.array(look.colors[1], np.uint8))
    texture = texture.astype(np.uint8)
    cv2.rectangle(texture, (0, 0), (TEXTURE_SIZE - 1, TEXTURE_SIZE - 1), (20, 20, 20), 2)
    mask = np.zeros((TEXTURE_SIZE, TEXTURE_SIZE), np.uint8)
    if look.ellipse:
        cv2.ellipse(mask, (TEXTURE_SIZE // 2, TEXTURE_SIZE // 2), (TEXTURE_SIZE // 2, TEXTURE_SIZE // 2),
                    0, 0, 360, 1, -1)
    else:
        mask[:] = 1
    return texture, mask


def _background(rng: np.random.Generator, width: int, height: int) -> np.ndarray:
    """A muted, smooth-plus-fine textured background larger than the frame by PAN_MARGIN per side."""
    size = (width + 2 * PAN_MARGIN, height + 2 * PAN_MARGIN)
    coarse = rng.integers(0, 256, (6, 8, 3)).astype(np.uint8)
    coarse = cv2.resize(coarse, size, interpolation=cv2.INTER_CUBIC).astype(np.float32)
    gray = coarse.mean(axis=2, keepdims=True)
    fine = rng.normal(0.0, 14.0, (size[1] // 3, size[0] // 3)).astype(np.float32)
    fine = cv2.resize(fine, size, interpolation=cv2.INTER_LINEAR)[..., None]
    return np.clip(0.3 * coarse + 0.3 * gray + 50 + fine, 0, 255).astype(np.uint8)


def _octave_noise(rng: np.random.Generator, width: int, height: int, finest: int, coarsest: int,
                  channels: int, amplitude: float) -> np.ndarray:
    """Gaussian noise octaves of cell sides ``coarsest`` ... ``finest`` (powers of 2) summed: a ~1/f texture.

    Built coarse to fine (upsample x2 cubic, add the next octave) so the cost is about one full-size resize.
    An octave's amplitude is proportional to its cell side, ``amplitude`` for the coarsest. Returned at one
    sample per ``finest`` cell, (rows, cols, channels) covering at least ``width`` x ``height`` pixels.
    """
    cols, rows = -(-width // coarsest) + 2, -(-height // coarsest) + 2
    noise = amplitude * rng.standard_normal((rows, cols, channels), dtype=np.float32)
    cell = coarsest
    while cell > finest:
        cols, rows, cell = 2 * cols, 2 * rows, cell // 2
        noise = cv2.resize(noise, (cols, rows), interpolation=cv2.INTER_CUBIC).reshape(rows, cols, channels)
        noise += (amplitude * cell / coarsest) * rng.standard_normal((rows, cols, channels), dtype=np.float32)
    return noise


def _upsample(grid: np.ndarray, cell: int, width: int, height: int) -> np.ndarray:
    """``grid`` (one sample per ``cell`` pixels) resized cubic to pixels, cut to ``height`` x ``width``."""
    if cell > 1:
        grid = cv2.resize(grid, (grid.shape[1] * cell, grid.shape[0] * cell), interpolation=cv2.INTER_CUBIC)
    grid = grid.reshape(grid.shape[0], grid.shape[1], -1)
    return np.ascontiguousarray(grid[:height, :width])


def _draw_shape(rng: np.random.Generator, canvas: np.ndarray, mask: np.ndarray | None) -> None:
    """One filled rectangle, ellipse or polygon of a random muted colour on ``canvas`` (and 1 on ``mask``)."""
    height, width = canvas.shape[:2]
    grey = rng.uniform(30, 220)  # colours scatter around a grey, like real scenes rather than pure hues
    colour = tuple(float(c) for c in np.clip(grey + rng.normal(0, 35, 3), 0, 255))
    kind = int(rng.integers(3))
    cx, cy = rng.uniform(0, width), rng.uniform(0, height)
    radius = min(width, height) * np.exp(rng.uniform(np.log(0.02), np.log(0.3)))  # many small, a few big
    targets = [(canvas, colour, cv2.LINE_AA)] + ([(mask, 1.0, cv2.LINE_8)] if mask is not None else [])
    if kind == 0:
        stretch = rng.uniform(0.3, 3.0)
        corners = ((int(cx - radius * stretch / 2), int(cy - radius / stretch / 2)),
                   (int(cx + radius * stretch / 2), int(cy + radius / stretch / 2)))
        for image, value, line in targets:
            cv2.rectangle(image, *corners, value, -1, line)
    elif kind == 1:
        axes = (int(radius * rng.uniform(0.3, 1.0)), int(radius * rng.uniform(0.3, 1.0)))
        angle = rng.uniform(0, 180)
        for image, value, line in targets:
            cv2.ellipse(image, (int(cx), int(cy)), axes, angle, 0, 360, value, -1, line)
    else:
        count = int(rng.integers(3, 8))
        angles = np.sort(rng.uniform(0, 2 * np.pi, count))  # sorted: a star-shaped, not self-crossing, polygon
        radii = radius * rng.uniform(0.4, 1.0, count)
        points = np.stack([cx + radii * np.cos(angles), cy + radii * np.sin(angles)], axis=1).astype(np.int32)
        for image, value, line in targets:
            cv2.fillPoly(image, [points], value, line)


def _scene_shapes(rng: np.random.Generator, canvas: np.ndarray) -> np.ndarray:
    """``canvas`` with a few dozen filled shapes: sharp ones drawn in place, ~40 % blended with soft edges."""
    soft_layer = canvas.copy()
    soft_mask = np.zeros(canvas.shape[:2], np.float32)
    for _ in range(int(rng.integers(SCENE_SHAPES[0], SCENE_SHAPES[1] + 1))):
        if rng.random() < 0.4:
            _draw_shape(rng, soft_layer, soft_mask)
        else:
            _draw_shape(rng, canvas, None)
    # one blur of the union mask softens every soft shape's edge (out of focus, motion blurred, shadows)
    alpha = cv2.GaussianBlur(soft_mask, (0, 0), 0.01 * min(canvas.shape[:2]))[..., None]
    return canvas + (soft_layer - canvas) * alpha


def _scene_background(rng: np.random.Generator, width: int, height: int) -> np.ndarray:
    """A natural-image-like background (larger than the frame by PAN_MARGIN per side), for realistic=True.

    Colour blotches (coarse ~1/f noise) under a few dozen shapes, then a grey ~1/f texture over everything
    whose strength varies across the scene (busy and plain regions), then a mild blur: real footage is
    neither flat (too cheap to decode) nor pixel noise (too costly).
    """
    size = (width + 2 * PAN_MARGIN, height + 2 * PAN_MARGIN)
    finest, coarsest, amplitude = SCENE_COARSE
    colour = _octave_noise(rng, *size, finest, coarsest, 3, amplitude)
    grey = colour.mean(axis=2, keepdims=True)
    colour = grey + 0.5 * (colour - grey)  # half the chroma: muted colours, like most real scenes
    scene = _scene_shapes(rng, _upsample(colour + SCENE_GREY, finest, *size))
    finest, coarsest, amplitude = SCENE_DETAIL
    detail = _upsample(_octave_noise(rng, *size, finest, coarsest, 1, amplitude), finest, *size)
    busy = np.exp(_upsample(_octave_noise(rng, *size, 64, 256, 1, 0.7), 64, *size))
    scene += detail * busy
    return np.clip(cv2.GaussianBlur(scene, (0, 0), 0.6), 0, 255).astype(np.uint8)


def _wave(rng: np.random.Generator, t: np.ndarray, low: float, high: float) -> np.ndarray:
    """A sine of period U(low, high) frames and random phase, over frame times ``t``."""
    return np.sin(2 * np.pi * t / rng.uniform(low, high) + rng.uniform(0, 2 * np.pi))


def _base_size(rng: np.random.Generator, width: int, height: int, realistic: bool) -> float:
    """The box's sqrt(w*h) before its scale change: 14-26 % of the frame, or LaSOT-like when ``realistic``."""
    if not realistic:
        return min(width, height) * rng.uniform(0.14, 0.26)
    size = rng.lognormal(np.log(LASOT_SIZE_MEDIAN * height), LASOT_SIZE_SIGMA)
    return float(np.clip(size, LASOT_SIZE_MIN * height, LASOT_SIZE_MAX * min(width, height)))


def trajectory(rng: np.random.Generator, frames: int, width: int, height: int,
               realistic: bool = False) -> np.ndarray:
    """(frames, 4) int xywh boxes: smooth motion and a slow scale change, staying (mostly) in the frame.

    ``realistic`` draws the base size like LaSOT's boxes (see ``_base_size``); all else is the same.
    """
    t = np.arange(frames, dtype=np.float64)
    base = _base_size(rng, width, height, realistic)
    aspect = np.exp(rng.uniform(-0.35, 0.35))
    scale = np.exp(0.25 * _wave(rng, t, 50, 150))
    # never wider or taller than the frame: only a LaSOT-sized box near the top of its range gets there
    w = np.minimum(width, np.maximum(4, np.round(base * np.sqrt(aspect) * scale)))
    h = np.minimum(height, np.maximum(4, np.round(base / np.sqrt(aspect) * scale)))
    centre = []
    for extent, side in ((width, w), (height, h)):
        amplitude = max(0.0, (extent - side.max()) / 2 - 2)
        path = 0.7 * _wave(rng, t, 80, 240) + 0.3 * _wave(rng, t, 30, 70)
        centre.append(extent / 2 + amplitude * path)
    x = np.round(centre[0] - w / 2)
    y = np.round(centre[1] - h / 2)
    return np.stack([x, y, w, h], axis=1).astype(np.int64)


def absence_spans(rng: np.random.Generator, frames: int) -> tuple:
    """(full_occlusion, out_of_view) bool flags: at most one span of each, never at the first frames."""
    occlusion = np.zeros(frames, bool)
    out_of_view = np.zeros(frames, bool)
    if frames < 20:
        return occlusion, out_of_view
    for flags, first, last, prob in ((occlusion, frames // 10, frames // 2, 0.6),
                                     (out_of_view, frames // 2, frames, 0.5)):
        length = int(rng.integers(max(2, frames // 30), max(3, frames // 12) + 1))
        start = int(rng.integers(first, max(first + 1, last - length)))
        if rng.random() < prob:
            flags[start:start + length] = True
    return occlusion, out_of_view


def _paste(frame: np.ndarray, image: np.ndarray, mask: np.ndarray, box) -> None:
    """Draw ``image`` where ``mask`` is set into ``frame`` at xywh ``box``, clipped to the frame."""
    x, y, w, h = (int(v) for v in box)
    x0, y0 = max(x, 0), max(y, 0)
    x1, y1 = min(x + w, frame.shape[1]), min(y + h, frame.shape[0])
    if x1 <= x0 or y1 <= y0:
        return
    region = frame[y0:y1, x0:x1]
    np.copyto(region, image[y0 - y:y1 - y, x0 - x:x1 - x], where=mask[y0 - y:y1 - y, x0 - x:x1 - x, None] > 0)


def _render(background, offset, texture, mask, box, occluded, hidden, size) -> np.ndarray:
    width, height = size
    ox, oy = offset
    frame = background[oy:oy + height, ox:ox + width].copy()
    x, y, w, h = (int(v) for v in box)
    if occluded:  # a flat grey block hides the object completely
        pad_w, pad_h = w // 6 + 2, h // 6 + 2
        cv2.rectangle(frame, (x - pad_w, y - pad_h), (x + w + pad_w, y + h + pad_h), (96, 96, 96), -1)
    elif not hidden:
        obj = cv2.resize(texture, (w, h), interpolation=cv2.INTER_LINEAR)
        _paste(frame, obj, cv2.resize(mask, (w, h), interpolation=cv2.INTER_NEAREST), box)
    return frame


class SyntheticVideo:
    """One rendered video: ``boxes`` (N, 4) int xywh, ``occlusion`` and ``out_of_view`` (N,) bool, and its
    frames (:meth:`frame`, :meth:`jpeg`). The object takes the look of class ``look_name``; an occluded frame
    shows a grey block over it, an out-of-view frame does not show it."""

    def __init__(self, rng: np.random.Generator, frames: int, size, look_name: str, realistic: bool = False):
        width, height = (int(v) for v in size)
        self.size = (width, height)
        self.boxes = trajectory(rng, frames, width, height, realistic)
        self.occlusion, self.out_of_view = absence_spans(rng, frames)
        self._background = (_scene_background if realistic else _background)(rng, width, height)
        t = np.arange(frames, dtype=np.float64)
        self._pan = [np.round(PAN_MARGIN * (1 + 0.8 * _wave(rng, t, 60, 200))).astype(int) for _ in range(2)]
        self.look = class_look(look_name)
        self._texture, self._mask = object_texture(self.look)

    def __len__(self) -> int:
        return len(self.boxes)

    def hide(self, start: int, length: int) -> None:
        """Take the object out of view over frames ``start .. start + length - 1`` (flags and frames)."""
        self.out_of_view = self.out_of_view.copy()
        self.out_of_view[start:start + length] = True

    def frame(self, index: int) -> np.ndarray:
        """Frame ``index`` (0-based) as HxWx3 uint8 BGR."""
        return _render(self._background, (self._pan[0][index], self._pan[1][index]), self._texture, self._mask,
                       self.boxes[index], self.occlusion[index], self.out_of_view[index], self.size)

    def jpeg(self, index: int) -> bytes:
        """Frame ``index`` encoded as a JPEG file's bytes."""
        return encode_jpeg(self.frame(index))


def checked_size(size, minimum: int = 32) -> tuple:
    """``(width, height)`` as ints, each at least ``minimum`` pixels, else a :class:`DatasetError`."""
    width, height = (int(v) for v in size)
    if width < minimum or height < minimum:
        raise DatasetError(f"frame size must be at least {minimum}x{minimum}, got {width}x{height}")
    return width, height


def check_at_least_one(**counts: int) -> None:
    """Every count (``sequences=..., frames=...``) is at least 1, else a :class:`DatasetError` naming it."""
    for name, count in counts.items():
        if count < 1:
            raise DatasetError(f"{name} must be at least 1, got {count}")


def encode_jpeg(image_bgr: np.ndarray) -> bytes:
    ok, encoded = cv2.imencode(".jpg", image_bgr, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
    assert ok, "OpenCV could not encode a frame"
    return encoded.tobytes()
