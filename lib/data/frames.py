"""Decode a frame file to an HxWx3 uint8 RGB array with OpenCV, full size or reduced by libjpeg, refusing
damaged files with an error that names them (training, tracking and the video demo read frames here).

A JPEG cut short (an interrupted download or copy) still decodes: libjpeg fills the missing part with grey
and prints "Premature end of JPEG file", once per frame, without naming it. Such a file lacks the
end-of-image marker its encoder wrote last, which the bytes already read show at no cost: it is refused.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from lib.data.errors import DatasetError

JPEG_START = b"\xff\xd8"
JPEG_END = b"\xff\xd9"
JPEG_TAIL = 4096  # the end-of-image marker must lie in the last bytes (some writers pad after it)
REDUCTIONS = (1, 2, 4, 8)  # the scalings libjpeg decodes directly (1/1, 1/2, 1/4, 1/8)
_FLAGS = {1: cv2.IMREAD_COLOR, 2: cv2.IMREAD_REDUCED_COLOR_2, 4: cv2.IMREAD_REDUCED_COLOR_4,
          8: cv2.IMREAD_REDUCED_COLOR_8}
# OpenCV >= 4.10 lets libjpeg write RGB directly, saving a full-frame BGR -> RGB pass (same pixels).
_RGB = getattr(cv2, "IMREAD_COLOR_RGB", None)
if _RGB is not None:
    _FLAGS = {r: (flag & ~cv2.IMREAD_COLOR) | _RGB for r, flag in _FLAGS.items()}


class FrameError(DatasetError):
    """A frame file that is missing, unreadable, truncated or not an image."""


def read_frame_bytes(path: str | Path) -> np.ndarray:
    """The bytes of a frame file as a uint8 array; a missing or unreadable file is a :class:`FrameError`."""
    try:
        data = np.fromfile(str(path), dtype=np.uint8)
    except FileNotFoundError:
        raise FrameError(f"frame {path}: file not found") from None
    except OSError as exc:
        raise FrameError(f"frame {path}: cannot be read ({exc.strerror or exc})") from None
    if data.size == 0:
        raise FrameError(f"frame {path}: the file is empty (0 bytes); re-download or re-extract it")
    return data


def check_complete_jpeg(data: np.ndarray, path: str | Path) -> None:
    """A JPEG's bytes must end with its end-of-image marker; other formats pass unchecked."""
    if data[:2].tobytes() == JPEG_START and JPEG_END not in data[-JPEG_TAIL:].tobytes():
        raise FrameError(f"frame {path}: the JPEG is truncated ({data.size:,} bytes, no end-of-image marker); "
                         f"re-download or re-extract it")


def decode_frame(path: str | Path, reduction: int = 1) -> np.ndarray:
    """HxWx3 uint8 RGB; ``ceil(H / reduction) x ceil(W / reduction)`` for a JPEG at ``reduction`` 2, 4 or 8."""
    data = read_frame_bytes(path)
    check_complete_jpeg(data, path)
    image = cv2.imdecode(data, _FLAGS[reduction])
    if image is None:
        raise FrameError(f"frame {path}: cannot be decoded (corrupt or not an image)")
    return image if _RGB is not None else cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
