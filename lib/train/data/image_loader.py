"""Decode a frame file into an HxWx3 uint8 RGB array, with OpenCV or (optionally) jpeg4py, at full size or
reduced by 2, 4 or 8 through libjpeg's DCT scaling; read a JPEG's size from its header without decoding."""

from __future__ import annotations

import logging
import math
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import cv2
import numpy as np

from lib.utils.errors import DatasetError

logger = logging.getLogger(__name__)

# loader(path) or, where loader.supports_reduction is set, loader(path, reduction) -> HxWx3 uint8 RGB
ImageLoader = Callable[..., np.ndarray]
IMAGE_LOADERS = ("opencv", "jpeg4py")
JPEG_REDUCTIONS = (1, 2, 4, 8)  # the scalings libjpeg decodes directly (1/1, 1/2, 1/4, 1/8)
_OPENCV_FLAGS = {1: cv2.IMREAD_COLOR, 2: cv2.IMREAD_REDUCED_COLOR_2, 4: cv2.IMREAD_REDUCED_COLOR_4,
                 8: cv2.IMREAD_REDUCED_COLOR_8}
# OpenCV >= 4.10 lets libjpeg write RGB directly, saving a full-frame BGR -> RGB pass (same pixels).
_OPENCV_RGB = getattr(cv2, "IMREAD_COLOR_RGB", None)
if _OPENCV_RGB is not None:
    _OPENCV_FLAGS = {r: (flag & ~cv2.IMREAD_COLOR) | _OPENCV_RGB for r, flag in _OPENCV_FLAGS.items()}
# Start-of-frame markers (baseline, progressive, ...) hold the size; C4, C8 and CC are other segments.
_SOF_MARKERS = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}

_JPEG4PY_HINT = ("install it with 'pip install jpeg4py' and the system library with "
                 "'apt-get install libturbojpeg' (macOS: 'brew install jpeg-turbo'), "
                 "or set DATA.IMAGE_LOADER: opencv")


def opencv_loader(path: str, reduction: int = 1) -> np.ndarray:
    """Decode ``path`` with OpenCV: HxWx3 uint8 RGB, ``ceil(H / reduction) x ceil(W / reduction)`` for a JPEG.

    Raises :class:`DatasetError` naming the file.
    """
    image = cv2.imread(str(path), _OPENCV_FLAGS[reduction])
    if image is None:
        reason = "file not found" if not Path(path).is_file() else "cannot be decoded (corrupt or not an image)"
        raise DatasetError(f"frame {path}: {reason}")
    return image if _OPENCV_RGB is not None else cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


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
        raise DatasetError(f"frame {path}: file not found") from None


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
        raise DatasetError(f"frame {self.path}: decoded to {image.shape[1]}x{image.shape[0]} but its header says "
                           f"{self.width}x{self.height}")


def jpeg4py_loader(path: str) -> np.ndarray:
    """Decode ``path`` with jpeg4py (libjpeg-turbo): HxWx3 uint8 RGB."""
    import jpeg4py  # checked by make_image_loader before this loader is handed out

    if not Path(path).is_file():
        raise DatasetError(f"frame {path}: file not found")
    try:
        image = jpeg4py.JPEG(str(path)).decode()
    except (RuntimeError, ValueError) as exc:  # jpeg4py.JPEGRuntimeError is a RuntimeError
        raise DatasetError(f"frame {path}: cannot be decoded by jpeg4py ({exc})") from None
    if image is None or image.ndim != 3:
        raise DatasetError(f"frame {path}: jpeg4py returned no RGB image")
    return image


def _check_jpeg4py() -> None:
    """Fail now, with what to install, if jpeg4py or its libturbojpeg is missing."""
    try:
        import jpeg4py
    except ImportError:
        raise DatasetError(f"DATA.IMAGE_LOADER is 'jpeg4py' but the package is not installed: "
                           f"{_JPEG4PY_HINT}") from None
    ok, encoded = cv2.imencode(".jpg", np.zeros((8, 8, 3), np.uint8))
    assert ok, "OpenCV could not encode a test JPEG"
    try:
        jpeg4py.JPEG(encoded.ravel()).decode()
    except OSError as exc:  # raised when libturbojpeg cannot be loaded
        raise DatasetError(f"DATA.IMAGE_LOADER is 'jpeg4py' but its library libturbojpeg cannot be "
                           f"loaded ({exc}): {_JPEG4PY_HINT}") from None


def make_image_loader(name: str = "opencv") -> ImageLoader:
    """The loader called ``name`` (``opencv`` or ``jpeg4py``), checked to work on this machine."""
    if name == "opencv":
        return opencv_loader
    if name == "jpeg4py":
        _check_jpeg4py()
        logger.info("decoding frames with jpeg4py")
        return jpeg4py_loader
    raise DatasetError(f"unknown image loader {name!r}; expected one of {IMAGE_LOADERS}")
