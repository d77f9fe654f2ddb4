"""Loading MAE-pretrained ViT weights into the SeqTrack encoder, with the position grid resized to the crops.

``MODEL.ENCODER.PRETRAINED_PATH`` is a local file -- the original's ``mae_pretrain_vit_base.pth`` (a dict with
key ``model``) or a safetensors file of timm's names -- or a Hub reference, ``hf://timm/vit_base_patch16_224.mae``
(its ``model.safetensors``; ``@revision`` after the repo name pins a version), downloaded once into the Hugging
Face cache and read from there afterwards, also offline (``HF_HUB_OFFLINE=1``). Both hold timm's parameter
names, a 14 x 14 position grid and a class position; the class token and position are dropped and the grid
resized to the crops. ``''`` starts the encoder from random weights, on purpose.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from pathlib import Path

import torch
import torch.nn.functional as F

from lib.checkpoint.io import CheckpointError, load_reason, weights_only_load
from lib.checkpoint.original import check_tensors, expected_shapes
from lib.models.seqtrack.errors import ModelConfigError
from lib.models.seqtrack.vit import VisionTransformer

logger = logging.getLogger(__name__)

# Entries of an MAE checkpoint that the tracker's encoder has no place for: the class token, the MAE
# decoder (present in the full "visualize" checkpoints) and classification heads of fine-tuned ones.
_IGNORED_PREFIXES = ("cls_token", "mask_token", "decoder_", "head.", "fc_norm.")


def resize_pos_grid(pos_embed: torch.Tensor, grid: tuple[int, int]) -> torch.Tensor:
    """Square position grid ``(1, N, C)`` (no class token) -> ``(1, grid_h * grid_w, C)``, bicubic."""
    side = math.isqrt(pos_embed.shape[1])
    if side * side != pos_embed.shape[1]:
        raise ValueError(f"position embedding of {pos_embed.shape[1]} tokens is not a square grid")
    channels = pos_embed.shape[-1]
    # (1, N, C) -> (1, C, side, side) -> (1, C, gh, gw) -> (1, gh*gw, C)
    image = pos_embed.float().reshape(1, side, side, channels).permute(0, 3, 1, 2)
    resized = F.interpolate(image, size=grid, mode="bicubic", align_corners=False)
    return resized.flatten(2).transpose(1, 2)


def _drop_class_position(pos_embed: torch.Tensor) -> torch.Tensor:
    """MAE's ``(1, 1 + side^2, C)`` -> ``(1, side^2, C)``; a grid without class position is returned as is."""
    count = pos_embed.shape[1]
    if math.isqrt(count) ** 2 == count:
        return pos_embed
    if math.isqrt(count - 1) ** 2 == count - 1:
        return pos_embed[:, 1:]
    raise ValueError(f"pos_embed of {count} tokens is neither a square grid nor a square grid plus a class token")


def adapt_mae_state(mae_state: Mapping[str, torch.Tensor], body: VisionTransformer) -> dict:
    """MAE encoder tensors -> the tracker ViT's state_dict: ignorable entries dropped, positions resized.

    ``pos_embed`` becomes the search grid's positions followed by the template grid's, each resized
    bicubically from the pretraining grid (14 x 14 for 224-px MAE).
    """
    state, ignored = {}, []
    for key, value in mae_state.items():
        if key.startswith(_IGNORED_PREFIXES):
            ignored.append(key)
        else:
            state[key] = value
    if ignored:
        logger.info("MAE weights: ignoring %d entries the tracker has no use for (%s ...)", len(ignored), ignored[0])
    if "pos_embed" in state:
        grid = _drop_class_position(state["pos_embed"])
        state["pos_embed"] = torch.cat(
            [resize_pos_grid(grid, body.search_grid), resize_pos_grid(grid, body.template_grid)], dim=1)
    return state


def _check_keys(state: Mapping[str, torch.Tensor], body: VisionTransformer, path: Path) -> None:
    """Every encoder tensor must be in ``state`` with its shape, and nothing else may be."""
    source = f"{path} (MAE weights for {type(body).__name__}, dim {body.embed_dim}, patch {body.patch_size})"
    try:
        check_tensors(state, expected_shapes(body), source)
    except CheckpointError as exc:
        raise ModelConfigError(str(exc)) from None


MAE_WEIGHTS_FILE = "model.safetensors"  # the file of a Hub reference without one (timm's repos)
MAE_LICENSE = "cc-by-nc-4.0"  # of the MAE weights (Meta's release, and timm's copies on the Hub)


class PretrainedWeightsError(ModelConfigError):
    """The MAE weights a config names cannot be had (not downloadable, not cached, not a file)."""


def hub_reference(path: str) -> str | None:
    """``'timm/vit_base_patch16_224.mae'`` for ``hf://timm/vit_base_patch16_224.mae[@rev][/file]``, else None."""
    from lib.hub.client import is_hub_path, parse_hub_path

    return parse_hub_path(path, allow_repo=True).repo_id if is_hub_path(path) else None


def resolve_mae_weights(path: str) -> Path:
    """The local file of ``MODEL.ENCODER.PRETRAINED_PATH`` (non-empty): the file itself, or a Hub reference
    downloaded into (or found in) the Hugging Face cache. A reference that cannot be had is a
    :class:`PretrainedWeightsError` naming it, the cache and the two ways out."""
    from dataclasses import replace

    from lib.hub.client import HubError, cache_dir, download, is_hub_path, parse_hub_path

    if not is_hub_path(path):
        file = Path(path).expanduser()
        if not file.is_file():
            raise PretrainedWeightsError(f"MAE weights not found at {file}; set MODEL.ENCODER.PRETRAINED_PATH to a "
                                         f"local copy of mae_pretrain_vit_base.pth (or _large), to a Hub reference "
                                         f"such as hf://timm/vit_base_patch16_224.mae, or to '' for random init")
        return file
    try:
        reference = parse_hub_path(path, allow_repo=True)
        if not reference.filename:
            reference = replace(reference, filename=MAE_WEIGHTS_FILE)
        return download(reference)
    except HubError as exc:
        raise PretrainedWeightsError(
            f"cannot get the MAE weights {path} ({exc}). Once downloaded they are kept in the Hugging Face cache "
            f"{cache_dir()} and used from there, also offline (HF_HUB_OFFLINE=1). Either set "
            f"MODEL.ENCODER.PRETRAINED_PATH to a local copy (mae_pretrain_vit_base.pth, or a timm model.safetensors), "
            f"or to '' to start the encoder from random weights on purpose") from None


def read_mae_state(path: Path) -> Mapping[str, torch.Tensor]:
    """The tensors of an MAE checkpoint: a safetensors file, or a torch file (a dict with key ``model``, or a
    bare state_dict).

    Torch files are loaded with ``weights_only=True``: a file that asks to build anything but tensors is refused,
    never run; safetensors files hold nothing but tensors.
    """
    if str(path).endswith(".safetensors"):
        from safetensors import SafetensorError
        from safetensors.torch import load_file

        try:
            return load_file(str(path))
        except (SafetensorError, OSError) as exc:
            raise ModelConfigError(f"MODEL.ENCODER.PRETRAINED_PATH {path} is not a readable safetensors file "
                                   f"({exc}); download it again") from None
    try:
        checkpoint = weights_only_load(path)
    except Exception as exc:  # torch raises several types for foreign, truncated or unsafe files
        raise ModelConfigError(f"MODEL.ENCODER.PRETRAINED_PATH {path} cannot be used as MAE weights, it is not a "
                               f"checkpoint of tensors ({load_reason(exc)}); set it to a copy of "
                               f"mae_pretrain_vit_base.pth (or _large), or to '' for random init") from None
    state = checkpoint.get("model", checkpoint) if isinstance(checkpoint, Mapping) else None
    if not isinstance(state, Mapping) or not all(isinstance(v, torch.Tensor) for v in state.values()):
        raise ModelConfigError(f"{path} is not an MAE checkpoint: expected a dict with key 'model' holding tensors")
    return state


def load_pretrained_encoder(body: VisionTransformer, path: str, pretrain_type: str = "mae") -> None:
    """Load ``MODEL.ENCODER.PRETRAINED_PATH`` into ``body``; empty path -> keep random init, with a warning."""
    if pretrain_type == "scratch":
        logger.info("MODEL.ENCODER.PRETRAIN_TYPE is 'scratch': the encoder starts from random init")
        return
    if not path:
        logger.warning("MODEL.ENCODER.PRETRAINED_PATH is '': the encoder starts from RANDOM init, not MAE weights "
                       "(the paper's configs start from hf://timm/vit_base_patch16_224.mae, or _large)")
        return
    if pretrain_type != "mae":
        raise ModelConfigError(f"MODEL.ENCODER.PRETRAIN_TYPE {pretrain_type!r} is not supported; use 'mae' or "
                               f"'scratch'")
    file = resolve_mae_weights(path)
    state = adapt_mae_state(read_mae_state(file), body)
    _check_keys(state, body, file)
    body.load_state_dict(state, strict=True)
    logger.info("loaded MAE encoder weights from %s (%d tensors; positions resized to search %s and template %s)",
                path if str(path) != str(file) else file, len(state), body.search_grid, body.template_grid)
