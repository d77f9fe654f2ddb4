"""Pushing a run to the Hub: every epoch in the background, in order, with the run's files and the card; exact resume
from a pushed checkpoint; a Hub that is down or refuses the token never stops training nor touches a local file.

The real huggingface_hub client talks to the local server of tests/hub_server.py.
"""

from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch
from configs import FAST, tiny_config
from e2e import CONFIG, figures, final_weights, paths, train, weights_equal
from hub_server import serving_hub
from huggingface_hub import ModelCard, hf_hub_download

from lib.checkpoint.io import checkpoint_name, save_atomic
from lib.hub.upload import HubUploader, hub_uploader_from_config, model_card_file
from lib.train.run_training import run_training

REPO = "tester/seqtrack-tiny"
EPOCH_FILES = {f"checkpoints/SEQTRACK_ep000{e}.pth.tar" for e in (1, 2, 3)}
SHORT = {"DATA__TRAIN__SAMPLE_PER_EPOCH": 24, "TRAIN__LOG_INTERVAL_SAMPLES": 8}  # 3 epochs of 3 batches
RUN_FILES = {f"logs/seqtrack-{CONFIG}.log", f"logs/seqtrack-{CONFIG}.metrics.jsonl",
             f"logs/seqtrack-{CONFIG}.curves.png", "README.md"}
WEIGHT_FILES = {f"weights/ep000{e}/{name}" for e in (1, 2, 3) for name in ("model.safetensors", "config.json")} | {
    "model.safetensors", "config.json"}  # every epoch's inference weights, the latest at the root


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def hashing_hook(saved: dict):
    """A checkpoint hook recording each checkpoint's hash as written (it runs before the uploader)."""
    return lambda path, state: saved.__setitem__(path.name, sha256(path.read_bytes()))


@pytest.fixture
def fast_retries(monkeypatch):
    monkeypatch.setenv("SEQTRACK_HUB_RETRY_BASE", "0.01")
    monkeypatch.setenv("SEQTRACK_HUB_RETRY_ATTEMPTS", "2")


@pytest.fixture(scope="module")
def published(tmp_path_factory, synthetic_lasot):
    """Three epochs pushed to the local Hub, keeping one local checkpoint (pruning races the queued uploads)."""
    run = tmp_path_factory.mktemp("published")
    saved = {}
    with serving_hub(tmp_path_factory.mktemp("hf_home")) as server, pytest.MonkeyPatch.context() as env:
        env.setenv("SEQTRACK_HUB_RETRY_BASE", "0.05")
        cfg = tiny_config(FAST, TRAIN__HF__REPO_ID=REPO, TRAIN__KEEP_CHECKPOINTS=1, **SHORT)
        run_training(cfg, CONFIG, run, lasot_dir=str(synthetic_lasot), checkpoint_hooks=[hashing_hook(saved)])
        yield SimpleNamespace(server=server, run=run, saved=saved)


def test_every_epoch_is_pushed_in_order_with_the_run_files(published):
    server, run = published.server, published.run
    files = server.files(REPO)
    assert set(files) == EPOCH_FILES | WEIGHT_FILES | RUN_FILES | {".gitattributes"}
    # Epochs 1 and 2 were pruned locally (KEEP_CHECKPOINTS 1) while queued: the pushed bytes are still the saved ones.
    assert sorted(p.name for p in paths(run).checkpoint_dir.iterdir()) == [".run.lock", "SEQTRACK_ep0003.pth.tar"]
    for name in EPOCH_FILES:
        assert sha256(files[name]) == published.saved[Path(name).name], name
    commits = server.repo(REPO).commits
    assert [c.message.split(":")[0] for c in commits[1:]] == ["Epoch 1", "Epoch 2", "Epoch 3"]
    assert [sorted(f for f in c.files if f.startswith("checkpoints/")) for c in commits[1:]] == \
        [sorted(EPOCH_FILES)[:k] for k in (1, 2, 3)]
    assert server.repo(REPO).private  # TRAIN.HF.PRIVATE defaults to true
    assert "Epoch 3 done" in files[f"logs/seqtrack-{CONFIG}.log"].decode()
    records = [json.loads(line) for line in files[f"logs/seqtrack-{CONFIG}.metrics.jsonl"].decode().splitlines()]
    assert [r["epoch"] for r in records if r["kind"] == "epoch"] == [1, 2, 3]
    assert files[f"logs/seqtrack-{CONFIG}.curves.png"].startswith(b"\x89PNG")
    log = paths(run).log_file.read_text()
    assert "Hub: pushed epoch(s) 1\u20133" in log and "NOT pushed" not in log
    assert server.token not in log
    assert not list((run / ".hub_staging").rglob("*.pth.tar"))  # staged copies go once pushed
    assert not server.unknown_routes


def test_the_pushed_card_describes_the_run(published):
    card = ModelCard(published.server.files(REPO)["README.md"].decode())
    assert card.data.library_name == "pytorch"
    assert {"visual-object-tracking", "seqtrack", "lasot"} <= set(card.data.tags)
    assert card.data.datasets == ["l-lt/LaSOT"] and card.data.license == "mit"
    rows = [line for line in card.text.splitlines() if line.startswith("| ") and line.split("|")[1].strip().isdigit()]
    assert [int(row.split("|")[1]) for row in rows] == [1, 2, 3]
    for name in sorted(EPOCH_FILES):
        assert f"- `{name}`" in card.text
    assert f"--resume hf://{REPO}/checkpoints/SEQTRACK_ep0003.pth.tar" in card.text
    assert f"![Loss and IoU curves](logs/seqtrack-{CONFIG}.curves.png)" in card.text
    local = model_card_file(paths(published.run)).read_text()
    assert f"![Loss and IoU curves](./seqtrack-{CONFIG}.curves.png)" in local


def test_resume_from_a_pushed_checkpoint_is_exact(tmp_path, published, synthetic_lasot):
    downloaded = hf_hub_download(REPO, "checkpoints/SEQTRACK_ep0002.pth.tar")
    assert sha256(Path(downloaded).read_bytes()) == published.saved["SEQTRACK_ep0002.pth.tar"]
    epoch2_commit = published.server.repo(REPO).commits[2].oid
    train(tmp_path, synthetic_lasot, resume=f"hf://{REPO}@{epoch2_commit}/checkpoints/SEQTRACK_ep0002.pth.tar",
          **SHORT)
    for kind in ("interval", "epoch"):
        expected = {k: v for k, v in figures(published.run, kind).items() if k[0] == 3}
        assert expected and figures(tmp_path, kind) == expected
    assert weights_equal(final_weights(tmp_path, 3), final_weights(published.run, 3))
    assert "Resumed from" in paths(tmp_path).log_file.read_text()


def test_upload_script_pushes_a_whole_run_or_writes_its_card(published, tmp_path, capsys):
    from e2e import load_script

    upload, server = load_script("upload_checkpoint"), published.server
    before = len(server.requests)
    card = tmp_path / "MODEL_CARD.md"
    assert upload.main([str(published.run), "--repo_id", "tester/copy", "--card_only", str(card)]) == 0
    assert len(server.requests) == before  # --card_only talks to nobody
    assert "- `checkpoints/SEQTRACK_ep0003.pth.tar`" in card.read_text()
    assert upload.main([str(published.run), "--repo_id", "tester/copy", "--private"]) == 0
    files = server.files("tester/copy")
    weights = {"weights/ep0003/model.safetensors", "weights/ep0003/config.json", "model.safetensors", "config.json"}
    assert set(files) == {"checkpoints/SEQTRACK_ep0003.pth.tar", ".gitattributes"} | weights | RUN_FILES  # 1, 2 pruned
    assert files["README.md"].decode() == card.read_text() and server.repo("tester/copy").private
    assert f"commit {server.repo('tester/copy').head.oid}" in capsys.readouterr().out
    assert upload.main([str(tmp_path), "--repo_id", "tester/copy"]) == 2
    assert "not a run directory" in capsys.readouterr().err
    assert upload.main([str(tmp_path / "nothing.pth.tar"), "--repo_id", "tester/copy"]) == 2
    assert "does not exist" in capsys.readouterr().err


def short_run(save_dir, lasot, saved):
    cfg = tiny_config(FAST, TRAIN__HF__REPO_ID=REPO, TRAIN__EPOCH=2, DATA__TRAIN__SAMPLE_PER_EPOCH=8)
    run_training(cfg, CONFIG, save_dir, lasot_dir=str(lasot), checkpoint_hooks=[hashing_hook(saved)])


def assert_intact(save_dir, saved):
    on_disk = {p.name: sha256(p.read_bytes()) for p in paths(save_dir).checkpoint_dir.glob("SEQTRACK_*")}
    assert on_disk == saved and len(saved) == 2


def hub_warnings(caplog) -> list:
    return [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING and "Hub:" in r.getMessage()]


def test_training_goes_on_when_the_hub_is_down(tmp_path, hub, fast_retries, synthetic_lasot, caplog):
    hub.stop()
    saved = {}
    short_run(tmp_path, synthetic_lasot, saved)
    assert_intact(tmp_path, saved)
    warnings = hub_warnings(caplog)
    reason = f"network error talking to {hub.url} (ConnectError"
    assert any(f"upload of epoch 1 to {REPO} failed (attempt 1 of 2): {reason}" in w and "retrying in" in w
               for w in warnings), warnings
    assert any(w.startswith(f"Hub: epoch 2 was NOT pushed to {REPO}: {reason}") for w in warnings), warnings
    log = paths(tmp_path).log_file.read_text()
    assert f"failed (attempt 2 of 2): {reason}" in log and "Finished training" in log


def test_training_goes_on_when_the_token_is_refused_and_the_epoch_can_be_pushed_later(
        tmp_path, hub, fast_retries, synthetic_lasot, caplog):
    from e2e import load_script

    hub.fail_with(401)
    saved = {}
    short_run(tmp_path, synthetic_lasot, saved)
    assert_intact(tmp_path, saved)
    warnings = hub_warnings(caplog)
    assert any("failed (attempt 1 of 2): 401 Unauthorized: the token was refused" in w for w in warnings), warnings
    not_pushed = [w for w in warnings if "was NOT pushed" in w]
    assert len(not_pushed) == 2 and "scripts/upload_checkpoint.py" in not_pushed[-1]
    assert hub.repo(REPO) is None
    # The summary says where the staged copy is and how to push it; once the Hub takes the token, that works.
    [folder] = (tmp_path / ".hub_staging" / "seqtrack" / CONFIG).glob("ep0002-*")
    staged = folder / "checkpoints" / checkpoint_name(2)
    assert str(staged) in not_pushed[-1] and sha256(staged.read_bytes()) == saved[checkpoint_name(2)]
    hub.fail_with(None)
    upload = load_script("upload_checkpoint")
    assert upload.main([str(staged), "--repo_id", REPO]) == 0  # the config is read off the staging path
    assert not folder.exists()  # pushed: its staging folder is gone, the next run will not push it again
    files = hub.files(REPO)
    assert sha256(files[f"checkpoints/{checkpoint_name(2)}"]) == saved[checkpoint_name(2)]
    assert f"logs/seqtrack-{CONFIG}.log" in files and "README.md" in files


# --------------------------------------------------------------------------------- the hook alone, on made-up files
def fake_checkpoint(directory: Path, epoch: int, samples: int = 0) -> tuple:
    state = {"config": tiny_config(FAST).to_dict(), "net": {"encoder.w": torch.full((4,), float(epoch))},
             "history": [{"kind": "epoch", "epoch": e, "samples": 48, "loss": 1.0 / e, "iou": 0.1 * e, "lr": 1e-4}
                         for e in range(1, epoch + 1)]}
    path = directory / checkpoint_name(epoch, samples)
    save_atomic(state, path)
    return path, state


def test_only_every_nth_epoch_and_the_last_are_pushed_and_pruning_cannot_lose_one(tmp_path, hub, fast_retries):
    run = paths(tmp_path)
    run.log_file.parent.mkdir(parents=True)
    run.log_file.write_text("a line of the log\n")
    uploader = HubUploader(REPO, run, private=False, every=2, last_epoch=5)
    written = {}
    for epoch, samples in [(1, 0), (2, 24), (2, 0), (3, 0), (4, 0), (5, 0)]:
        path, state = fake_checkpoint(run.checkpoint_dir, epoch, samples)
        written[path.name] = sha256(path.read_bytes())
        uploader(path, state)
        path.unlink()  # pruned at once: the queued upload must not need it
    results = uploader.close(timeout=30)
    assert [(r.epoch, r.pushed) for r in results] == [(2, True), (4, True), (5, True)]
    files = hub.files(REPO)
    pushed = sorted(f for f in files if f.startswith("checkpoints/"))
    assert pushed == [f"checkpoints/{checkpoint_name(e)}" for e in (2, 4, 5)]
    assert all(sha256(files[f]) == written[Path(f).name] for f in pushed)
    assert run.log_file.read_text() == "a line of the log\n"  # read, never altered
    assert not hub.repo(REPO).private


def test_no_token_is_reported_with_what_to_do(tmp_path, hub, fast_retries, caplog):
    run = paths(tmp_path)
    with pytest.MonkeyPatch.context() as env:
        env.delenv("HF_TOKEN")
        uploader = hub_uploader_from_config(tiny_config(FAST, TRAIN__HF__REPO_ID=REPO, TRAIN__EPOCH=1), run)
        uploader(*fake_checkpoint(run.checkpoint_dir, 1))
        results = uploader.close(timeout=30)
    assert not results[0].pushed
    assert "no token; set HF_TOKEN or run 'hf auth login'" in results[0].reason
    assert any("no Hugging Face token" in w for w in hub_warnings(caplog))
    assert hub_uploader_from_config(tiny_config(FAST, TRAIN__HF__REPO_ID=REPO, TRAIN__HF__UPLOAD=False), run) is None
    assert hub_uploader_from_config(tiny_config(FAST), run) is None


def test_staged_epochs_are_pushed_by_the_next_uploader_or_reported_without_one(tmp_path, hub, fast_retries, caplog):
    from lib.hub.upload import report_staged_without_uploads, staged_folders

    run = paths(tmp_path)
    hub.fail_with(500)
    failing = HubUploader(REPO, run)
    failing(*fake_checkpoint(run.checkpoint_dir, 1))
    assert not failing.close(timeout=30)[0].pushed
    [folder] = staged_folders(run)
    assert (folder / "push.json").is_file()
    # Uploads off: each staged epoch is reported with the command that pushes it.
    assert report_staged_without_uploads(run) == [folder]
    assert any("python scripts/upload_checkpoint.py" in w and str(folder) in w for w in hub_warnings(caplog))
    # A staging that never finished (no push.json) is dropped; the complete one is pushed first, then cleaned up.
    (run.save_dir / ".hub_staging" / "seqtrack" / CONFIG / "ep0009-deadbeef" / "checkpoints").mkdir(parents=True)
    hub.fail_with(None)
    uploader = HubUploader(REPO, run)
    assert uploader.push_staged() == [1]
    assert [r.pushed for r in uploader.close(timeout=30)] == [True]
    assert f"checkpoints/{checkpoint_name(1)}" in hub.files(REPO) and "push.json" not in hub.files(REPO)
    assert staged_folders(run) == []
