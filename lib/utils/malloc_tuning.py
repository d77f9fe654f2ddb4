"""Keep freed memory in the process's heap (glibc) so that the data path's large buffers are reused.

A decoded 1280x720 frame (2.7 MB) or a batch is above glibc's default mmap threshold: each one is mapped
fresh and unmapped when freed, so every decode pays page faults over its whole buffer. On virtual machines
those faults are expensive: on this project's 2-core VM a 1280x720 JPEG decode took 6.3 ms that way against
2.1-2.6 ms with the buffers reused. Raising the mmap and trim thresholds keeps such buffers in the heap.
"""

from __future__ import annotations

import ctypes
import logging
import platform

logger = logging.getLogger(__name__)

_M_TRIM_THRESHOLD = -1  # glibc's mallopt parameter numbers (malloc.h)
_M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 32 << 20  # glibc's maximum on 64-bit: allocations up to 32 MiB come from the heap
TRIM_THRESHOLD = 128 << 20  # free memory at the heap's top is returned to the system beyond 128 MiB


def keep_freed_memory() -> bool:
    """Raise glibc's mmap and trim thresholds in this process (inherited by forked workers); False where the
    C library is not glibc (then nothing changes)."""
    if platform.system() != "Linux":
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):  # not glibc (musl has no mallopt)
        return False
    mallopt.argtypes = (ctypes.c_int, ctypes.c_int)
    ok = mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD) == 1 and mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD) == 1
    if not ok:
        logger.debug("mallopt refused the thresholds; memory allocation left as it is")
    return ok
