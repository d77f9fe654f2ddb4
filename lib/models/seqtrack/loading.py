"""A SeqTrack network from a checkpoint file, of this project or of the original code: one way, one key check.

The config comes from the checkpoint when it stores one (ours do), else from ``experiments/seqtrack/<name>.yaml``
(the original's files store none). The encoder is never initialised from MAE weights here -- the checkpoint's
weights replace them -- so the MAE path is blanked and its file need not exist on the machine that loads.
The weights go through :func:`lib.checkpoint.original.native_weights`: the DDP ``module.`` prefix dropped,
the original's names mapped onto ours, every tensor checked against the network (missing, unexpected or
mis-shaped keys named), then loaded strictly.
"""

from __future__ import annotations

import contextlib
import copy
import dataclasses
import logging
from dataclasses import dataclass
from pathlib import Path

import torch

from lib.checkpoint.io import CheckpointError
from lib.checkpoint.original import native_weights, read_any_checkpoint
from lib.config.seqtrack.config import Config, config_from_dict, config_path, load_config
from lib.models.seqtrack.seqtrack import build_seqtrack

logger = logging.getLogger(__name__)

NO_PRETRAINED = {"MODEL.ENCODER.PRETRAINED_PATH": "", "MODEL.ENCODER.PRETRAIN_TYPE": "scratch"}


def network_config(stored: dict | None, config_name: str, where: str = "checkpoint") -> Config:
    """The config to build a checkpoint's network from: ``stored`` (its own) or the named YAML; MAE blanked."""
    if isinstance(stored, dict):
        tree = copy.deepcopy(stored)
        tree.setdefault("MODEL", {}).setdefault("ENCODER", {}).update(PRETRAINED_PATH="", PRETRAIN_TYPE="scratch")
        return config_from_dict(tree, where=f"{where} (stored config)")
    return load_config(config_path(config_name), NO_PRETRAINED)


@dataclass
class LoadedNetwork:
    """A network ready to track with, and where it came from."""

    net: torch.nn.Module
    cfg: Config  # the config the network was built from
    checkpoint: Path
    epoch: int | None  # the checkpoint's 'epoch' field (epochs completed)


@contextlib.contextmanager
def _quiet_logger(name: str):
    """Hold back INFO records of logger ``name`` (warnings still pass) inside the block."""
    target = logging.getLogger(name)
    previous = target.level
    target.setLevel(logging.WARNING)
    try:
        yield
    finally:
        target.setLevel(previous)


def load_network(checkpoint: str | Path, config_name: str, device: str | torch.device = "cpu") -> LoadedNetwork:
    """Build the network of a checkpoint's config and load its weights, in eval mode without gradients.

    Ours are read with ``weights_only``; the original SeqTrack code's through its safe reader, with the config
    ``config_name`` (they store none).
    """
    path = Path(checkpoint)
    if not path.is_file():
        raise CheckpointError(f"checkpoint not found: {path} (train first, or pass --checkpoint PATH / --epoch N "
                              f"/ --save_dir DIR)")
    state, layout = read_any_checkpoint(path)
    stored = state.get("config")
    if isinstance(stored, dict):
        logger.info("using the config stored in %s", path.name)
    else:
        logger.info("%s stores no config: using experiments/seqtrack/%s.yaml", path.name, config_name)
    cfg = network_config(stored, config_name, str(path))
    with _quiet_logger("lib.models.seqtrack.pretrained"):  # its 'random init' note is moot: weights follow
        net = build_seqtrack(cfg)
    net.load_state_dict(native_weights(state, layout, net, f"{path} (config {config_name})"), strict=True)
    net.to(device).eval().requires_grad_(False)
    epoch = state.get("epoch")
    logger.info("loaded the network weights of %s (epoch %s)", path, epoch)
    return LoadedNetwork(net, cfg, path, int(epoch) if isinstance(epoch, int) else None)


def load_pretrained(name: str | Path, revision: str | None = None, device: str | torch.device = "cpu",
                    config_name: str = "seqtrack_b256") -> torch.nn.Module:
    """A trained SeqTrack, ready to track with (eval mode, no gradients), from wherever a checkpoint lives.

    ``name``: a Hub model repo (``"user/seqtrack-b256"`` or ``"hf://user/seqtrack-b256"``: its latest
    ``model.safetensors`` and ``config.json``; ``revision`` = a branch, tag or commit), an ``hf://`` file, or a
    local file (``model.safetensors`` with its ``config.json``, a ``SEQTRACK_ep*.pth.tar`` of this project or of
    the original code; ``config_name`` only for the original's files, which store no config). Downloads go to
    the Hugging Face cache and are reused offline (``HF_HUB_OFFLINE=1``). For the tracker::

        from lib.models.seqtrack import load_pretrained
        from lib.test.tracker.seqtrack import SeqTrackTracker
        net = load_pretrained("user/seqtrack-b256")
        tracker = SeqTrackTracker(net, net.cfg)  # net.cfg: the config it was built from
    """
    from lib.checkpoint.io import local_checkpoint
    from lib.hub.client import HF_SCHEME, parse_hub_path

    text = str(name)
    if not text.startswith(HF_SCHEME) and not Path(text).exists() and text.count("/") == 1:
        text = HF_SCHEME + text  # 'user/repo': a Hub repo id
    if revision is not None:
        if not text.startswith(HF_SCHEME):
            raise CheckpointError(f"a revision ({revision}) names a version of a Hub repo; {name} is a local file")
        text = str(dataclasses.replace(parse_hub_path(text, allow_repo=True), revision=revision))
    loaded = load_network(local_checkpoint(text), config_name, device)
    loaded.net.cfg = loaded.cfg  # the config it was built from, for the tracker: SeqTrackTracker(net, net.cfg)
    return loaded.net
