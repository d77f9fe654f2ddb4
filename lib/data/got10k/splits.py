"""GOT-10k's training splits: files of 0-based indices into the train folder's ``list.txt``, and their names."""

from __future__ import annotations

import functools
from pathlib import Path

import numpy as np

from lib.data.errors import DatasetError
from lib.data.text_files import read_labels

SPECS_DIR = Path(__file__).resolve().parent / "data_specs"  # the official split files, as the original ships them

# split -> (split file, the config's DATASETS_NAME). vottrain/votval leave out the sequences that overlap VOT.
SPLITS = {
    "vottrain": ("got10k_vot_train_split.txt", "GOT10K_vottrain"),  # 7,086 sequences
    "votval": ("got10k_vot_val_split.txt", "GOT10K_votval"),  # 1,249
    "train_full": ("got10k_train_full_split.txt", "GOT10K_train_full"),  # 9,335: every train sequence
    "train": ("got10k_train_split.txt", "GOT10K_train"),  # 7,934: the first 7,934 of train_full
    "val": ("got10k_val_split.txt", "GOT10K_val"),  # 1,401: the rest of train_full
}


def check_split(split: str) -> str:
    if split not in SPLITS:
        raise DatasetError(f"unknown GOT-10k split {split!r}; expected one of {', '.join(SPLITS)}")
    return split


def dataset_name(split: str) -> str:
    """The name a config gives the split (``'vottrain'`` -> ``'GOT10K_vottrain'``)."""
    return SPLITS[check_split(split)][1]


def read_split_file(path: str | Path) -> tuple:
    """The indices of a split file (one non-negative integer per line), in file order."""
    path = Path(path)
    indices = read_labels(path)
    if not len(indices):
        raise DatasetError(f"split file {path} lists no sequence")
    negative = np.flatnonzero(indices < 0)
    if len(negative):
        line = int(negative[0]) + 1
        raise DatasetError(f"{path}, line {line}: {int(indices[negative[0]])} is not an index into list.txt "
                           f"(0-based, so 0 or more)")
    return tuple(int(i) for i in indices)


@functools.cache
def split_indices(split: str) -> tuple:
    """The official ``split``'s 0-based indices into list.txt, in file order (not sorted)."""
    return read_split_file(SPECS_DIR / SPLITS[check_split(split)][0])
