"""The SeqTrack defaults tree, YAML and command-line overrides with checked keys and types.

``load_config(yaml_path, overrides)`` returns a fresh, read-only :class:`Config`; nothing here is a
module-level mutable config. Every key is declared below with a one-line comment; an override of a key
that is not declared is an error naming the closest declared key, and an override of the wrong type is
an error naming the expected type.
"""

from __future__ import annotations

import copy
import difflib
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import yaml


class ConfigError(ValueError):
    """A YAML file or override that does not fit the defaults tree."""


def _defaults() -> dict:
    """The defaults tree: SeqTrack-B256 values, every key with its meaning."""
    return {
        "MODEL": {
            "HIDDEN_DIM": 256,  # width of the bottleneck output, decoder and output head
            "BINS": 4000,  # coordinate bins; the vocabulary is BINS + 2 (END = BINS, START = BINS + 1)
            "FEATURE_TYPE": "x",  # decoder memory: 'x' = the search tokens only (the only type built)
            "INIT_CHECKPOINT": "",  # weights to start from (fine-tuning); empty = none
            "CPU_LINEAR": "onednn",  # fp32 CPU linear layers through 'onednn' (2x MKL on AMD CPUs) or 'aten'
            "ENCODER": {
                "TYPE": "vit_base_patch16",  # vit_base_patch16 | vit_large_patch16 | vit_small | vit_tiny | vit_mini
                "DROP_PATH": 0.0,  # stochastic depth rate of the ViT blocks
                "PRETRAIN_TYPE": "mae",  # kind of weights in PRETRAINED_PATH (MAE: a dict with key 'model')
                "PRETRAINED_PATH": "",  # local MAE checkpoint; empty = random init (a warning says so)
                "STRIDE": 16,  # kept for the original's YAMLs; must equal PATCH_SIZE
                "PATCH_SIZE": 16,  # ViT patch size (16; 8 doubles the grid)
                "USE_CHECKPOINT": False,  # activation checkpointing in the ViT blocks (saves memory)
            },
            "DECODER": {
                "NHEADS": 8,  # attention heads of the decoder
                "DROPOUT": 0.1,  # dropout in the decoder and its input embedding
                "DIM_FEEDFORWARD": 1024,  # hidden width of the decoder FFN
                "DEC_LAYERS": 2,  # decoder layers (the original's code default is 6; its B256 YAML says 2)
                "PRE_NORM": False,  # pre-norm decoder layers (the original trains post-norm)
            },
        },
        "TRAIN": {
            "LR": 0.0001,  # AdamW learning rate of the decoder and bridge
            "WEIGHT_DECAY": 0.0001,  # AdamW weight decay
            "EPOCH": 500,  # number of epochs
            "LR_DROP_EPOCH": 400,  # StepLR step size in epochs
            "BATCH_SIZE": 16,  # samples per batch per process
            "NUM_WORKER": 8,  # DataLoader worker processes per training process
            "OPTIMIZER": "ADAMW",  # only ADAMW is built
            "ENCODER_MULTIPLIER": 0.1,  # encoder learning rate = LR x this
            "FREEZE_ENCODER": False,  # do not train the encoder at all
            "ENCODER_OPEN": [],  # with FREEZE_ENCODER: encoder parameter-name fragments that still train
            "PRINT_INTERVAL": 50,  # kept for the original's YAMLs; logging follows LOG_INTERVAL_SAMPLES
            "LOG_INTERVAL_SAMPLES": 50,  # a log line every this many training samples
            "VAL_EPOCH_INTERVAL": 10,  # kept for the original's YAMLs (no validation set is built)
            "GRAD_CLIP_NORM": 0.1,  # gradient clipping max norm; 0 = no clipping
            "CE_WEIGHT": 1.0,  # weight of the cross-entropy loss
            "SEED": 42,  # base seed of the run
            "SEED_MODE": "epoch",  # 'epoch': seed of epoch e derived from (SEED, e); 'fixed': SEED every epoch
            "DETERMINISTIC": True,  # deterministic algorithms (cuDNN, cuBLAS) for exact reproducibility
            "AMP": False,  # bf16 autocast (CUDA only; ignored with a warning on the CPU)
            "COMPILE": False,  # torch.compile the network (first steps compile; CUDA mostly; needs a C++ compiler on CPU)
            "DEVICE": "auto",  # auto | cpu | cuda | cuda:N
            "RESUME_PATH": "",  # checkpoint to resume from; 'auto' = newest valid one of this run
            "CHECKPOINT_INTERVAL_SAMPLES": 0,  # also save mid-epoch every this many samples; 0 = epoch ends only
            "KEEP_CHECKPOINTS": 0,  # keep only the newest N epoch checkpoints; 0 = keep all
            "SCHEDULER": {
                "TYPE": "step",  # only 'step' (StepLR at LR_DROP_EPOCH) is built
                "DECAY_RATE": 0.1,  # StepLR gamma
            },
            "HF": {
                "REPO_ID": "",  # Hugging Face Hub model repo for the checkpoints ('user/name'); empty = no upload
                "PRIVATE": True,  # create the repo private when it does not exist
                "UPLOAD": True,  # upload when REPO_ID is set (False keeps a REPO_ID for downloads only)
                "UPLOAD_EVERY": 1,  # upload every N-th epoch's checkpoint (the last epoch always)
            },
        },
        "DATA": {
            "SAMPLER_MODE": "order",  # frame sampling mode; 'order' as in the original
            "MEAN": [0.485, 0.456, 0.406],  # image normalisation mean (RGB, after /255)
            "STD": [0.229, 0.224, 0.225],  # image normalisation std
            "MAX_SAMPLE_INTERVAL": 400,  # frames of a sample lie within +- this of the base frame
            "SEQ_FORMAT": "xywh",  # token order: 'xywh' = (cx, cy, w, h); 'xyxy' = (x1, y1, x2, y2)
            "IMAGE_LOADER": "opencv",  # opencv | jpeg4py (needs the system libturbojpeg)
            "MAX_DECODE_REDUCTION": 8,  # decode JPEGs at 1/2, 1/4 or 1/8 size (up to this) when the crop shrinks them as much; 1 = full size
            "TRAIN": {
                "DATASETS_NAME": ["LASOT"],  # training datasets (only LASOT is built)
                "DATASETS_RATIO": [1],  # sampling weight of each dataset
                "SAMPLE_PER_EPOCH": 60000,  # training samples per epoch (all processes together)
                "CLASSES": [],  # LaSOT classes to train on; empty = all 70
            },
            "VAL": {
                "DATASETS_NAME": ["LASOT"],  # kept for the original's YAMLs (no validation set is built)
                "DATASETS_RATIO": [1],  # kept for the original's YAMLs
                "SAMPLE_PER_EPOCH": 10000,  # kept for the original's YAMLs
            },
            "SEARCH": {
                "NUMBER": 1,  # search frames per sample
                "SIZE": 256,  # search crop side in pixels
                "FACTOR": 4.0,  # search crop side = ceil(sqrt(w * h) x this) frame pixels
                "CENTER_JITTER": 3.5,  # centre jitter of the search box
                "SCALE_JITTER": 0.5,  # scale jitter of the search box
            },
            "TEMPLATE": {
                "NUMBER": 2,  # template frames per sample
                "SIZE": 256,  # template crop side in pixels
                "FACTOR": 4.0,  # template crop side = ceil(sqrt(w * h) x this) frame pixels
                "CENTER_JITTER": 0.0,  # centre jitter of the template boxes
                "SCALE_JITTER": 0.0,  # scale jitter of the template boxes
            },
        },
        "TEST": {
            "TEMPLATE_FACTOR": 4.0,  # template crop factor at test time
            "TEMPLATE_SIZE": 256,  # template crop side at test time
            "SEARCH_FACTOR": 4.0,  # search crop factor at test time
            "SEARCH_SIZE": 256,  # search crop side at test time
            "EPOCH": 500,  # checkpoint epoch the tracker loads
            "WINDOW": True,  # Hanning window on the cx, cy token distributions
            "NUM_TEMPLATES": 2,  # templates the tracker keeps
            "UPDATE_INTERVALS": {  # frames between template updates, per benchmark
                "LASOT": [450],  # LaSOT
                "GOT10K_TEST": [200],  # GOT-10k test
                "TRACKINGNET": [25],  # TrackingNet
                "VOT20": [10],  # VOT2020
                "LASOT_EXTENSION_SUBSET": [450],  # LaSOT extension
                "TNL2K": [25],  # TNL2K
            },
            "UPDATE_THRESHOLD": {  # confidence above which the template is updated, per benchmark
                "LASOT": [0.6],  # LaSOT
                "GOT10K_TEST": [0.6],  # GOT-10k test
                "TRACKINGNET": [0.6],  # TrackingNet
                "VOT20": [0.6],  # VOT2020
                "LASOT_EXTENSION_SUBSET": [0.6],  # LaSOT extension
                "TNL2K": [0.6],  # TNL2K
            },
        },
    }


# Element types of lists that are empty by default.
_LIST_ITEM_TYPES = {"DATA.TRAIN.CLASSES": str, "TRAIN.ENCODER_OPEN": str}


class Config(Mapping):
    """A read-only tree of settings with attribute access (``cfg.TRAIN.LR``)."""

    def __init__(self, tree: Mapping[str, Any]):
        items = {k: Config(v) if isinstance(v, Mapping) else _freeze(v) for k, v in tree.items()}
        object.__setattr__(self, "_items", items)

    def __getattr__(self, key: str) -> Any:
        try:
            return self._items[key]
        except KeyError:
            raise AttributeError(f"config has no key {key!r}") from None

    def __setattr__(self, key: str, value: Any) -> None:
        raise AttributeError("Config is read-only; build a new one with load_config(..., overrides=...)")

    def __getitem__(self, key: str) -> Any:
        return self._items[key]

    def __iter__(self):
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __repr__(self) -> str:
        return f"Config({self.to_dict()!r})"

    def to_dict(self) -> dict:
        """A plain, mutable deep copy (lists, numbers, strings): safe to save in a checkpoint."""
        return {k: v.to_dict() if isinstance(v, Config) else _thaw(v) for k, v in self._items.items()}


def _freeze(value: Any) -> Any:
    return tuple(_freeze(v) for v in value) if isinstance(value, (list, tuple)) else value


def _thaw(value: Any) -> Any:
    return [_thaw(v) for v in value] if isinstance(value, tuple) else value


def default_config() -> Config:
    """The defaults tree as a :class:`Config`."""
    return Config(_defaults())


def _flatten(tree: Mapping, prefix: str = "") -> dict:
    flat = {}
    for key, value in tree.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping):
            flat.update(_flatten(value, name + "."))
        else:
            flat[name] = value
    return flat


def _closest(key: str, candidates: Iterable[str]) -> str:
    candidates = list(candidates)
    matches = difflib.get_close_matches(key, candidates, n=1, cutoff=0.5)
    if not matches:  # compare only the last part: 'TRAIN.LRR' vs 'TRAIN.LR'
        leaf = key.rsplit(".", 1)[-1]
        by_leaf = {c.rsplit(".", 1)[-1]: c for c in candidates}
        leaf_matches = difflib.get_close_matches(leaf, list(by_leaf), n=1, cutoff=0.5)
        matches = [by_leaf[m] for m in leaf_matches]
    return f"; did you mean '{matches[0]}'?" if matches else ""


def _check_scalar(value: Any, expected: type, key: str, where: str) -> Any:
    if expected is bool:
        if isinstance(value, bool):
            return value
    elif expected is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str):
            try:
                return int(value)
            except ValueError:
                pass
    elif expected is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, str):  # YAML 1.1 reads '1e-4' as a string
            try:
                return float(value)
            except ValueError:
                pass
    elif expected is str:
        if isinstance(value, str):
            return value
    raise ConfigError(
        f"{where}: key '{key}' expects {expected.__name__}, got {value!r} ({type(value).__name__})"
    )


def _check_value(value: Any, default: Any, key: str, where: str) -> Any:
    if isinstance(default, list):
        if not isinstance(value, list):
            raise ConfigError(f"{where}: key '{key}' expects a list, got {value!r} ({type(value).__name__})")
        item_type = _LIST_ITEM_TYPES.get(key) or (type(default[0]) if default else str)
        if item_type is int and any(isinstance(v, float) for v in default):
            item_type = float
        return [_check_scalar(v, item_type, f"{key}[{i}]", where) for i, v in enumerate(value)]
    return _check_scalar(value, type(default), key, where)


def _apply(tree: dict, updates: Mapping, where: str, prefix: str = "") -> None:
    """Merge ``updates`` into ``tree`` in place, checking every key and type."""
    flat_defaults = _flatten(tree)
    for key, value in updates.items():
        name = f"{prefix}{key}"
        if key not in tree:
            all_keys = list(flat_defaults) + [n for n in _section_names(tree)]
            raise ConfigError(f"{where}: unknown key '{name}'{_closest(name, [prefix + k for k in all_keys])}")
        if isinstance(tree[key], dict):
            if not isinstance(value, Mapping):
                raise ConfigError(f"{where}: key '{name}' is a section; expected a mapping, got {value!r}")
            _apply(tree[key], value, where, name + ".")
        else:
            tree[key] = _check_value(value, tree[key], name, where)


def _section_names(tree: Mapping, prefix: str = "") -> list:
    names = []
    for key, value in tree.items():
        if isinstance(value, Mapping):
            names.append(prefix + key)
            names.extend(_section_names(value, prefix + key + "."))
    return names


def _parse_overrides(overrides: Mapping | Sequence[str] | None) -> list:
    """``['TRAIN.LR', '1e-3', ...]`` or ``{'TRAIN.LR': 1e-3}`` -> ``[(dotted_key, value), ...]``."""
    if overrides is None:
        return []
    if isinstance(overrides, Mapping):
        return list(overrides.items())
    overrides = list(overrides)
    if len(overrides) % 2:
        raise ConfigError(f"--opts takes KEY VALUE pairs; got an odd number of items: {overrides}")
    pairs = []
    for key, text in zip(overrides[::2], overrides[1::2]):
        try:
            value = yaml.safe_load(text) if isinstance(text, str) else text
        except yaml.YAMLError as exc:
            raise ConfigError(f"--opts: value {text!r} of '{key}' is not valid YAML: {exc}") from None
        pairs.append((key, value))
    return pairs


def _nest(key: str, value: Any) -> dict:
    for part in reversed(key.split(".")):
        value = {part: value}
    return value


def _validate(tree: dict, where: str) -> None:
    """Checks across keys that a type check alone cannot make."""
    fmt = tree["DATA"]["SEQ_FORMAT"]
    if fmt not in ("xywh", "xyxy"):
        raise ConfigError(f"{where}: DATA.SEQ_FORMAT must be 'xywh' or 'xyxy', got {fmt!r}")
    if tree["TRAIN"]["SEED_MODE"] not in ("epoch", "fixed"):
        raise ConfigError(f"{where}: TRAIN.SEED_MODE must be 'epoch' or 'fixed', got {tree['TRAIN']['SEED_MODE']!r}")
    if tree["MODEL"]["CPU_LINEAR"] not in ("onednn", "aten"):
        raise ConfigError(f"{where}: MODEL.CPU_LINEAR must be 'onednn' or 'aten', got {tree['MODEL']['CPU_LINEAR']!r}")
    if tree["DATA"]["MAX_DECODE_REDUCTION"] not in (1, 2, 4, 8):
        raise ConfigError(f"{where}: DATA.MAX_DECODE_REDUCTION must be 1, 2, 4 or 8, got {tree['DATA']['MAX_DECODE_REDUCTION']!r}")
    if tree["DATA"]["IMAGE_LOADER"] not in ("opencv", "jpeg4py"):
        raise ConfigError(f"{where}: DATA.IMAGE_LOADER must be 'opencv' or 'jpeg4py'")
    train_data = tree["DATA"]["TRAIN"]
    if len(train_data["DATASETS_NAME"]) != len(train_data["DATASETS_RATIO"]):
        raise ConfigError(f"{where}: DATA.TRAIN.DATASETS_NAME and DATASETS_RATIO differ in length")
    unknown = [name for name in train_data["DATASETS_NAME"] if name != "LASOT"]
    if unknown:
        raise ConfigError(f"{where}: DATA.TRAIN.DATASETS_NAME {unknown} not available; only LASOT is built")
    encoder = tree["MODEL"]["ENCODER"]
    if encoder["STRIDE"] != encoder["PATCH_SIZE"]:
        raise ConfigError(f"{where}: MODEL.ENCODER.STRIDE ({encoder['STRIDE']}) must equal PATCH_SIZE ({encoder['PATCH_SIZE']})")
    for part in ("SEARCH", "TEMPLATE"):
        size = tree["DATA"][part]["SIZE"]
        if size % encoder["PATCH_SIZE"]:
            raise ConfigError(f"{where}: DATA.{part}.SIZE ({size}) must be a multiple of PATCH_SIZE ({encoder['PATCH_SIZE']})")
    for key in ("BATCH_SIZE", "EPOCH", "LOG_INTERVAL_SAMPLES"):
        if tree["TRAIN"][key] < 1:
            raise ConfigError(f"{where}: TRAIN.{key} must be at least 1, got {tree['TRAIN'][key]}")


def load_config(yaml_path: str | Path | None, overrides: Mapping | Sequence[str] | None = None) -> Config:
    """Defaults <- YAML file <- overrides, every key and type checked.

    ``overrides`` is either ``{'TRAIN.LR': 1e-3}`` or the command line's ``['TRAIN.LR', '1e-3', ...]``.
    Raises :class:`ConfigError` naming the file, the key and the closest valid key.
    """
    tree = _defaults()
    if yaml_path is not None:
        path = Path(yaml_path)
        if not path.is_file():
            raise ConfigError(f"config file not found: {path}")
        try:
            loaded = yaml.safe_load(path.read_text()) or {}
        except yaml.YAMLError as exc:
            raise ConfigError(f"{path}: not valid YAML: {exc}") from None
        if not isinstance(loaded, Mapping):
            raise ConfigError(f"{path}: expected a mapping of sections at the top, got {type(loaded).__name__}")
        _apply(tree, loaded, str(path))
    for key, value in _parse_overrides(overrides):
        _apply(tree, _nest(key, value), "--opts")
    _validate(tree, str(yaml_path) if yaml_path is not None else "config")
    return Config(copy.deepcopy(tree))


def config_from_dict(tree: Mapping, where: str = "checkpoint") -> Config:
    """Rebuild a :class:`Config` from :meth:`Config.to_dict` output, with the same checks as YAML."""
    merged = _defaults()
    _apply(merged, tree, where)
    _validate(merged, where)
    return Config(merged)


def experiments_dir() -> Path:
    """``experiments/seqtrack`` of this checkout."""
    return Path(__file__).resolve().parents[3] / "experiments" / "seqtrack"


def available_configs() -> list:
    return sorted(p.stem for p in experiments_dir().glob("*.yaml"))


def config_path(name: str) -> Path:
    """``experiments/seqtrack/<name>.yaml``; an unknown name is an error listing the available ones."""
    path = experiments_dir() / f"{name}.yaml"
    if not path.is_file():
        names = available_configs()
        hint = difflib.get_close_matches(name, names, n=1)
        did_you_mean = f" Did you mean '{hint[0]}'?" if hint else ""
        raise ConfigError(f"unknown config '{name}': no {path}.{did_you_mean} Available: {', '.join(names)}")
    return path
