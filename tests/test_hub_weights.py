"""Hub-native weights, against the local Hub server: MAE encoder weights fetched by name and reused offline, a
clear stop when they cannot be had, every epoch's inference weights (model.safetensors + config.json) pushed by
each strategy, and trained networks loaded by repo id -- giving the logits of the checkpoint they came from."""

from __future__ import annotations

import importlib
import json
from pathlib import Path

import pytest
import torch
from configs import FAST, tiny_config
from e2e import CONFIG, checkpoint, load_script, run_cli
from hub_server import serving_hub
from huggingface_hub import ModelCard, hf_hub_download
from test_hub_upload import fake_checkpoint

from lib.checkpoint.io import CheckpointError, checkpoint_name
from lib.hub.upload import HubUploader
from lib.models.seqtrack import build_seqtrack, load_pretrained
from lib.models.seqtrack.loading import load_network
from lib.models.seqtrack.pretrained import PretrainedWeightsError
from lib.models.seqtrack.vit import build_vit
from lib.train.run_training import run_training

MAE_REPO = "timm/vit_mini_patch16_224.mae"  # a made-up timm repo holding a vit_mini in timm's MAE format
REPO = "tester/seqtrack-tiny-weights"
MAE = {"MODEL.ENCODER.PRETRAIN_TYPE": "mae", "MODEL.ENCODER.PRETRAINED_PATH": f"hf://{MAE_REPO}"}


def mae_safetensors() -> tuple:
    """``(file bytes, tensors)``: timm's names, a 14 x 14 position grid plus the class position, the class token."""
    from safetensors.torch import save

    torch.manual_seed(5)
    body = build_vit("vit_mini", 224, 224, 16)
    tensors = {k: v.clone() for k, v in body.state_dict().items() if k != "pos_embed"}
    tensors["pos_embed"] = torch.randn(1, 1 + 14 * 14, body.embed_dim)
    tensors["cls_token"] = torch.randn(1, 1, body.embed_dim)
    return save(tensors), tensors


def set_offline(monkeypatch, offline: bool) -> None:
    from huggingface_hub import constants

    if offline:
        monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    else:
        monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    importlib.reload(constants)  # the client reads its settings once, at import


def test_mae_weights_by_hub_name_then_from_the_cache_offline(hub, monkeypatch):
    data, tensors = mae_safetensors()
    hub.create(MAE_REPO, files={"model.safetensors": data})
    net = build_seqtrack(tiny_config(FAST, MAE))
    assert torch.equal(net.encoder.body.blocks[1].attn.qkv.weight, tensors["blocks.1.attn.qkv.weight"])
    assert torch.equal(net.encoder.body.patch_embed.proj.weight, tensors["patch_embed.proj.weight"])
    requests = len(hub.requests)
    set_offline(monkeypatch, True)
    hub.stop()  # no Hub at all: the cached copy is used
    try:
        again = build_seqtrack(tiny_config(FAST, MAE))
    finally:
        set_offline(monkeypatch, False)
    assert torch.equal(again.encoder.body.blocks[1].attn.qkv.weight, tensors["blocks.1.attn.qkv.weight"])
    assert len(hub.requests) == requests
    assert hub.unknown_routes == []


def test_a_pinned_revision_of_the_mae_weights(hub):
    data, tensors = mae_safetensors()
    repo = hub.create(MAE_REPO, files={"model.safetensors": data})
    first = repo.head.oid
    repo.add_commit("other weights", {"model.safetensors": mae_safetensors_shifted(tensors)})
    pinned = build_seqtrack(tiny_config(FAST, MAE, MODEL__ENCODER__PRETRAINED_PATH=f"hf://{MAE_REPO}@{first}"))
    latest = build_seqtrack(tiny_config(FAST, MAE))
    assert torch.equal(pinned.encoder.body.blocks[0].mlp.fc1.weight, tensors["blocks.0.mlp.fc1.weight"])
    assert torch.equal(latest.encoder.body.blocks[0].mlp.fc1.weight, tensors["blocks.0.mlp.fc1.weight"] + 1)


def mae_safetensors_shifted(tensors: dict) -> bytes:
    from safetensors.torch import save

    return save({k: v + 1 for k, v in tensors.items()})


def test_weights_that_cannot_be_had_stop_training_before_anything_is_built(hub, tmp_path, synthetic_lasot):
    args = ["tracking/train.py", "--config", CONFIG, "--save_dir", str(tmp_path), "--lasot_dir", str(synthetic_lasot),
            "--opts", "MODEL.ENCODER.PRETRAIN_TYPE", "mae", "MODEL.ENCODER.PRETRAINED_PATH", f"hf://{MAE_REPO}"]
    result = run_cli(args)  # the repo does not exist on this Hub, and nothing is cached
    assert result.returncode == 2, result.stderr
    message = result.stderr.strip()
    assert message.startswith(f"error: cannot get the MAE weights hf://{MAE_REPO}") and "Traceback" not in message
    assert str(Path(hub_cache())) in message  # where it would be cached
    assert "a local copy" in message and "or to '' to start the encoder from random weights on purpose" in message
    assert "training data:" not in result.stdout  # stopped before the datasets (and the network) were built
    assert not list(tmp_path.rglob("SEQTRACK_*"))
    with pytest.raises(PretrainedWeightsError, match="repository not found"):
        build_seqtrack(tiny_config(FAST, MAE))


def hub_cache() -> str:
    from lib.hub.client import cache_dir

    return str(cache_dir())


@pytest.fixture
def pushed(hub, tmp_path, synthetic_lasot):
    """Two epochs of the tiny config pushed with the default strategy."""
    cfg = tiny_config(FAST, TRAIN__HF__REPO_ID=REPO, TRAIN__EPOCH=2, DATA__TRAIN__SAMPLE_PER_EPOCH=16)
    run_training(cfg, CONFIG, tmp_path / "run", lasot_dir=str(synthetic_lasot))
    return tmp_path / "run"


def _logits(net: torch.nn.Module) -> torch.Tensor:
    """The network's logits on a fixed input (two templates and a search crop of the tiny config's sizes)."""
    cfg = tiny_config(FAST)
    generator = torch.Generator().manual_seed(0)
    templates = torch.randn(2, 1, 3, cfg.DATA.TEMPLATE.SIZE, cfg.DATA.TEMPLATE.SIZE, generator=generator)
    search = torch.randn(1, 1, 3, cfg.DATA.SEARCH.SIZE, cfg.DATA.SEARCH.SIZE, generator=generator)
    sequence = torch.tensor([[net.bins + 1, 3, 4, 5, 6]])
    with torch.no_grad():
        return net(templates, search, sequence)


def test_pushed_weights_give_the_logits_of_their_checkpoint(hub, pushed):
    files = hub.files(REPO)
    assert {"weights/ep0001/model.safetensors", "weights/ep0002/config.json", "model.safetensors",
            "config.json"} <= set(files)
    info = json.loads(files["config.json"])
    assert info["epoch"] == 2 and info["config_name"] == CONFIG and info["classes"] == ["mouse", "electricfan"]
    for epoch in (1, 2):
        weights = hf_hub_download(REPO, f"weights/ep{epoch:04d}/model.safetensors")
        hf_hub_download(REPO, f"weights/ep{epoch:04d}/config.json")
        from_weights = load_network(weights, CONFIG).net
        from_state = load_network(checkpoint(pushed, epoch), CONFIG).net
        assert torch.equal(_logits(from_weights), _logits(from_state)), epoch
    # The same from the repo id (the latest epoch), and at the commit of epoch 1.
    latest = load_pretrained(REPO)
    assert torch.equal(_logits(latest), _logits(load_network(checkpoint(pushed, 2), CONFIG).net))
    epoch_one = next(c.oid for c in hub.repo(REPO).commits if c.message.startswith("Epoch 1"))
    first = load_pretrained(f"hf://{REPO}", revision=epoch_one)
    assert torch.equal(_logits(first), _logits(load_network(checkpoint(pushed, 1), CONFIG).net))
    with pytest.raises(CheckpointError, match="inference weights only"):
        from lib.checkpoint.io import load_checkpoint

        load_checkpoint(hf_hub_download(REPO, "model.safetensors"))
    assert hub.unknown_routes == []


def test_tracking_and_fine_tuning_take_a_repo_id(hub, pushed, tmp_path, synthetic_lasot):
    test_cli = load_script("test", "tracking")
    results = tmp_path / "results"
    assert test_cli.main(["seqtrack", CONFIG, "--checkpoint", f"hf://{REPO}", "--lasot_dir", str(synthetic_lasot),
                          "--sequence", "mouse-1", "--results_dir", str(results), "--device", "cpu"]) == 0
    info = json.loads((results / "seqtrack" / CONFIG / "lasot" / "run_info.json").read_text())
    assert info["checkpoint"].endswith("model.safetensors") and info["epoch"] == 2
    cfg = tiny_config(FAST, MODEL__INIT_CHECKPOINT=f"hf://{REPO}", TRAIN__EPOCH=1, DATA__TRAIN__SAMPLE_PER_EPOCH=8)
    trainer = run_training(cfg, CONFIG, tmp_path / "finetune", lasot_dir=str(synthetic_lasot))
    assert trainer.epoch == 1
    assert hub.unknown_routes == []


@pytest.mark.parametrize("strategy, states", [("full", (1, 2, 3)), ("latest_full", (3,)), ("weights", ())])
def test_every_strategy_pushes_its_files(tmp_path, hub, strategy, states):
    from e2e import paths

    run = paths(tmp_path)
    uploader = HubUploader(REPO, run, strategy=strategy)
    for epoch in (1, 2, 3):
        uploader(*fake_checkpoint(run.checkpoint_dir, epoch))
    assert all(r.pushed for r in uploader.close(timeout=60))
    files = hub.files(REPO)
    assert sorted(f for f in files if f.startswith("checkpoints/")) == [f"checkpoints/{checkpoint_name(e)}"
                                                                         for e in states]
    assert {f for f in files if f.startswith("weights/")} == {f"weights/ep000{e}/{name}" for e in (1, 2, 3)
                                                               for name in ("model.safetensors", "config.json")}
    assert json.loads(files["config.json"])["epoch"] == 3
    if strategy == "latest_full":  # the repo's history keeps the states each commit replaced
        commits = hub.repo(REPO).commits
        assert any(f"checkpoints/{checkpoint_name(1)}" in c.files for c in commits)
    card = ModelCard(files["README.md"].decode()).text
    assert ("None (inference weights only)." in card) == (strategy == "weights")
    assert "- `weights/ep0003/model.safetensors` + `config.json`" in card
    assert hub.unknown_routes == []


def test_the_card_carries_base_model_licence_and_scored_results(tmp_path, synthetic_lasot, capsys):
    """The card names the MAE weights and their licence, and once analysis_results.py has scored a run, the card
    that upload_checkpoint.py --card_only writes has the results, in the table and as model-index metadata."""
    with serving_hub(tmp_path / "hf_home") as server:
        data, _ = mae_safetensors()
        server.create(MAE_REPO, files={"model.safetensors": data})
        cfg = tiny_config(FAST, MAE, TRAIN__EPOCH=1, DATA__TRAIN__SAMPLE_PER_EPOCH=8)
        run = tmp_path / "run"
        run_training(cfg, CONFIG, run, lasot_dir=str(synthetic_lasot))
    test_cli, analysis = load_script("test", "tracking"), load_script("analysis_results", "tracking")
    assert test_cli.main(["seqtrack", CONFIG, "--save_dir", str(run), "--epoch", "1", "--lasot_dir",
                          str(synthetic_lasot), "--sequence", "mouse-1", "mouse-8", "--device", "cpu"]) == 0
    assert analysis.main(["--runs", f"seqtrack/{CONFIG}:ep1", "--save_dir", str(run), "--lasot_dir",
                          str(synthetic_lasot), "--no_plots"]) == 0
    upload = load_script("upload_checkpoint")
    card_file = tmp_path / "card.md"
    assert upload.main([str(run), "--repo_id", REPO, "--card_only", str(card_file)]) == 0
    card = ModelCard(card_file.read_text())
    assert card.data.base_model == MAE_REPO
    assert {"visual-object-tracking", "single-object-tracking", "seqtrack"} <= set(card.data.tags)
    assert card.data.datasets == ["l-lt/LaSOT"] and card.data.library_name == "pytorch"
    results = run / "test" / "tracking_results" / "seqtrack" / f"{CONFIG}_ep0001" / "lasot"
    scores = json.loads((results / "scores.json").read_text())
    metrics = {r.metric_type: r.metric_value for r in card.data.eval_results}
    assert metrics["auc"] == round(scores["overall"]["AUC"], 2) and set(metrics) == {"auc", "precision",
                                                                                      "normalized_precision"}
    assert card.data.eval_results[0].dataset_type == "l-lt/LaSOT"
    assert "2 test sequences of mouse, epoch 1" in card.text and "## Results" in card.text
    assert "cc-by-nc-4.0" in card.text


def test_download_script_fetches_inference_weights(hub, pushed, tmp_path, capsys):
    download = load_script("download_checkpoint")
    assert download.main(["--repo_id", REPO, "--weights", "--out", str(tmp_path / "latest")]) == 0
    assert Path(capsys.readouterr().out.strip()) == tmp_path / "latest" / "model.safetensors"
    assert json.loads((tmp_path / "latest" / "config.json").read_text())["epoch"] == 2
    assert download.main(["--repo_id", REPO, "--weights", "--epoch", "1", "--out", str(tmp_path / "one")]) == 0
    one = tmp_path / "one" / "weights" / "ep0001"
    assert Path(capsys.readouterr().out.strip()) == one / "model.safetensors" and (one / "config.json").is_file()
    assert load_network(one / "model.safetensors", CONFIG).epoch == 1
    with pytest.raises(SystemExit):
        download.main(["--repo_id", REPO])  # nothing asked for
