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
from lib.hub.client import HF_SCHEME, parse_hub_path
from lib.utils.atomic_files import write_text_atomic

DEFAULT_LICENSE = "mit"
TAGS = ["visual-object-tracking", "single-object-tracking", "seqtrack", "lasot", "pytorch"]
DATASETS = ["l-lt/LaSOT"]
MAE_LICENSE = "cc-by-nc-4.0"  # of the MAE weights (Meta's release, and timm's copies on the Hub)
SCORES_FILE = "scores.json"  # written by tracking/analysis_results.py into each run's results folder
BENCHMARK_DATASETS = {"lasot": "l-lt/LaSOT"}  # the Hub dataset of a benchmark, where there is one
METRICS = (("AUC", "auc", "Success AUC"), ("P@20", "precision", "Precision (20 px)"),
           ("NP@0.2", "normalized_precision", "Normalized precision (0.2)"))
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
    weights: Sequence[str] = ()  # repo folders of inference weights (weights/ep0003), oldest first
    results: Sequence[Mapping] = ()  # scores.json records of tracking/analysis_results.py, one per benchmark


def base_model_of(config: Mapping) -> str | None:
    """The Hub repo the encoder's MAE weights came from (``timm/vit_base_patch16_224.mae``), or None."""
    if _get(config, "MODEL.ENCODER.PRETRAIN_TYPE", "mae") != "mae":
        return None
    path = str(_get(config, "MODEL.ENCODER.PRETRAINED_PATH", "") or "")
    if not path.startswith(HF_SCHEME):
        return None
    return parse_hub_path(path, allow_repo=True).repo_id


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


def _eval_results(summary: RunSummary) -> list:
    from huggingface_hub import EvalResult

    results = []
    for record in summary.results:
        overall = record.get("overall") or {}
        benchmark = str(record.get("benchmark"))
        name = f"{record.get('title', benchmark)} ({_scored_on(record)})"
        for key, metric, label in METRICS:
            if isinstance(overall.get(key), (int, float)):
                results.append(EvalResult(task_type="visual-object-tracking", task_name="Visual Object Tracking",
                                          dataset_type=BENCHMARK_DATASETS.get(benchmark, benchmark), dataset_name=name,
                                          dataset_split="test", metric_type=metric, metric_name=label,
                                          metric_value=round(float(overall[key]), 2)))
    return results


def card_data(summary: RunSummary) -> ModelCardData:
    """The card's YAML metadata: library, tags, the Hub's LaSOT dataset when the run trained on LaSOT, the MAE
    weights it started from (``base_model``), and the tracking results once they are scored (``model-index``)."""
    datasets = list(DATASETS) if any(name == "LASOT" for name, _ in _mix(summary.config)) else []
    return ModelCardData(library_name="pytorch", license=summary.license, tags=list(TAGS), datasets=datasets,
                         base_model=base_model_of(summary.config), model_name=f"SeqTrack {summary.config_name}",
                         eval_results=_eval_results(summary) or None)


def _scored_on(record: Mapping) -> str:
    classes = record.get("classes") or []
    shown = ", ".join(classes[:6]) + (f" and {len(classes) - 6} more" if len(classes) > 6 else "")
    epoch = (record.get("checkpoint") or {}).get("epoch")
    where = f"{record.get('sequences')} test sequences" + (f" of {shown}" if shown else "")
    return where + (f", epoch {epoch}" if epoch is not None else "")


def results_table(results: Sequence[Mapping]) -> str:
    """The card's results section: one row per scored benchmark."""
    rows = []
    for record in results:
        overall = record.get("overall") or {}
        got10k = record.get("got10k") or {}
        cells = [f"{overall[key]:.2f}" if isinstance(overall.get(key), (int, float)) else "-" for key, _, _ in METRICS]
        extra = f"AO {got10k['AO']:.2f}, SR0.5 {got10k['SR0.5']:.2f}" if got10k else ""
        rows.append((record.get("title", record.get("benchmark")), _scored_on(record), *cells, extra))
    return _table(["Benchmark", "Scored on", "AUC", "P@20", "NP@0.2", ""], rows)


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

## Track with it

The repo's latest inference weights (`model.safetensors` + `config.json` at its root; `@<revision>` after the
repo name picks another commit, branch or tag):

```bash
python tracking/test.py seqtrack {name} --dataset_name lasot --checkpoint hf://{repo}
python tracking/video_demo.py seqtrack {name} my_video.mp4 --init_box 100,80,60,40 --checkpoint hf://{repo}
```
```python
from lib.models.seqtrack import load_pretrained
from lib.test.tracker.seqtrack import SeqTrackTracker

net = load_pretrained("{repo}")          # downloaded once into the Hugging Face cache
tracker = SeqTrackTracker(net, net.cfg)   # tracker.initialize(rgb_frame, xywh_box); tracker.track(rgb_frame).box
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
    if summary.results:
        sections.append("## Results\n\nScored by `tracking/analysis_results.py`, by the original's rules per "
                        "benchmark.\n\n" + results_table(summary.results))
    listed = "\n".join(f"- `{path}`" for path in summary.checkpoints) or "None (inference weights only)."
    sections.append("## Training states\n\nFull states (network, optimiser, scheduler, RNG, history): to resume.\n\n"
                    + listed)
    weights = "\n".join(f"- `{folder}/model.safetensors` + `config.json`" for folder in summary.weights)
    sections.append("## Inference weights\n\nThe network only (`model.safetensors`, the original's parameter names) "
                    "and the config that rebuilds it (`config.json`); the latest epoch's also at the repo's root.\n\n"
                    + (weights or "None yet."))
    if summary.files:
        sections.append("## Training files\n\n" + "\n".join(f"- {label}: [`{link}`]({link})"
                                                           for label, link in summary.files.items()))
    sections.append(_usage(summary).strip())
    base = base_model_of(summary.config)
    mae = (f" The encoder started from the MAE weights [`{base}`](https://huggingface.co/{base}), licensed "
           f"`{MAE_LICENSE}` (non-commercial), whose terms carry over to these weights." if base else "")
    sections.append("## License\n\n"
                    f"`{summary.license}`, the license of the original SeqTrack code. The training data, "
                    f"{training_data_of(summary.config)}, comes with its own terms of use (LaSOT: "
                    f"https://huggingface.co/datasets/l-lt/LaSOT).{mae}")
    content = f"---\n{card_data(summary).to_yaml()}\n---\n\n" + "\n\n".join(sections) + "\n"
    return ModelCard(content)


def write_model_card(card: ModelCard, path: str | Path) -> Path:
    """Write ``card`` to ``path`` atomically (temporary file + rename)."""
    return write_text_atomic(path, str(card))
