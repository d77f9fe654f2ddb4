"""One logging set-up for training and tools: console and log file on rank 0, warnings only elsewhere."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

_HANDLER_TAG = "_seqtrack_handler"


class _Formatter(logging.Formatter):
    """The bare message for INFO (the log lines users parse); ``WARNING: ...`` / ``ERROR: ...`` above it."""

    def __init__(self, prefix: str = ""):
        super().__init__()
        self.prefix = prefix

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        if record.levelno >= logging.WARNING:
            text = f"{record.levelname}: {text}"
        return self.prefix + text


def setup_logging(log_file: str | Path | None = None, rank: int = 0, level: int = logging.INFO) -> None:
    """Send ``logging`` records to stdout (and ``log_file``, appended) on rank 0; ranks > 0 show warnings.

    Calling it again replaces the handlers it installed before (tests and resumed runs call it twice).
    """
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, _HANDLER_TAG, False):
            root.removeHandler(handler)
            handler.close()
    root.setLevel(level if rank == 0 else logging.WARNING)
    formatter = _Formatter() if rank == 0 else _Formatter(f"[rank {rank}] ")
    console = logging.StreamHandler(sys.stdout)
    console.setFormatter(formatter)
    handlers = [console]
    if log_file is not None and rank == 0:
        Path(log_file).parent.mkdir(parents=True, exist_ok=True)
        file_handler = logging.FileHandler(log_file, mode="a", encoding="utf-8")
        file_handler.setFormatter(formatter)
        handlers.append(file_handler)
    for handler in handlers:
        setattr(handler, _HANDLER_TAG, True)
        root.addHandler(handler)


def close_logging() -> None:
    """Flush and remove the handlers :func:`setup_logging` installed."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if getattr(handler, _HANDLER_TAG, False):
            root.removeHandler(handler)
            handler.close()


def format_hms(seconds: float) -> str:
    """``5025.3`` -> ``'1:23:45'``; hours go past 24 (``'30:00:00'``), never ``'1 day, ...'``."""
    total = int(max(seconds, 0))
    return f"{total // 3600}:{total % 3600 // 60:02d}:{total % 60:02d}"
