"""LaSOT's official split lists and class names, and checks of the root and of class names."""

from __future__ import annotations

import difflib
import functools
from collections.abc import Iterable, Sequence
from pathlib import Path

from lib.data.errors import DatasetError

SPECS_DIR = Path(__file__).resolve().parent / "data_specs"  # the official split lists
SPLITS = ("train", "test")


@functools.cache
def split_sequences(split: str) -> tuple:
    """Sequence names of the official protocol-II ``split`` ('train': 1,120; 'test': 280), in file order."""
    if split not in SPLITS:
        raise DatasetError(f"unknown LaSOT split {split!r}; expected one of {SPLITS}")
    path = SPECS_DIR / f"lasot_{split}_split.txt"
    names = tuple(line.strip() for line in path.read_text().splitlines() if line.strip())
    if not names:
        raise DatasetError(f"split file {path} lists no sequences")
    return names


def sequence_class(sequence: str) -> str:
    """``'rubicCube-12'`` -> ``'rubicCube'``."""
    return sequence.rsplit("-", 1)[0]


@functools.cache
def lasot_classes() -> tuple:
    """The 70 class names, sorted, taken from the split files (never from a folder listing)."""
    return tuple(sorted({sequence_class(name) for split in SPLITS for name in split_sequences(split)}))


def check_classes(classes: Iterable[str] | None) -> list:
    """The requested classes in order without repeats; empty or None means all 70.

    An unknown name is an error naming it, the closest valid name and all valid names.
    """
    valid = lasot_classes()
    wanted = list(dict.fromkeys(classes or ()))
    for name in wanted:
        if name not in valid:
            close = difflib.get_close_matches(name, valid, n=1, cutoff=0.6)
            if not close:  # case slips: 'Mouse', 'rubiccube'
                close = [v for v in valid if v.lower() == str(name).lower()]
            hint = f"; did you mean '{close[0]}'?" if close else "."
            raise DatasetError(f"unknown LaSOT class '{name}'{hint} Valid classes: {', '.join(valid)}")
    return wanted or list(valid)


def sequences_of(split: str, classes: Sequence[str]) -> list:
    """Names of ``split``'s sequences that belong to ``classes``, in split-file order."""
    chosen = set(classes)
    return [name for name in split_sequences(split) if sequence_class(name) in chosen]


def check_root(root: str | Path) -> Path:
    """``root`` as a Path if it is a directory, else an error saying how to point at LaSOT."""
    path = Path(root)
    if not path.is_dir():
        raise DatasetError(
            f"LaSOT root {path} does not exist or is not a directory. Point to your LaSOT copy with the "
            f"LASOT_DIR environment variable, with 'python tracking/create_default_local_file.py "
            f"--workspace_dir . --data_dir ./data --save_dir .' (LaSOT then lives in ./data/lasot), or by "
            f"putting it in ./data/lasot. For demo data: 'python scripts/make_synthetic_lasot.py "
            f"--out ./data/lasot --classes mouse electricfan'. See data/README.md.")
    return path


def check_class_dirs(root: Path, classes: Sequence[str]) -> None:
    """Every requested class has its folder under ``root``."""
    missing = [name for name in classes if not (root / name).is_dir()]
    if missing:
        shown = ", ".join(missing[:5]) + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
        raise DatasetError(f"LaSOT root {root} has no folder for class(es) {shown}: expected "
                           f"{root / missing[0]}/{missing[0]}-1 ... (download those classes, or choose the "
                           f"classes you have in DATA.TRAIN.CLASSES / --classes)")

def sequence_dir(root: Path, sequence: str) -> Path:
    """``root/<class>/<sequence>``."""
    return root / sequence_class(sequence) / sequence
