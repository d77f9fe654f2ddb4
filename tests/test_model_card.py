"""The model card generated from a run: Hub metadata, architecture, training set-up, one table row per epoch, the
checkpoints, and how to download and resume."""

from __future__ import annotations

import re

import torch
import yaml
from configs import FAST, tiny_config
from e2e import paths
from huggingface_hub import ModelCard

from lib.hub.model_card import RunSummary, build_model_card, parameter_counts, write_model_card
from lib.hub.upload import make_card

REPO = "tester/seqtrack-tiny"


def epochs(n: int) -> list:
    return [{"kind": "epoch", "epoch": e, "samples": 48, "loss": 4.5 - 0.25 * e, "iou": 0.05 * e, "lr": 5e-4,
             "epoch_time": 61.0 * e} for e in range(1, n + 1)]


def summary(**changes) -> RunSummary:
    fields = dict(config=tiny_config(FAST).to_dict(), config_name="seqtrack_tiny", epochs=epochs(4),
                  checkpoints=[f"checkpoints/SEQTRACK_ep000{e}.pth.tar" for e in range(1, 5)],
                  parameters={"total": 1118310, "encoder": 834432, "decoder": 212992, "other": 70886},
                  repo_id=REPO, curves="logs/seqtrack-seqtrack_tiny.curves.png")
    fields.update(changes)
    return RunSummary(**fields)


def table_rows(text: str) -> list:
    return [[cell.strip() for cell in line.strip("|").split("|")] for line in text.splitlines()
            if re.match(r"^\| \d+ \|", line)]


def test_metadata_is_yaml_the_hub_reads():
    card = build_model_card(summary())
    front = yaml.safe_load(str(card).split("---")[1])
    assert front["library_name"] == "pytorch" and front["license"] == "mit"
    assert front["datasets"] == ["l-lt/LaSOT"]
    assert {"visual-object-tracking", "seqtrack", "lasot"} <= set(front["tags"])
    assert ModelCard(str(card)).data.to_dict() == card.data.to_dict()  # parses back to the same metadata


def test_one_table_row_per_epoch_with_its_figures():
    rows = table_rows(build_model_card(summary()).text)
    assert [row[0] for row in rows] == ["1", "2", "3", "4"]
    assert rows[1] == ["2", "4.00000", "0.10000", "0.0005", "0:02:02"]
    assert table_rows(build_model_card(summary(epochs=epochs(1))).text) == [["1", "4.25000", "0.05000", "0.0005",
                                                                             "0:01:01"]]


def test_the_card_says_what_was_trained_and_how_to_use_it():
    config = tiny_config(FAST, TRAIN__SEED=7, TRAIN__EPOCH=5, MODEL__BINS=64).to_dict()
    text = build_model_card(summary(config=config)).text
    for fact in ("mouse, electricfan", "| Seed | 7", "| Samples per epoch | 48 |", "4 trained of 5 configured",
                 f"`{config['MODEL']['ENCODER']['TYPE']}`", "started from random initialisation", "64 coordinate bins",
                 "1,118,310 (encoder 834,432, decoder 212,992, other 70,886)", "--epoch 4 --out ./downloaded",
                 "![Loss and IoU curves](logs/seqtrack-seqtrack_tiny.curves.png)",
                 "- `checkpoints/SEQTRACK_ep0003.pth.tar`",
                 f'hf_hub_download("{REPO}", "checkpoints/SEQTRACK_ep0004.pth.tar")',
                 f"--resume hf://{REPO}/checkpoints/SEQTRACK_ep0004.pth.tar",
                 f"--checkpoint hf://{REPO}\n", f'load_pretrained("{REPO}")'):
        assert fact in text, fact


def test_the_card_names_the_pretrained_weights_the_encoder_started_from():
    config = tiny_config(FAST, MODEL__ENCODER__PRETRAINED_PATH="/data/mae_pretrain_vit_base.pth").to_dict()
    assert "started from MAE weights `mae_pretrain_vit_base.pth`" in build_model_card(summary(config=config)).text


def test_defaults_when_a_run_has_little_to_say():
    config = tiny_config(FAST, DATA__TRAIN__CLASSES=[]).to_dict()
    text = build_model_card(summary(config=config, epochs=[], checkpoints=[], parameters=None, repo_id=None,
                                    curves=None)).text
    assert "LaSOT (all 70 classes)" in text and "No epoch finished yet." in text
    assert "<user>/<repo>" in text and "![" not in text and "Parameters" not in text and "\n> " not in text
    assert "\n> Trained on generated data.\n" in build_model_card(summary(note=" Trained on generated data. ")).text


def test_run_card_links_only_files_the_repo_holds(tmp_path):
    config, run = tiny_config(FAST).to_dict(), paths(tmp_path)
    net = {"encoder.a": torch.zeros(2, 3), "decoder.b": torch.zeros(5), "bottleneck.c": torch.zeros(1)}
    files = {"checkpoints/SEQTRACK_ep0002.pth.tar", "checkpoints/SEQTRACK_ep0001.pth.tar", "README.md",
             "logs/seqtrack-seqtrack_tiny.log", "checkpoints/notes.txt"}
    text = make_card(config, "seqtrack_tiny", epochs(2), files, parameter_counts(net), REPO, run).text
    assert "[`logs/seqtrack-seqtrack_tiny.log`](logs/seqtrack-seqtrack_tiny.log)" in text
    assert "curves" not in text and "metrics.jsonl" not in text and "notes.txt" not in text
    assert text.index("SEQTRACK_ep0001") < text.index("SEQTRACK_ep0002")
    assert "9 (encoder 6, decoder 5, other 1)" not in text and "12 (encoder 6, decoder 5, other 1)" in text


def test_written_card_loads_back(tmp_path):
    card = build_model_card(summary())
    path = write_model_card(card, tmp_path / "logs" / "card.md")
    assert ModelCard.load(path).content == str(card)
    assert [p.name for p in path.parent.iterdir()] == ["card.md"]  # no temporary file left


def test_the_card_names_the_training_mix():
    from lib.config.seqtrack.config import config_path, load_config
    from lib.hub.model_card import card_data, training_data_of

    mixed = load_config(config_path("seqtrack_b256")).to_dict()
    assert training_data_of(mixed) == "LaSOT (all 70 classes) + GOT10K_vottrain + COCO17 + TRACKINGNET (ratios 1:1:1:1)"
    two = load_config(config_path("seqtrack_b256"), {"DATA.TRAIN.CLASSES": ["mouse", "bear"]}).to_dict()
    assert training_data_of(two) == "LaSOT (mouse, bear)"  # the classes alone (CLASSES_ONLY)
    got = load_config(config_path("seqtrack_b256_got")).to_dict()
    assert training_data_of(got) == "GOT10K_train_full"
    from lib.hub.model_card import RunSummary

    assert card_data(RunSummary(config=got, config_name="seqtrack_b256_got")).datasets == []  # no LaSOT in it
