"""Decode a frame file into an HxWx3 uint8 RGB array, with OpenCV or (optionally) jpeg4py, at full size or
reduced by 2, 4 or 8 through libjpeg's DCT scaling; read a JPEG's size from its header without decoding."""

from __future__ import annotations

import logging
import math
import struct
from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np

from lib.data.errors import DatasetError
from lib.data.frames import REDUCTIONS, FrameError, check_complete_jpeg, decode_frame, read_frame_bytes

logger = logging.getLogger(__name__)

# loader(path) or, where loader.supports_reduction is set, loader(path, reduction) -> HxWx3 uint8 RGB
ImageLoader = Callable[..., np.ndarray]
IMAGE_LOADERS = ("opencv", "jpeg4py")
JPEG_REDUCTIONS = REDUCTIONS  # the scalings libjpeg decodes directly (1/1, 1/2, 1/4, 1/8)
# Start-of-frame markers (baseline, progressive, ...) hold the size; C4, C8 and CC are other segments.
_SOF_MARKERS = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}

_JPEG4PY_HINT = ("install it with 'pip install jpeg4py' and the system library with "
                 "'apt-get install libturbojpeg0' (macOS: 'brew install jpeg-turbo'), "
                 "or set DATA.IMAGE_LOADER: opencv")


def opencv_loader(path: str, reduction: int = 1) -> np.ndarray:
    """Decode ``path`` with OpenCV: HxWx3 uint8 RGB, ``ceil(H / reduction) x ceil(W / reduction)`` for a JPEG.

    Raises :class:`FrameError` (a :class:`DatasetError`) naming the file, also for a truncated JPEG.
    """
    return decode_frame(path, reduction)


opencv_loader.supports_reduction = True


def jpeg_size(path: str) -> tuple | None:
    """``(width, height)`` of a JPEG file from its start-of-frame header; ``None`` if it is not a JPEG.

    Reads the headers only: the first 64 KiB, or more when metadata pushes the size further.
    """
    try:
        with open(path, "rb") as file:
            head = file.read(1 << 16)
            size = _sof_size(head)
            if size is None and len(head) == 1 << 16:  # headers longer than 64 KiB: read the whole file
                size = _sof_size(head + file.read())
            return size
    except FileNotFoundError:
        raise FrameError(f"frame {path}: file not found") from None


def _sof_size(data: bytes) -> tuple | None:
    """``(width, height)`` from the start-of-frame segment of JPEG bytes, walking the segment headers."""
    if data[:2] != b"\xff\xd8":
        return None
    position = 2
    while position + 4 <= len(data):
        if data[position] != 0xFF:
            return None
        marker = data[position + 1]
        if marker == 0xFF:  # a fill byte: the marker starts one byte later
            position += 1
            continue
        if marker in _SOF_MARKERS:
            if position + 9 > len(data):
                return None
            height, width = struct.unpack(">HH", data[position + 5:position + 9])
            return (width, height) if width and height else None
        position += 2 + struct.unpack(">H", data[position + 2:position + 4])[0]
    return None


@dataclass(frozen=True)
class FrameRef:
    """A frame file of known size, decoded on demand, at full size or reduced."""

    path: str
    width: int
    height: int
    loader: ImageLoader

    def decode(self, reduction: int = 1) -> tuple:
        """``(image, applied_reduction)``: the frame decoded at ``1/reduction`` of its size where the loader can
        (``applied_reduction`` is 1 where it cannot). The image is ``ceil(H / r) x ceil(W / r)`` for ``r`` applied.
        """
        if reduction > 1 and getattr(self.loader, "supports_reduction", False):
            image = self.loader(self.path, reduction)
        else:
            image = self.loader(self.path)
        for applied in (1, reduction):
            if image.shape[:2] == (math.ceil(self.height / applied), math.ceil(self.width / applied)):
                return image, applied
        raise FrameError(f"frame {self.path}: decoded to {image.shape[1]}x{image.shape[0]} but its header says "
                           f"{self.width}x{self.height}")


def jpeg4py_loader(path: str) -> np.ndarray:
    """Decode ``path`` with jpeg4py (libjpeg-turbo): HxWx3 uint8 RGB."""
    import jpeg4py  # checked by make_image_loader before this loader is handed out

    data = read_frame_bytes(path)
    check_complete_jpeg(data, path)
    try:
        image = jpeg4py.JPEG(data).decode()
    except (RuntimeError, ValueError) as exc:  # jpeg4py.JPEGRuntimeError is a RuntimeError
        raise FrameError(f"frame {path}: cannot be decoded by jpeg4py ({exc})") from None
    if image is None or image.ndim != 3:
        raise FrameError(f"frame {path}: jpeg4py returned no RGB image")
    return image


def _check_jpeg4py() -> None:
    """Fail now, with what to install, if jpeg4py or its libturbojpeg is missing."""
    try:
        import jpeg4py
        from jpeg4py import _cffi
    except ImportError:
        raise DatasetError(f"DATA.IMAGE_LOADER is 'jpeg4py' but the package is not installed: "
                           f"{_JPEG4PY_HINT}") from None
    try:
        # Load the library before any JPEG object exists: one made without it fails a second time, noisily,
        # when it is garbage-collected.
        _cffi.initialize()
    except OSError as exc:
        raise DatasetError(f"DATA.IMAGE_LOADER is 'jpeg4py' but its library libturbojpeg cannot be "
                           f"loaded ({exc}): {_JPEG4PY_HINT}") from None
    ok, encoded = cv2.imencode(".jpg", np.zeros((8, 8, 3), np.uint8))
    assert ok, "OpenCV could not encode a test JPEG"
    jpeg4py.JPEG(encoded.ravel()).decode()


def make_image_loader(name: str = "opencv") -> ImageLoader:
    """The loader called ``name`` (``opencv`` or ``jpeg4py``), checked to work on this machine."""
    if name == "opencv":
        return opencv_loader
    if name == "jpeg4py":
        _check_jpeg4py()
        logger.info("decoding frames with jpeg4py")
        return jpeg4py_loader
    raise DatasetError(f"unknown image loader {name!r}; expected one of {IMAGE_LOADERS}")
