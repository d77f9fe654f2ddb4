"""The model card of a training run (the Hub repo's ``README.md``), built with huggingface_hub's ``ModelCard``.

The card is generated from what a run knows — its resolved config, its per-epoch records, its checkpoints and
the parameter counts of its network — so that it always says what the uploaded files hold: YAML metadata for
the Hub (library, tags, dataset, license), the architecture, the training set-up (classes, seed, epochs, samples
per epoch), a Loss / IoU table with one row per epoch, the curves, the checkpoints, and how to download, resume
and track with them.

License: MIT by default, the license of the original SeqTrack code (microsoft/VideoX) that this project
re-implements; the training data, LaSOT, comes with its own terms, which the card points to.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from huggingface_hub import ModelCard, ModelCardData

from lib.data.mix import describe_mix, training_mix
from lib.utils.atomic_files import write_text_atomic

DEFAULT_LICENSE = "mit"
TAGS = ["visual-object-tracking", "single-object-tracking", "seqtrack", "lasot", "pytorch"]
DATASETS = ["l-lt/LaSOT"]
PLACEHOLDER_REPO = "<user>/<repo>"
ALL_CLASSES = 70


@dataclass
class RunSummary:
    """What the card says about a run. ``epochs``: epoch records (``kind == 'epoch'``) in epoch order."""

    config: Mapping  # the resolved config tree (upper-case keys, as in the checkpoint)
    config_name: str
    epochs: Sequence[Mapping] = ()
    checkpoints: Sequence[str] = ()  # paths in the repo, oldest first
    parameters: Mapping[str, int] | None = None  # see parameter_counts()
    repo_id: str | None = None
    curves: str | None = None  # link to the curves image, relative to the card
    files: Mapping[str, str] = field(default_factory=dict)  # other files: label -> link relative to the card
    license: str = DEFAULT_LICENSE
    note: str = ""  # a paragraph from the user (e.g. what data the run saw), shown under the introduction


def parameter_counts(net_state: Mapping) -> dict:
    """``{'total', 'encoder', 'decoder', 'other'}`` element counts of a network state dict's tensors."""
    counts = {"total": 0, "encoder": 0, "decoder": 0, "other": 0}
    for key, tensor in net_state.items():
        part = key.split(".", 1)[0]
        counts["total"] += tensor.numel()
        counts[part if part in ("encoder", "decoder") else "other"] += tensor.numel()
    return counts


def _get(config: Mapping, dotted: str, default="?"):
    node = config
    for key in dotted.split("."):
        if not isinstance(node, Mapping) or key not in node:
            return default
        node = node[key]
    return node


def card_data(summary: RunSummary) -> ModelCardData:
    """The card's YAML metadata (the Hub's LaSOT dataset when the run trained on LaSOT)."""
    datasets = list(DATASETS) if any(name == "LASOT" for name, _ in _mix(summary.config)) else []
    return ModelCardData(library_name="pytorch", license=summary.license, tags=list(TAGS), datasets=datasets,
                         model_name=f"SeqTrack {summary.config_name}")


def _mix(config: Mapping) -> list:
    """The datasets the run trained on (checkpoints of earlier versions hold no mix: LaSOT)."""
    return training_mix(_get(config, "DATA.TRAIN.DATASETS_NAME", ["LASOT"]), _get(config, "DATA.TRAIN.DATASETS_RATIO",
                        [1]), list(_get(config, "DATA.TRAIN.CLASSES", []) or []),
                        _get(config, "DATA.TRAIN.CLASSES_ONLY", True))


def training_data_of(config: Mapping) -> str:
    """``'LaSOT (mouse, electricfan)'``, or the mix: ``'LaSOT (all 70 classes) + GOT10K_vottrain + ...'``."""
    return describe_mix(_mix(config), list(_get(config, "DATA.TRAIN.CLASSES", []) or []), ALL_CLASSES)


def _encoder_start(config: Mapping) -> str:
    """Where the encoder's weights started from (an empty MAE path means random init, as the model builder does)."""
    kind, path = _get(config, "MODEL.ENCODER.PRETRAIN_TYPE"), _get(config, "MODEL.ENCODER.PRETRAINED_PATH", "")
    if kind == "scratch" or not path:
        return "random initialisation"
    return f"{str(kind).upper()} weights `{Path(str(path)).name}`"


def _architecture(summary: RunSummary) -> list:
    c = summary.config
    bins = _get(c, "MODEL.BINS")
    rows = [
        ("Encoder", f"ViT `{_get(c, 'MODEL.ENCODER.TYPE')}`, patch {_get(c, 'MODEL.ENCODER.PATCH_SIZE')}, "
                    f"started from {_encoder_start(c)}"),
        ("Inputs", f"{_get(c, 'DATA.TEMPLATE.NUMBER')} template crops of {_get(c, 'DATA.TEMPLATE.SIZE')} px and "
                   f"{_get(c, 'DATA.SEARCH.NUMBER')} search crop of {_get(c, 'DATA.SEARCH.SIZE')} px "
                   f"(crop factor {_get(c, 'DATA.SEARCH.FACTOR')})"),
        ("Decoder", f"{_get(c, 'MODEL.DECODER.DEC_LAYERS')} layer(s), width {_get(c, 'MODEL.HIDDEN_DIM')}, "
                    f"{_get(c, 'MODEL.DECODER.NHEADS')} heads, FFN {_get(c, 'MODEL.DECODER.DIM_FEEDFORWARD')}"),
        ("Vocabulary", f"{bins} coordinate bins + 2 special tokens, box format `{_get(c, 'DATA.SEQ_FORMAT')}`"),
    ]
    if summary.parameters:
        p = summary.parameters
        rows.append(("Parameters", f"{p['total']:,} (encoder {p['encoder']:,}, decoder {p['decoder']:,}, "
                                   f"other {p['other']:,})"))
    return rows


def _training(summary: RunSummary) -> list:
    c = summary.config
    trained = summary.epochs[-1]["epoch"] if summary.epochs else 0
    samples = summary.epochs[-1].get("samples") if summary.epochs else None
    return [
        ("Training data", training_data_of(c)),
        ("Seed", f"{_get(c, 'TRAIN.SEED')} (per-epoch seeds: `{_get(c, 'TRAIN.SEED_MODE')}` mode)"),
        ("Epochs", f"{trained} trained of {_get(c, 'TRAIN.EPOCH')} configured"),
        ("Samples per epoch", f"{samples if samples is not None else _get(c, 'DATA.TRAIN.SAMPLE_PER_EPOCH')}"),
        ("Batch size", f"{_get(c, 'TRAIN.BATCH_SIZE')} per process"),
        ("Optimiser", f"AdamW, lr {_get(c, 'TRAIN.LR')} (encoder x {_get(c, 'TRAIN.ENCODER_MULTIPLIER')}), "
                      f"weight decay {_get(c, 'TRAIN.WEIGHT_DECAY')}, lr x {_get(c, 'TRAIN.SCHEDULER.DECAY_RATE')} "
                      f"at epoch {_get(c, 'TRAIN.LR_DROP_EPOCH')}"),
    ]


def _table(header: Sequence[str], rows: Sequence[Sequence]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def _hms(seconds) -> str:
    if not isinstance(seconds, (int, float)):
        return "?"
    total = int(seconds)
    return f"{total // 3600}:{total % 3600 // 60:02d}:{total % 60:02d}"


def epoch_table(epochs: Sequence[Mapping]) -> str:
    """The per-epoch Loss / IoU table, one row per epoch record."""
    rows = [(r["epoch"], f"{r['loss']:.5f}", f"{r['iou']:.5f}", f"{r['lr']:g}" if "lr" in r else "?",
             _hms(r.get("epoch_time"))) for r in epochs]
    return _table(["Epoch", "Loss/total", "IoU", "lr", "Epoch time (h:mm:ss)"], rows)


def _usage(summary: RunSummary) -> str:
    repo = summary.repo_id or PLACEHOLDER_REPO
    newest = summary.checkpoints[-1] if summary.checkpoints else "checkpoints/SEQTRACK_ep0001.pth.tar"
    name = summary.config_name
    found = re.search(r"_ep(\d+)", newest)
    epoch = int(found.group(1)) if found else 1
    return f"""## Download

```python
from huggingface_hub import hf_hub_download

path = hf_hub_download("{repo}", "{newest}")
```

or `python scripts/download_checkpoint.py --repo_id {repo} --epoch {epoch} --out ./downloaded`.
Each checkpoint holds the full training state (network, optimiser, scheduler, RNG states, metric history,
resolved config) and loads with `torch.load(path, weights_only=True)`.

## Resume training from the Hub

```bash
python tracking/train.py --script seqtrack --config {name} --save_dir ./output --resume hf://{repo}/{newest}
```

(or `TRAIN.RESUME_PATH: hf://{repo}/{newest}` in the YAML). The resumed run continues exactly where the
checkpoint left off.

## Track LaSOT test sequences with it

```bash
python tracking/test.py seqtrack {name} --dataset_name lasot --checkpoint hf://{repo}/{newest}
```
"""


def build_model_card(summary: RunSummary) -> ModelCard:
    """The card of ``summary`` as a ``ModelCard`` (metadata + Markdown body)."""
    name = summary.config_name
    sections = [
        f"# SeqTrack `{name}` trained on {training_data_of(summary.config)}",
        "SeqTrack (Chen et al., *SeqTrack: Sequence to Sequence Learning for Visual Object Tracking*, CVPR 2023) "
        "casts tracking as generating the target box as four coordinate tokens. These checkpoints come from a "
        f"from-scratch re-implementation of its training code, config `{name}`.",
        *([f"> {summary.note.strip()}"] if summary.note.strip() else []),
        "## Architecture\n\n" + _table(["", ""], _architecture(summary)),
        "## Training\n\n" + _table(["", ""], _training(summary)),
        "## Loss and IoU per epoch\n\nEpoch means of the training loss (cross-entropy over the box tokens) and "
        "of the IoU of the decoded box with the ground truth.\n\n"
        + (epoch_table(summary.epochs) if summary.epochs else "No epoch finished yet."),
    ]
    if summary.curves:
        sections.append(f"![Loss and IoU curves]({summary.curves})")
    listed = "\n".join(f"- `{path}`" for path in summary.checkpoints) or "None yet."
    sections.append("## Checkpoints\n\n" + listed)
    if summary.files:
        sections.append("## Training files\n\n" + "\n".join(f"- {label}: [`{link}`]({link})"
                                                           for label, link in summary.files.items()))
    sections.append(_usage(summary).strip())
    sections.append("## License\n\n"
                    f"`{summary.license}`, the license of the original SeqTrack code. The training data, "
                    f"{training_data_of(summary.config)}, comes with its own terms of use (LaSOT: "
                    "https://huggingface.co/datasets/l-lt/LaSOT).")
    content = f"---\n{card_data(summary).to_yaml()}\n---\n\n" + "\n\n".join(sections) + "\n"
    return ModelCard(content)


def write_model_card(card: ModelCard, path: str | Path) -> Path:
    """Write ``card`` to ``path`` atomically (temporary file + rename)."""
    return write_text_atomic(path, str(card))
