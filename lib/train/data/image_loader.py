"""Decode a frame file into an HxWx3 uint8 RGB array, with OpenCV or (optionally) jpeg4py."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Callable

import cv2
import numpy as np

from lib.utils.errors import DatasetError

logger = logging.getLogger(__name__)

ImageLoader = Callable[[str], np.ndarray]
IMAGE_LOADERS = ("opencv", "jpeg4py")

_JPEG4PY_HINT = ("install it with 'pip install jpeg4py' and the system library with "
                 "'apt-get install libturbojpeg' (macOS: 'brew install jpeg-turbo'), "
                 "or set DATA.IMAGE_LOADER: opencv")


def opencv_loader(path: str) -> np.ndarray:
    """Decode ``path`` with OpenCV: HxWx3 uint8 RGB. Raises :class:`DatasetError` naming the file."""
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        reason = "file not found" if not Path(path).is_file() else "cannot be decoded (corrupt or not an image)"
        raise DatasetError(f"frame {path}: {reason}")
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


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
