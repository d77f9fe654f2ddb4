"""Where the data and outputs live: the environment, then the generated local settings, then defaults.

``tracking/create_default_local_file.py`` writes ``local_settings.yaml`` at the repository root (not
committed). Nothing else in the code base holds a path.
"""

from __future__ import annotations

import os
from pathlib import Path

import yaml

from lib.data.errors import DatasetError

REPO_ROOT = Path(__file__).resolve().parents[2]
LOCAL_SETTINGS_FILE = REPO_ROOT / "local_settings.yaml"

# Every dataset root: its key (``<key>_dir`` in the settings file, ``$<KEY>_DIR`` in the environment) and its
# folder under the data directory, named as the original's default local files name them.
DATA_ROOTS = {
    "lasot": "lasot",  # LaSOT: <class>/<class>-<n>/  (training and the lasot benchmark)
    "got10k": "got10k",  # GOT-10k: train/, val/, test/  (each with list.txt)
    "trackingnet": "trackingnet",  # TrackingNet: TRAIN_0 ... TRAIN_11/, TEST/
    "coco": "coco",  # COCO 2017: annotations/instances_train2017.json, images/train2017/
    "vid": "vid",  # ImageNet VID: Annotations/VID/train/, Data/VID/train/
    "folder": "folder",  # your own videos: <sequence>/groundtruth.txt + frames
    "lasot_extension_subset": "lasot_extension_subset",  # LaSOT_ext: <class>/<class>-<n>/
    "tnl2k": "tnl2k",  # TNL2K test: <sequence>/{groundtruth.txt, imgs/}
    "uav": "UAV123",  # UAV123: data_seq/UAV123/<seq>/, anno/UAV123/<seq>.txt
    "nfs": "nfs",  # NfS: <seq>/30/<seq>/, <seq>/30/<seq>_pytracking.txt
    "otb": "OTB2015",  # OTB100: <seq>/img/, <seq>/groundtruth_rect.txt
    "tc128": "TC128",  # Temple-Color-128: <seq>/img/, <seq>/<seq>_gt.txt, <seq>_frames.txt
}


class SettingsError(ValueError):
    """The local settings file exists but cannot be read."""


def read_local_settings(path: Path = LOCAL_SETTINGS_FILE) -> dict:
    """The generated settings as a dict; empty when the file does not exist."""
    if not path.is_file():
        return {}
    try:
        settings = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        raise SettingsError(f"{path} is not valid YAML ({exc}); re-create it with "
                            "tracking/create_default_local_file.py") from None
    if not isinstance(settings, dict):
        raise SettingsError(f"{path} should hold a mapping; re-create it with tracking/create_default_local_file.py")
    return settings


def write_local_settings(workspace_dir: str, data_dir: str, save_dir: str,
                         path: Path = LOCAL_SETTINGS_FILE) -> dict:
    """Write the settings with absolute paths and return them."""
    data = Path(data_dir).resolve()
    settings = {
        "workspace_dir": str(Path(workspace_dir).resolve()),
        "save_dir": str(Path(save_dir).resolve()),
        **{f"{key}_dir": str(data / folder) for key, folder in DATA_ROOTS.items()},
        "results_dir": str(Path(save_dir).resolve() / "test" / "tracking_results"),
    }
    path.write_text("# written by tracking/create_default_local_file.py; edit freely\n"
                    + yaml.safe_dump(settings, sort_keys=False))
    return settings


def resolve_data_root(key: str, explicit: str | Path | None = None) -> Path:
    """The root of dataset ``key`` (a key of :data:`DATA_ROOTS`): ``explicit``, then ``$<KEY>_DIR``, then the
    local settings' ``<key>_dir``, then ``./data/<folder>``.

    The path is returned whether or not it exists; the dataset checks it and says what to do.
    """
    if key not in DATA_ROOTS:
        raise KeyError(f"unknown dataset root {key!r}; known: {', '.join(DATA_ROOTS)}")
    if explicit:
        return Path(explicit)
    variable = f"{key.upper()}_DIR"
    if os.environ.get(variable):
        return Path(os.environ[variable])
    settings = read_local_settings()
    if settings.get(f"{key}_dir"):
        return Path(settings[f"{key}_dir"])
    return Path("data") / DATA_ROOTS[key]


def resolve_results_dir(explicit: str | Path | None, save_dir: str | Path) -> Path:
    """Tracking results root: ``explicit``, then local_settings.yaml's ``results_dir``, then
    ``<save_dir>/test/tracking_results``."""
    if explicit:
        return Path(explicit)
    settings = read_local_settings()
    if settings.get("results_dir"):
        return Path(settings["results_dir"])
    return Path(save_dir) / "test" / "tracking_results"


def resolve_lasot_root(explicit: str | None = None) -> Path:
    """LaSOT root: ``explicit``, then ``$LASOT_DIR``, then the local settings, then ``./data/lasot``."""
    return resolve_data_root("lasot", explicit)


def check_data_root(key: str, root: str | Path, title: str, layout: str) -> Path:
    """``root`` of dataset ``key`` as a Path if it is a directory, else an error naming the three ways to point
    at it and the layout expected there."""
    path = Path(root)
    if not path.is_dir():
        raise DatasetError(f"{title} root {path} does not exist or is not a directory. Point to your copy with "
                           f"${key.upper()}_DIR, with '{key}_dir:' in local_settings.yaml "
                           f"(tracking/create_default_local_file.py), or with the tool's option; or put it in "
                           f"./data/{DATA_ROOTS[key]}. Expected there: {layout}")
    return path
