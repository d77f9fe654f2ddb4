"""The SeqTrack defaults tree, YAML and command-line overrides with checked keys, types and ranges.

``load_config(yaml_path, overrides)`` returns a fresh, read-only :class:`Config`; nothing here is a
module-level mutable config. Every key is declared below with a one-line comment, and a constrained key
as ``Key(default, ...)`` with its range or choices (``checks.py``); an override of a key that is not
declared is an error naming the closest declared key, and a value of the wrong type or out of its range
is an error saying what the key accepts.
"""

from __future__ import annotations

import copy
import difflib
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from lib.config.seqtrack.checks import ConfigError, Key, check_value

__all__ = ["Config", "ConfigError", "Key", "architecture_keys", "available_configs", "bookkeeping_keys",
           "config_from_dict", "config_path", "default_config", "experiments_dir", "key_specs", "load_config"]

POSITIVE = {"gt": 0}
NON_NEGATIVE = {"min": 0}
AT_LEAST_ONE = {"min": 1}
PROBABILITY = {"min": 0, "max": 1}
ENCODER_TYPES = ("vit_base_patch16", "vit_large_patch16", "vit_small", "vit_tiny", "vit_mini")  # lib/models/seqtrack/vit.py
# The training datasets, under the original's DATASETS_NAME names (lib/train/data/builder.py builds them);
# IMAGENET1K is accepted by the original's names but has no boxes: it is refused with the reason.
DATASET_NAMES = ("LASOT", "GOT10K_vottrain", "GOT10K_votval", "GOT10K_train_full", "COCO17", "VID", "TRACKINGNET",
                 "FOLDER", "IMAGENET1K")
SEED_MAX = 2**63 - 1  # torch.manual_seed takes 64 bits; the per-worker seeds are taken modulo 2**63


def _declared() -> dict:
    """The defaults tree: SeqTrack-B256 values, every key with its meaning, constrained keys as ``Key``."""
    return {
        "MODEL": {
            "HIDDEN_DIM": Key(256, **AT_LEAST_ONE, architecture=True),  # width of the bottleneck output, decoder and output head
            "BINS": Key(4000, min=2, architecture=True),  # coordinate bins; the vocabulary is BINS + 2 (END = BINS, START = BINS + 1)
            "FEATURE_TYPE": Key("x", choices=("x",), architecture=True),  # decoder memory: 'x' = the search tokens only (the only type built)
            "INIT_CHECKPOINT": "",  # weights to start from (fine-tuning); empty = none
            "CPU_LINEAR": Key("onednn", choices=("onednn", "aten")),  # fp32 CPU linear layers through 'onednn' (2x MKL on AMD CPUs) or 'aten'
            "ENCODER": {
                "TYPE": Key("vit_base_patch16", choices=ENCODER_TYPES, architecture=True),  # vit_base_patch16 | vit_large_patch16 | vit_small | vit_tiny | vit_mini
                "DROP_PATH": Key(0.0, min=0, max=0.99),  # stochastic depth rate of the ViT blocks
                "PRETRAIN_TYPE": Key("mae", choices=("mae", "scratch")),  # kind of weights in PRETRAINED_PATH: 'mae', or 'scratch' (random init, no note)
                "PRETRAINED_PATH": "",  # MAE weights: hf://timm/vit_base_patch16_224.mae (the paper's YAMLs; downloaded once), a local .pth / .safetensors, or '' = random init
                "STRIDE": Key(16, **AT_LEAST_ONE, architecture=True),  # kept for the original's YAMLs; must equal PATCH_SIZE
                "PATCH_SIZE": Key(16, **AT_LEAST_ONE, architecture=True),  # ViT patch size (16; 8 doubles the grid)
                "USE_CHECKPOINT": False,  # activation checkpointing in the ViT blocks (saves memory)
            },
            "DECODER": {
                "NHEADS": Key(8, **AT_LEAST_ONE, architecture=True),  # attention heads of the decoder
                "DROPOUT": Key(0.1, min=0, max=0.99),  # dropout in the decoder and its input embedding
                "DIM_FEEDFORWARD": Key(1024, **AT_LEAST_ONE, architecture=True),  # hidden width of the decoder FFN
                "DEC_LAYERS": Key(2, **AT_LEAST_ONE, architecture=True),  # decoder layers (the original's code default is 6; its B256 YAML says 2)
                "PRE_NORM": Key(False, architecture=True),  # pre-norm decoder layers (the original trains post-norm)
            },
        },
        "TRAIN": {
            "LR": Key(0.0001, **POSITIVE),  # AdamW learning rate of the decoder and bridge
            "WEIGHT_DECAY": Key(0.0001, **NON_NEGATIVE),  # AdamW weight decay
            "EPOCH": Key(500, **AT_LEAST_ONE, bookkeeping=True),  # number of epochs
            "LR_DROP_EPOCH": Key(400, **AT_LEAST_ONE),  # StepLR step size in epochs
            "BATCH_SIZE": Key(16, **AT_LEAST_ONE),  # samples per batch per process (per micro-batch with ACCUM_STEPS)
            "ACCUM_STEPS": Key(1, **AT_LEAST_ONE),  # micro-batches of BATCH_SIZE whose gradients make one optimizer step (effective batch = BATCH_SIZE x processes x this)
            "NUM_WORKER": Key(8, **NON_NEGATIVE, bookkeeping=True),  # DataLoader worker processes per training process
            "OPTIMIZER": Key("ADAMW", choices=("ADAMW",)),  # only ADAMW is built
            "ENCODER_MULTIPLIER": Key(0.1, **NON_NEGATIVE),  # encoder learning rate = LR x this
            "FREEZE_ENCODER": False,  # do not train the encoder at all
            "ENCODER_OPEN": [],  # with FREEZE_ENCODER: encoder parameter-name fragments that still train
            "PRINT_INTERVAL": Key(50, **AT_LEAST_ONE, bookkeeping=True),  # kept for the original's YAMLs; logging follows LOG_INTERVAL_SAMPLES
            "LOG_INTERVAL_SAMPLES": Key(50, **AT_LEAST_ONE, bookkeeping=True),  # a log line every this many training samples
            "VAL_EPOCH_INTERVAL": Key(10, **AT_LEAST_ONE),  # kept for the original's YAMLs (no validation set is built)
            "GRAD_CLIP_NORM": Key(0.1, **NON_NEGATIVE),  # gradient clipping max norm; 0 = no clipping
            "CE_WEIGHT": Key(1.0, **POSITIVE),  # weight of the cross-entropy loss
            "SEED": Key(42, min=0, max=SEED_MAX),  # base seed of the run
            "SEED_MODE": Key("epoch", choices=("epoch", "fixed")),  # 'epoch': seed of epoch e derived from (SEED, e); 'fixed': SEED every epoch
            "DETERMINISTIC": True,  # deterministic algorithms (cuDNN, cuBLAS) for exact reproducibility
            "AMP": False,  # bf16 autocast: on CUDA, and on CPUs with native bf16 (AVX512-BF16, AMX, Arm BF16); fp32 with a warning elsewhere
            "COMPILE": False,  # torch.compile the network (first steps compile; CUDA mostly; needs a C++ compiler on CPU)
            "DEVICE": Key("auto", pattern=r"auto|cpu|cuda(:\d+)?", pattern_text="auto, cpu, cuda or cuda:N"),  # auto | cpu | cuda | cuda:N
            "RESUME_PATH": Key("", bookkeeping=True),  # checkpoint to resume from; 'auto' = newest valid one of this run
            "CHECKPOINT_INTERVAL_SAMPLES": Key(0, **NON_NEGATIVE, bookkeeping=True),  # also save mid-epoch every this many samples; 0 = epoch ends only
            "KEEP_CHECKPOINTS": Key(0, **NON_NEGATIVE, bookkeeping=True),  # keep only the newest N epoch checkpoints; 0 = keep all
            "SCHEDULER": {
                "TYPE": Key("step", choices=("step",)),  # only 'step' (StepLR at LR_DROP_EPOCH) is built
                "DECAY_RATE": Key(0.1, **POSITIVE),  # StepLR gamma
            },
            "HF": {
                "REPO_ID": Key("", bookkeeping=True),  # Hugging Face Hub model repo for the checkpoints ('user/name'); empty = no upload
                "PRIVATE": Key(True, bookkeeping=True),  # create the repo private when it does not exist
                "UPLOAD": Key(True, bookkeeping=True),  # upload when REPO_ID is set (False keeps a REPO_ID for downloads only)
                "STRATEGY": Key("full", choices=("full", "latest_full", "weights"), bookkeeping=True),  # training states pushed: 'full' every epoch's, 'latest_full' the latest only, 'weights' none (inference weights are pushed every epoch in all three)
                "UPLOAD_EVERY": Key(1, **AT_LEAST_ONE, bookkeeping=True),  # upload every N-th epoch's checkpoint (the last epoch always)
            },
        },
        "DATA": {
            "SAMPLER_MODE": Key("order", choices=("order",)),  # frame sampling mode; 'order' as in the original
            "MEAN": Key([0.485, 0.456, 0.406], min=0, max=1, length=3),  # image normalisation mean (RGB, after /255)
            "STD": Key([0.229, 0.224, 0.225], **POSITIVE, length=3),  # image normalisation std
            "MAX_SAMPLE_INTERVAL": Key(400, **AT_LEAST_ONE),  # frames of a sample lie within +- this of the base frame
            "SEQ_FORMAT": Key("xywh", choices=("xywh", "xyxy"), architecture=True),  # token order: 'xywh' = (cx, cy, w, h); 'xyxy' = (x1, y1, x2, y2)
            "IMAGE_LOADER": Key("opencv", choices=("opencv", "jpeg4py")),  # opencv | jpeg4py (needs the system libturbojpeg)
            "BAD_FRAMES": Key("stop", choices=("stop", "skip")),  # a frame that cannot be decoded: 'stop' training naming it, or 'skip' (redraw the sample, report the frame)
            "MAX_DECODE_REDUCTION": Key(8, choices=(1, 2, 4, 8)),  # decode JPEGs at 1/2, 1/4 or 1/8 size (up to this) when the crop shrinks them as much; 1 = full size
            "TRAIN": {
                "DATASETS_NAME": Key(["LASOT"], choices=DATASET_NAMES, unique=True),  # training datasets: LASOT, GOT10K_vottrain, GOT10K_votval, GOT10K_train_full, COCO17, VID, TRACKINGNET, FOLDER (your own videos)
                "DATASETS_RATIO": Key([1], **NON_NEGATIVE),  # sampling weight of each dataset (the dataset of each sample is drawn with these weights)
                "SAMPLE_PER_EPOCH": Key(60000, **AT_LEAST_ONE),  # training samples per epoch (all processes together)
                "CLASSES": Key([], unique=True),  # LaSOT classes to train on; empty = all 70
                "GOT10K_SPLIT_FILE": "",  # a file of GOT-10k list.txt indices (one per line) replacing the official split of every GOT10K_* entry, for a partial copy; empty = the official splits
                "CLASSES_ONLY": True,  # with CLASSES set: train on those LaSOT classes alone (DATASETS_NAME's other datasets unused); False mixes them in
            },
            "VAL": {
                "DATASETS_NAME": ["LASOT"],  # kept for the original's YAMLs (no validation set is built)
                "DATASETS_RATIO": [1],  # kept for the original's YAMLs
                "SAMPLE_PER_EPOCH": Key(10000, **AT_LEAST_ONE),  # kept for the original's YAMLs
            },
            "SEARCH": {
                "NUMBER": Key(1, choices=(1,)),  # search frames per sample (the actor takes one)
                "SIZE": Key(256, **AT_LEAST_ONE, architecture=True),  # search crop side in pixels
                "FACTOR": Key(4.0, **POSITIVE),  # search crop side = ceil(sqrt(w * h) x this) frame pixels
                "CENTER_JITTER": Key(3.5, **NON_NEGATIVE),  # centre jitter of the search box
                "SCALE_JITTER": Key(0.5, **NON_NEGATIVE),  # scale jitter of the search box
            },
            "TEMPLATE": {
                "NUMBER": Key(2, **AT_LEAST_ONE, architecture=True),  # template frames per sample
                "SIZE": Key(256, **AT_LEAST_ONE, architecture=True),  # template crop side in pixels
                "FACTOR": Key(4.0, **POSITIVE),  # template crop side = ceil(sqrt(w * h) x this) frame pixels
                "CENTER_JITTER": Key(0.0, **NON_NEGATIVE),  # centre jitter of the template boxes
                "SCALE_JITTER": Key(0.0, **NON_NEGATIVE),  # scale jitter of the template boxes
            },
        },
        "TEST": {
            "TEMPLATE_FACTOR": Key(4.0, **POSITIVE),  # template crop factor at test time
            "TEMPLATE_SIZE": Key(256, **AT_LEAST_ONE),  # template crop side at test time
            "SEARCH_FACTOR": Key(4.0, **POSITIVE),  # search crop factor at test time
            "SEARCH_SIZE": Key(256, **AT_LEAST_ONE),  # search crop side at test time
            "EPOCH": Key(500, **AT_LEAST_ONE, bookkeeping=True),  # checkpoint epoch the tracker loads
            "WINDOW": True,  # Hanning window on the cx, cy token distributions
            "NUM_TEMPLATES": Key(2, **AT_LEAST_ONE),  # templates the tracker keeps
            "AMP": False,  # bf16 autocast in the tracker (as TRAIN.AMP; off by default: the original tracks in fp32)
            "UPDATE_INTERVALS": {  # frames between template updates, per benchmark
                "LASOT": Key([450], **AT_LEAST_ONE),  # LaSOT
                "GOT10K_TEST": Key([200], **AT_LEAST_ONE),  # GOT-10k test
                "TRACKINGNET": Key([25], **AT_LEAST_ONE),  # TrackingNet
                "VOT20": Key([10], **AT_LEAST_ONE),  # VOT2020
                "LASOT_EXTENSION_SUBSET": Key([450], **AT_LEAST_ONE),  # LaSOT extension
                "TNL2K": Key([25], **AT_LEAST_ONE),  # TNL2K
                "DEFAULT": Key([450], **AT_LEAST_ONE),  # every benchmark without its own entry (uav, nfs, otb, tc128, got10k_val); our choice: LaSOT's
            },
            "UPDATE_THRESHOLD": {  # confidence above which the template is updated, per benchmark
                "LASOT": Key([0.6], min=0),  # LaSOT
                "GOT10K_TEST": Key([0.6], min=0),  # GOT-10k test
                "TRACKINGNET": Key([0.6], min=0),  # TrackingNet
                "VOT20": Key([0.6], min=0),  # VOT2020
                "LASOT_EXTENSION_SUBSET": Key([0.6], min=0),  # LaSOT extension
                "TNL2K": Key([0.6], min=0),  # TNL2K
                "DEFAULT": Key([0.6], min=0),  # every benchmark without its own entry (our choice: LaSOT's)
            },
        },
    }


# Element types of lists that are empty by default.
_LIST_ITEM_TYPES = {"DATA.TRAIN.CLASSES": str, "TRAIN.ENCODER_OPEN": str}


def _split(tree: Mapping, prefix: str = "") -> tuple:
    """The declared tree -> ``(tree of default values, {dotted key: Key})``."""
    values, specs = {}, {}
    for key, entry in tree.items():
        name = f"{prefix}{key}"
        if isinstance(entry, Mapping):
            values[key], inner = _split(entry, name + ".")
            specs.update(inner)
        elif isinstance(entry, Key):
            values[key], specs[name] = copy.deepcopy(entry.default), entry
        else:
            values[key] = entry
    return values, specs


_DEFAULT_VALUES, _SPECS = _split(_declared())


def _defaults() -> dict:
    """A fresh, mutable copy of the default values."""
    return copy.deepcopy(_DEFAULT_VALUES)


def key_specs() -> dict:
    """``{dotted key: Key}`` of every key declared with a range, choices or a role."""
    return dict(_SPECS)


def architecture_keys() -> frozenset:
    """Keys declared ``architecture=True``: a checkpoint must agree on all of them to be resumed or loaded."""
    return frozenset(name for name, spec in _SPECS.items() if spec.architecture)


def bookkeeping_keys() -> frozenset:
    """Keys declared ``bookkeeping=True``: changing them when a run resumes is normal and draws no warning."""
    return frozenset(name for name, spec in _SPECS.items() if spec.bookkeeping)


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
            tree[key] = check_value(value, tree[key], _SPECS.get(name), name, where, _LIST_ITEM_TYPES.get(name))


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
    """Checks across keys that the per-key types and ranges cannot make."""
    train_data = tree["DATA"]["TRAIN"]
    if len(train_data["DATASETS_NAME"]) != len(train_data["DATASETS_RATIO"]):
        raise ConfigError(f"{where}: DATA.TRAIN.DATASETS_NAME ({len(train_data['DATASETS_NAME'])} names) and "
                          f"DATASETS_RATIO ({len(train_data['DATASETS_RATIO'])} ratios) differ in length")
    if not sum(train_data["DATASETS_RATIO"]) > 0:
        raise ConfigError(f"{where}: DATA.TRAIN.DATASETS_RATIO {train_data['DATASETS_RATIO']} must have a positive sum")
    if "IMAGENET1K" in train_data["DATASETS_NAME"]:
        raise ConfigError(f"{where}: DATA.TRAIN.DATASETS_NAME IMAGENET1K holds class labels but no boxes: neither the "
                          f"original's sampler nor ours can draw tracking samples from it; remove it")
    if train_data["CLASSES"] and "LASOT" not in train_data["DATASETS_NAME"]:
        raise ConfigError(f"{where}: DATA.TRAIN.CLASSES {list(train_data['CLASSES'])} chooses LaSOT classes, but "
                          f"DATA.TRAIN.DATASETS_NAME {list(train_data['DATASETS_NAME'])} does not list LASOT")
    encoder = tree["MODEL"]["ENCODER"]
    if encoder["STRIDE"] != encoder["PATCH_SIZE"]:
        raise ConfigError(f"{where}: MODEL.ENCODER.STRIDE ({encoder['STRIDE']}) must equal PATCH_SIZE ({encoder['PATCH_SIZE']})")
    for part in ("SEARCH", "TEMPLATE"):
        size = tree["DATA"][part]["SIZE"]
        if size % encoder["PATCH_SIZE"]:
            raise ConfigError(f"{where}: DATA.{part}.SIZE ({size}) must be a multiple of PATCH_SIZE ({encoder['PATCH_SIZE']})")
    model = tree["MODEL"]
    if model["HIDDEN_DIM"] % model["DECODER"]["NHEADS"]:
        raise ConfigError(f"{where}: MODEL.HIDDEN_DIM ({model['HIDDEN_DIM']}) must be divisible by "
                          f"MODEL.DECODER.NHEADS ({model['DECODER']['NHEADS']}): each head takes an equal share")


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
    pairs = _parse_overrides(overrides)
    for key, value in pairs:
        _apply(tree, _nest(key, value), "--opts")
    where = str(yaml_path) if yaml_path is not None else "config"
    _validate(tree, f"{where} with --opts" if pairs else where)
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
