"""Keep a dataset's parsed annotations on disk, so that a large dataset does not re-read thousands of files at
every start (GOT-10k: 9,335 sequences x 3 files; TrackingNet: 30,000+ files; COCO: one 450 MB JSON).

A cache entry is one ``.npz`` file (arrays only, loaded with ``allow_pickle=False``) holding the
:class:`~lib.data.video_dataset.AnnotationTable`, the sequence names and classes, and a JSON of per-sequence
metadata. It is valid while its **fingerprint** matches: the reader's version, the reader's parameters (split,
classes, ...) and the size and modification time (ns) of every file the annotations were read from. Any
change -- a file edited, added to the split, removed -- rebuilds it. Checking costs one ``stat`` per file.

Where: ``$SEQTRACK_CACHE_DIR``, else ``$XDG_CACHE_HOME/seqtrack``, else ``~/.cache/seqtrack``;
``SEQTRACK_CACHE_DIR=off`` (or ``use_cache=False``) disables it. A cache that cannot be read or written is
rebuilt or skipped with a warning: it never stops training.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from lib.data.video_dataset import AnnotationTable
from lib.utils.atomic_files import write_atomic

logger = logging.getLogger(__name__)

CACHE_ENV = "SEQTRACK_CACHE_DIR"


def cache_dir() -> Path | None:
    """The cache folder, or None when caching is off."""
    chosen = os.environ.get(CACHE_ENV)
    if chosen:
        return None if chosen.lower() in ("off", "0", "none", "false") else Path(chosen)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "seqtrack"


@dataclass(frozen=True)
class CachedAnnotations:
    """What a dataset reads at start-up: its table and, per sequence, its name, class and metadata."""

    table: AnnotationTable
    names: list
    classes: list  # a class name or None per sequence
    meta: list  # a JSON-able dict per sequence (may be empty)
    info: dict = field(default_factory=dict)  # JSON-able facts of the whole dataset (COCO: its supercategories)


def fingerprint(reader: str, version: int, parameters: dict, files: Iterable[Path]) -> str:
    """SHA-256 of the reader, its version and parameters, and the (path, size, mtime_ns) of every file."""
    digest = hashlib.sha256(json.dumps([reader, version, parameters], sort_keys=True, default=str).encode())
    for path in files:
        try:
            stat = os.stat(path)
            digest.update(f"{path}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
        except OSError:
            digest.update(f"{path}\0missing\n".encode())
    return digest.hexdigest()


def _save(path: Path, key: str, entry: CachedAnnotations) -> None:
    arrays = {f"table_{k}": v for k, v in entry.table.arrays().items()}
    arrays["header"] = np.frombuffer(json.dumps({"fingerprint": key, "names": entry.names, "classes": entry.classes,
                                                 "meta": entry.meta, "info": entry.info}).encode(), dtype=np.uint8)

    def write(handle) -> None:
        np.savez(handle, **arrays)

    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, write, durable=False)


def _load(path: Path, key: str) -> CachedAnnotations | None:
    try:
        with np.load(path, allow_pickle=False) as data:
            header = json.loads(data["header"].tobytes().decode())
            if header.get("fingerprint") != key:
                return None
            table = AnnotationTable.from_arrays({k[len("table_"):]: data[k] for k in data.files
                                                 if k.startswith("table_")})
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, json.JSONDecodeError) as exc:
        logger.warning("annotation cache %s is unreadable (%s); reading the annotations again", path, exc)
        return None
    return CachedAnnotations(table, header["names"], header["classes"], header["meta"], header.get("info", {}))


def cached_annotations(reader: str, version: int, parameters: dict, files: Sequence[Path],
                       read: Callable[[], CachedAnnotations], use_cache: bool = True) -> CachedAnnotations:
    """``read()``'s result, from the cache when ``files`` and ``parameters`` are unchanged since it was stored.

    ``reader`` names the dataset reader (``'got10k'``), ``version`` is bumped when its parsing changes, and
    ``files`` are every annotation file ``read`` opens (in a fixed order).
    """
    start = time.perf_counter()
    folder = cache_dir() if use_cache else None
    key = fingerprint(reader, version, parameters, files)
    # one file per reader and parameters (root, split, ...): a changed file replaces its own entry only
    name = hashlib.sha256(json.dumps(parameters, sort_keys=True, default=str).encode()).hexdigest()[:16]
    path = folder / f"{reader}-{name}.npz" if folder else None
    if path is not None:
        entry = _load(path, key)
        if entry is not None:
            logger.info("%s: annotations of %d sequences from the cache %s (%.2f s)", reader, len(entry.names),
                        path, time.perf_counter() - start)
            return entry
    entry = read()
    if path is not None:
        try:
            _save(path, key, entry)
        except OSError as exc:
            logger.warning("could not write the annotation cache %s (%s); set %s to a writable folder, or 'off'",
                           path, exc.strerror or exc, CACHE_ENV)
    return entry
