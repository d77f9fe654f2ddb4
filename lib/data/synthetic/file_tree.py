"""Write a small generated dataset (every file's bytes known in advance) into its output folder: kept when it
already holds exactly these files, refused when it holds anything else unless the caller asks to overwrite."""

from __future__ import annotations

import shutil
from collections.abc import Mapping
from pathlib import Path

from lib.data.errors import DatasetError


def _existing_files(root: Path) -> set:
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file() or p.is_symlink()}


def _up_to_date(root: Path, files: Mapping[str, bytes], existing: set) -> bool:
    return existing == set(files) and all((root / name).read_bytes() == data for name, data in files.items())


def write_file_tree(root: str | Path, files: Mapping[str, bytes], title: str, overwrite: bool = False) -> bool:
    """Write ``files`` (path relative to ``root`` -> bytes) under ``root``; False when it already held exactly
    them. A ``root`` holding other files is an error naming it, unless ``overwrite`` (then it is emptied)."""
    root = Path(root)
    existing = _existing_files(root) if root.is_dir() else set()
    if existing and _up_to_date(root, files, existing):
        return False
    if existing:
        if not overwrite:
            raise DatasetError(f"{root} already holds other data ({len(existing)} files, e.g. "
                               f"{sorted(existing)[0]}) than this synthetic {title}; choose another output folder "
                               f"or pass overwrite=True to replace it")
        shutil.rmtree(root)
    for name, data in sorted(files.items()):
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return True
