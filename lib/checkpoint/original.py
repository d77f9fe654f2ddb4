"""Checkpoints of the original SeqTrack code: read them safely, map their parameter names onto ours, write them.

The original's files (``SEQTRACK_ep0500.pth.tar`` ...) are ``torch.save``d dicts with ``epoch``, ``actor_type``,
``net_type`` ('SEQTRACK'), ``net`` (the state_dict), ``net_info``, ``constructor``, ``optimizer``, ``stats`` and
``settings``; the last three hold pickled objects of the original code's classes. They are read through
:mod:`lib.checkpoint.safe_unpickle` (tensors and plain containers only, other classes as inert placeholders, anything
that could run code refused) and only ``net`` and ``epoch`` are used. A file in this project's own format
(``format_version``) is read by :func:`lib.checkpoint.io.load_checkpoint` as always.

Names: our module tree mirrors the original's, so today the mapping is the identity (SeqTrack-B256's 200
tensors have the same names and shapes, see ``tests/fixtures/seqtrack_b256_state_dict.txt``). A rename on our
side goes into ``_RENAMES`` and nowhere else; the conversions check that every tensor is used exactly once
with the shape the network expects, and name every missing, unexpected or mis-shaped key.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import torch

from lib.checkpoint import safe_unpickle
from lib.checkpoint.io import FORMAT_VERSION, NET_TYPE, CheckpointError, load_checkpoint, load_reason
from lib.checkpoint.weights_files import is_weights_file, read_weights

logger = logging.getLogger(__name__)

ORIGINAL_NET_TYPE = "SEQTRACK"  # type(net).__name__ of the original's network class
ORIGINAL_ACTOR_TYPE = "SeqTrackActor"  # type(actor).__name__ in the original; its loader ignores it
LAYOUT_NATIVE = "native"
LAYOUT_ORIGINAL = "original"
LAYOUT_WEIGHTS = "safetensors"  # model.safetensors + config.json (lib/checkpoint/weights_files.py)
WEIGHTS_ONLY_KEY = "weights_only"  # set in native files that hold no optimizer state: not resumable

# (prefix in the original's names, prefix in ours), applied to the start of a name, first match wins.
# Empty while our modules carry the original's names.
_RENAMES: tuple = ()
_LISTED = 6  # keys named per kind of problem in an error message


class RefusedCheckpointError(CheckpointError):
    """A checkpoint whose pickle asks for something that could run code: refused, none of it ran."""


# ---------------------------------------------------------------------------------------------- names
def _rename(name: str, pairs) -> str:
    for old, new in pairs:
        if name.startswith(old):
            return new + name[len(old):]
    return name


def original_to_native_name(name: str) -> str:
    """The name our network gives the original's parameter ``name``."""
    return _rename(name, _RENAMES)


def native_to_original_name(name: str) -> str:
    """The name the original gives our parameter ``name`` (the inverse of :func:`original_to_native_name`)."""
    return _rename(name, [(new, old) for old, new in _RENAMES])


def _listing(what: str, keys: list) -> str:
    shown = ", ".join(keys[:_LISTED]) + (" ..." if len(keys) > _LISTED else "")
    return f"{what} ({len(keys)}): {shown}"


def _renamed(state_dict: Mapping, rename: Callable[[str], str], source: str) -> tuple:
    """``(renamed OrderedDict, {new name: old name})``; two names landing on one is an error naming both."""
    renamed, origin, clashes = OrderedDict(), {}, []
    for name, value in state_dict.items():
        new = rename(name)
        if new in renamed:
            clashes.append(f"{origin[new]} and {name} -> {new}")
        renamed[new], origin[new] = value, name
    if clashes:
        raise CheckpointError(f"{source}: two tensors map onto one name: {'; '.join(clashes)}")
    return renamed, origin


def check_tensors(state_dict: Mapping, expected: Mapping, source: str, shown_name: Callable = str) -> None:
    """Raise a CheckpointError unless ``state_dict`` holds exactly the tensors ``expected`` lists (name -> shape).

    ``shown_name`` turns a name into the one the message shows (the file's own naming).
    """
    missing = [shown_name(k) for k in expected if k not in state_dict]
    unexpected = [shown_name(k) for k in state_dict if k not in expected]
    not_tensors = [shown_name(k) for k, v in state_dict.items() if k in expected and not isinstance(v, torch.Tensor)]
    reshaped = [f"{shown_name(k)} {tuple(v.shape)} vs {tuple(expected[k])}" for k, v in state_dict.items()
                if k in expected and isinstance(v, torch.Tensor) and tuple(v.shape) != tuple(expected[k])]
    problems = [_listing(what, keys) for what, keys in (
        ("missing keys", missing), ("unexpected keys", unexpected), ("values that are not tensors", not_tensors),
        ("shape mismatches (checkpoint vs network)", reshaped)) if keys]
    if problems:
        raise CheckpointError(f"{source} does not fit the network: " + "; ".join(problems))


def _without_ddp_prefix(state_dict: Mapping) -> Mapping:
    if state_dict and all(str(k).startswith("module.") for k in state_dict):  # saved from a DDP wrapper
        return OrderedDict((k[len("module."):], v) for k, v in state_dict.items())
    return state_dict


def original_to_native(state_dict: Mapping, expected: Mapping, source: str = "checkpoint") -> OrderedDict:
    """The original's ``net`` state_dict under our names, checked against ``expected`` (our name -> shape)."""
    renamed, origin = _renamed(_without_ddp_prefix(state_dict), original_to_native_name, source)
    check_tensors(renamed, expected, source, lambda k: origin.get(k, native_to_original_name(k)))
    return renamed


def native_to_original(state_dict: Mapping, expected: Mapping, source: str = "checkpoint") -> OrderedDict:
    """Our state_dict (checked against ``expected``, our name -> shape) under the original's names."""
    state_dict = _without_ddp_prefix(state_dict)
    check_tensors(state_dict, expected, source)
    renamed, _ = _renamed(state_dict, native_to_original_name, source)
    return renamed


def expected_shapes(net: torch.nn.Module) -> OrderedDict:
    """Our network's state_dict names and shapes (works on a ``meta``-device network too)."""
    return OrderedDict((k, tuple(v.shape)) for k, v in net.state_dict().items())


# -------------------------------------------------------------------------------------------- reading
def safe_torch_load(path: str | Path):
    """``torch.load`` onto the CPU through :mod:`lib.checkpoint.safe_unpickle`: no code of the file runs.

    Raises ``safe_unpickle.RefusedPickleError`` for a file that asks for anything that could run code.
    """
    # weights_only=False is what lets torch take a pickle_module; the unpickling is safe_unpickle's.
    return torch.load(path, map_location="cpu", pickle_module=safe_unpickle, weights_only=False)


def is_original_layout(state) -> bool:
    """A dict with ``net`` and net_type 'SEQTRACK' but no ``format_version``: the original code's checkpoint."""
    return (isinstance(state, Mapping) and isinstance(state.get("net"), Mapping)
            and state.get("net_type") == ORIGINAL_NET_TYPE and "format_version" not in state)


def read_original_checkpoint(path: str | Path) -> dict:
    """``{'net', 'epoch', 'net_type', 'actor_type', 'ignored'}`` of an original-format file, read safely."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint not found: {path}")
    try:
        state = safe_torch_load(path)
    except safe_unpickle.RefusedPickleError as exc:
        raise RefusedCheckpointError(f"refusing to load {path}: {exc}") from None
    except Exception as exc:  # torch raises several types for truncated or foreign files
        raise CheckpointError(f"checkpoint {path} is truncated, corrupted or not a checkpoint "
                              f"({load_reason(exc)})") from exc
    if not is_original_layout(state):
        raise CheckpointError(f"{path} is not a checkpoint of the original SeqTrack code (expected a dict with "
                              f"'net' and net_type '{ORIGINAL_NET_TYPE}', without 'format_version')")
    epoch = state.get("epoch")
    return {"net": state["net"], "epoch": epoch if isinstance(epoch, int) else None,
            "net_type": state["net_type"], "actor_type": state.get("actor_type"),
            "ignored": sorted(str(k) for k in state if k not in ("net", "epoch", "net_type", "actor_type"))}


def read_any_checkpoint(path: str | Path) -> tuple:
    """``(state, layout)``: inference weights (``*.safetensors`` + ``config.json``), our format through
    ``load_checkpoint``, else the original's through the safe reader.

    For the original's layout, ``state`` is :func:`read_original_checkpoint`'s (names still the original's).
    """
    path = Path(path)
    if is_weights_file(path):
        return read_weights(path), LAYOUT_WEIGHTS
    try:
        return load_checkpoint(path), LAYOUT_NATIVE
    except CheckpointError as native_error:
        if not path.is_file():
            raise
        try:
            state = read_original_checkpoint(path)
        except RefusedCheckpointError:
            raise
        except CheckpointError:
            raise native_error from None  # neither format: this project's own message
    logger.info("%s is a checkpoint of the original SeqTrack code (epoch %s); using its 'net' only (ignoring %s)",
                path.name, state["epoch"], ", ".join(state["ignored"]) or "nothing")
    return state, LAYOUT_ORIGINAL


@dataclass(frozen=True)
class LoadedWeights:
    """What :func:`load_weights_into` loaded."""

    path: Path
    layout: str  # LAYOUT_NATIVE or LAYOUT_ORIGINAL
    epoch: int | None  # the file's 'epoch' (epochs completed)


def native_weights(state: dict, layout: str, net: torch.nn.Module, source: str) -> OrderedDict:
    """The state_dict of a :func:`read_any_checkpoint` result under our names, checked against ``net``."""
    if layout in (LAYOUT_ORIGINAL, LAYOUT_WEIGHTS):  # both under the original's names
        return original_to_native(state["net"], expected_shapes(net), source)
    weights = _without_ddp_prefix(state["net"])
    check_tensors(weights, expected_shapes(net), source)
    return OrderedDict(weights)


def load_weights_into(net: torch.nn.Module, path: str | Path) -> LoadedWeights:
    """Load the weights of a checkpoint of either layout into ``net`` in place (parameters keep their identity)."""
    path = Path(path)
    state, layout = read_any_checkpoint(path)
    net.load_state_dict(native_weights(state, layout, net, str(path)), strict=True)
    epoch = state.get("epoch")
    return LoadedWeights(path, layout, epoch if isinstance(epoch, int) else None)


# -------------------------------------------------------------------------------------------- writing
def original_checkpoint_state(original_net: Mapping, epoch: int | None) -> dict:
    """A dict in the original's layout: ``net`` (the original's names), ``epoch``, ``net_type`` and ``actor_type``.

    ``net_info`` and ``constructor`` are None as the original writes them for SeqTrack; there is no optimizer,
    ``stats`` or ``settings``, which the original's ``load_checkpoint`` then leaves at their defaults.
    """
    return {"epoch": int(epoch or 0), "actor_type": ORIGINAL_ACTOR_TYPE, "net_type": ORIGINAL_NET_TYPE,
            "net": OrderedDict(original_net), "net_info": None, "constructor": None}


def weights_only_native_state(native_net: Mapping, epoch: int | None, config: dict, converted_from: str) -> dict:
    """Our format holding weights only (``weights_only: True``): tracking and ``--init`` take it, resume refuses it."""
    return {"format_version": FORMAT_VERSION, "net_type": NET_TYPE, "epoch": int(epoch or 0),
            "net": OrderedDict(native_net), "config": config, WEIGHTS_ONLY_KEY: True,
            "converted_from": converted_from}


def is_original_checkpoint_file(path: str | Path) -> bool:
    """Whether ``path`` reads (safely) as a checkpoint of the original SeqTrack code; for error messages."""
    try:
        read_original_checkpoint(path)
    except CheckpointError:
        return False
    return True
