"""Inference weights in the Hub's own format: ``model.safetensors`` (the network only, under the original's
parameter names) next to a ``config.json`` that says how to rebuild it.

``config.json`` holds ``seqtrack_weights`` (this format's version), ``config_name``, ``config`` (the resolved
config the network was built from), ``classes`` (the LaSOT classes it was trained on; [] = all), ``epoch``
(epochs completed) and ``base_model`` (the MAE weights the encoder started from, where they came from the Hub).
A pair is what someone who only tracks downloads: a third of a full training state (no optimiser), and no pickle.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Mapping
from pathlib import Path

import torch

from lib.checkpoint.io import CheckpointError
from lib.utils.atomic_files import write_atomic, write_text_atomic

WEIGHTS_FILE = "model.safetensors"
CONFIG_FILE = "config.json"
WEIGHTS_FORMAT = 1


def is_weights_file(path: str | Path) -> bool:
    return str(path).endswith(".safetensors")


def weights_config(config: Mapping, config_name: str, epoch: int | None, base_model: str | None = None) -> dict:
    """What ``config.json`` holds for a network of ``config`` (a plain dict) after ``epoch`` epochs."""
    return {"seqtrack_weights": WEIGHTS_FORMAT, "config_name": config_name, "epoch": epoch,
            "classes": list(config.get("DATA", {}).get("TRAIN", {}).get("CLASSES", [])), "base_model": base_model,
            "config": dict(config)}


def write_weights(folder: str | Path, net_state: Mapping[str, torch.Tensor], info: dict) -> list:
    """Write ``model.safetensors`` (``net_state`` under the original's names) and ``config.json`` (``info``,
    from :func:`weights_config`) into ``folder``, each atomically; returns both paths."""
    from safetensors.torch import save

    from lib.checkpoint.original import native_to_original_name

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    tensors = OrderedDict((native_to_original_name(k), v.detach().cpu().contiguous()) for k, v in net_state.items())
    data = save(tensors, metadata={"format": "pt", "epoch": str(info.get("epoch"))})
    weights = write_atomic(folder / WEIGHTS_FILE, lambda handle: handle.write(data))
    config = write_text_atomic(folder / CONFIG_FILE, json.dumps(info, indent=2) + "\n")
    return [weights, config]


def read_weights(path: str | Path) -> dict:
    """A ``model.safetensors`` and the ``config.json`` beside it -> ``{'net', 'config', 'epoch', 'config_name'}``
    (the shape :func:`lib.checkpoint.original.read_any_checkpoint` gives), names still the original's."""
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"weights file not found: {path}")
    try:
        net = load_file(str(path))
    except (SafetensorError, OSError) as exc:
        raise CheckpointError(f"{path} is not a readable safetensors file ({exc}); download it again") from None
    config_file = path.with_name(CONFIG_FILE)
    try:
        info = json.loads(config_file.read_text())
    except FileNotFoundError:
        raise CheckpointError(f"{path} has no {CONFIG_FILE} beside it: it says which network to build; download "
                              f"both files of the repo (or folder)") from None
    except (OSError, json.JSONDecodeError) as exc:
        raise CheckpointError(f"{config_file} cannot be read ({exc})") from None
    if not isinstance(info, dict) or not isinstance(info.get("config"), dict):
        raise CheckpointError(f"{config_file} is not a SeqTrack weights config (no 'config' mapping)")
    return {"net": net, "config": info["config"], "epoch": info.get("epoch"), "config_name": info.get("config_name"),
            "base_model": info.get("base_model")}
