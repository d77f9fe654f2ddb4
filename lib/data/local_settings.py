"""Where the data and outputs live: the environment, then the generated local settings, then defaults.

``tracking/create_default_local_file.py`` writes ``local_settings.yaml`` at the repository root (not
committed). Nothing else in the code base holds a path.
"""

from __future__ import annotations

import os
from pathlib import Path

import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
LOCAL_SETTINGS_FILE = REPO_ROOT / "local_settings.yaml"


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
        "lasot_dir": str(data / "lasot"),
        "results_dir": str(Path(save_dir).resolve() / "test" / "tracking_results"),
    }
    path.write_text("# written by tracking/create_default_local_file.py; edit freely\n"
                    + yaml.safe_dump(settings, sort_keys=False))
    return settings


def resolve_lasot_root(explicit: str | None = None) -> Path:
    """LaSOT root: ``explicit``, then ``$LASOT_DIR``, then the local settings, then ``./data/lasot``.

    The path is returned whether or not it exists; the dataset checks it and says what to do.
    """
    if explicit:
        return Path(explicit)
    if os.environ.get("LASOT_DIR"):
        return Path(os.environ["LASOT_DIR"])
    settings = read_local_settings()
    if settings.get("lasot_dir"):
        return Path(settings["lasot_dir"])
    return Path("data") / "lasot"
