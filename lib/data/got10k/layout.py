"""Where GOT-10k's training data lives: the train folder and its ``list.txt``, frame files, and completeness.

``<root>/train/list.txt`` names one sequence folder per line; ``<root>/train/<folder>/`` holds the frames
``00000001.jpg ...`` (1-based) next to the annotation files. The root may also be the train folder itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from lib.data.errors import DatasetError
from lib.data.frame_files import frames_problem
from lib.data.local_settings import check_data_root
from lib.data.text_files import read_lines

LIST_FILE = "list.txt"
FRAME_NAME = "{:08d}.jpg"  # 1-based: 00000001.jpg is the first frame
LAYOUT = ("train/list.txt (one sequence folder per line) and train/GOT-10k_Train_000001/{00000001.jpg ..., "
          "groundtruth.txt, absence.label, cover.label, meta_info.ini}")
FIX = "re-extract it from the GOT-10k archive, or train on the sequences you have with split_file"


def train_folder(root: str | Path) -> Path:
    """The folder holding ``list.txt``: ``root/train``, or ``root`` itself when it is the train folder."""
    root = check_data_root("got10k", root, "GOT-10k", LAYOUT)
    for folder in (root / "train", root):
        if (folder / LIST_FILE).is_file():
            return folder
    raise DatasetError(f"GOT-10k root {root} holds neither train/{LIST_FILE} nor {LIST_FILE}: point at the GOT-10k "
                       f"folder (holding train/) or at its train folder. Expected: {LAYOUT}")


def read_sequence_list(folder: Path) -> list:
    """The folder names of ``folder/list.txt``, in file order; a blank line is an error (indices would shift)."""
    path = folder / LIST_FILE
    names = [line.strip() for line in read_lines(path)]
    blank = next((n for n, name in enumerate(names, start=1) if not name), None)
    if blank is not None:
        raise DatasetError(f"{path}, line {blank}: blank; every line must name a sequence folder (the split files "
                           f"index the lines)")
    if not names:
        raise DatasetError(f"{path} lists no sequence")
    return names


def select_sequences(names: Sequence[str], indices: Sequence[int], split: str, list_path: Path) -> list:
    """``names[i]`` for each index ``i`` of the split (``split`` names it in errors); an index past the list
    is an error suggesting DATA.TRAIN.GOT10K_SPLIT_FILE."""
    beyond = [i for i in indices if i >= len(names)]
    if beyond:
        raise DatasetError(f"GOT-10k split {split} uses index {beyond[0]} ({len(beyond)} of its {len(indices)} "
                           f"indices are beyond the list), but {list_path} has only {len(names)} lines "
                           f"(0..{len(names) - 1}). For a partial copy of GOT-10k, set DATA.TRAIN.GOT10K_SPLIT_FILE "
                           f"(Got10k's split_file) to a file of the list.txt indices (0-based, one per line) you "
                           f"have")
    return [names[i] for i in indices]


def frame_path(seq_dir: Path, index: int) -> Path:
    """The file of 0-based frame ``index``."""
    return seq_dir / FRAME_NAME.format(index + 1)


def incompleteness(seq_dir: Path, count: int) -> str | None:
    """Why ``seq_dir`` lacks some of its ``count`` annotated frames (one listing), or None when it has them."""
    return frames_problem(seq_dir, [FRAME_NAME.format(i + 1) for i in range(count)], FIX)
