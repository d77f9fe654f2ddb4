"""Getting checkpoints from the Hub: hf:// paths, scripts/download_checkpoint.py, tracking and training entry points
taking hf:// checkpoints. The real huggingface_hub client talks to the local server of tests/hub_server.py."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
import torch
from configs import FAST, tiny_config
from e2e import REPO_ROOT, load_script

from lib.checkpoint.io import FORMAT_VERSION, NET_TYPE, CheckpointError, checkpoint_name, local_checkpoint
from lib.hub.client import HubError, HubInputError, HubPath, download, parse_hub_path
from lib.models.seqtrack import build_seqtrack
from lib.models.seqtrack.loading import load_network
from lib.test.evaluation.running import resolve_checkpoint

REPO = "tester/seqtrack-tiny"


def _tracking_script(name: str):
    spec = importlib.util.spec_from_file_location(f"tracking_{name}", REPO_ROOT / "tracking" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def published(hub, tmp_path):
    """A repo with a real tiny-model checkpoint at epoch 1, and a second commit replacing it."""
    cfg = tiny_config(FAST)
    torch.manual_seed(0)
    net = build_seqtrack(cfg)
    state = {"format_version": FORMAT_VERSION, "net_type": NET_TYPE, "epoch": 1, "net": net.state_dict(),
             "config": cfg.to_dict(), "history": []}
    first = tmp_path / "first.pth.tar"
    torch.save(state, first)
    hub.create(REPO, files={f"checkpoints/{checkpoint_name(1)}": first.read_bytes(), "README.md": b"card v1\n"})
    hub.repo(REPO).add_commit("replace", {**hub.files(REPO), "README.md": b"card v2\n"})
    return hub


@pytest.mark.parametrize("text, expected", [
    ("hf://user/repo/checkpoints/SEQTRACK_ep0002.pth.tar",
     HubPath("user/repo", "checkpoints/SEQTRACK_ep0002.pth.tar")),
    ("hf://user/repo@v1.0/a/b/c.txt", HubPath("user/repo", "a/b/c.txt", "v1.0")),
    ("hf://datasets/l-lt/LaSOT/mouse.zip", HubPath("l-lt/LaSOT", "mouse.zip", None, "dataset")),
])
def test_hub_paths_parse_and_print_back(text, expected):
    assert parse_hub_path(text) == expected
    assert str(expected) == text


@pytest.mark.parametrize("text", ["hf://user/repo", "hf://user", "hf://user/repo@/file", "hf://us er/repo/file",
                                  "/local/file.pth.tar", "hf://user//file"])
def test_malformed_hub_paths_say_the_expected_form(text):
    with pytest.raises(HubInputError, match="hf://<user>/<repo>"):
        parse_hub_path(text)


def test_download_at_a_revision_and_clear_errors(published):
    first_commit = published.repo(REPO).commits[1].oid
    assert download(f"hf://{REPO}/README.md").read_bytes() == b"card v2\n"
    assert download(f"hf://{REPO}@{first_commit}/README.md").read_bytes() == b"card v1\n"
    with pytest.raises(HubInputError, match=r"cannot download hf://tester/seqtrack-tiny/nothing\.txt: file not "
                                               r"found in the repo"):
        download(f"hf://{REPO}/nothing.txt")
    with pytest.raises(HubInputError, match="repository not found"):
        download("hf://tester/no-such-repo/README.md")
    with pytest.raises(HubInputError, match="revision not found"):
        download(f"hf://{REPO}@v9/README.md")
    published.fail_with(401)
    with pytest.raises(HubError, match="401 Unauthorized: the token was refused"):
        download(f"hf://{REPO}/checkpoints/{checkpoint_name(1)}")
    with pytest.raises(CheckpointError, match="cannot download"):  # what the entry points report in one line
        local_checkpoint(f"hf://{REPO}/nothing.txt")
    assert local_checkpoint("/a/local/path.pth.tar") == "/a/local/path.pth.tar"


def test_download_checkpoint_script(published, tmp_path, capsys):
    script = load_script("download_checkpoint")
    assert script.main(["--repo_id", REPO, "--epoch", "1", "--out", str(tmp_path / "dl")]) == 0
    target = tmp_path / "dl" / "checkpoints" / checkpoint_name(1)
    assert capsys.readouterr().out.strip() == str(target)
    assert target.read_bytes() == published.files(REPO)[f"checkpoints/{checkpoint_name(1)}"]
    assert script.main(["--repo_id", REPO, "--filename", "README.md"]) == 0  # into the Hub cache
    assert Path(capsys.readouterr().out.strip()).read_bytes() == b"card v2\n"
    assert script.main(["--repo_id", REPO, "--epoch", "7"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "checkpoints/SEQTRACK_ep0007.pth.tar: file not found in the repo" in err
    assert script.main(["--repo_id", "not a repo", "--epoch", "1"]) == 2
    assert "invalid repo id" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:
        script.main(["--repo_id", REPO, "--epoch", "1", "--filename", "README.md"])
    assert exit_info.value.code == 2


def test_tracking_loads_a_hub_checkpoint(published):
    path = resolve_checkpoint("seqtrack_tiny", f"hf://{REPO}/checkpoints/{checkpoint_name(1)}")
    loaded = load_network(path, "seqtrack_tiny")
    assert loaded.epoch == 1
    with pytest.raises(CheckpointError, match="file not found in the repo"):
        resolve_checkpoint("seqtrack_tiny", f"hf://{REPO}/checkpoints/{checkpoint_name(9)}")


def test_train_cli_takes_hub_checkpoints_and_a_repo_id(published, synthetic_lasot, capsys):
    train_cli = _tracking_script("train")
    common = ["--config", "seqtrack_tiny", "--lasot_dir", str(synthetic_lasot), "--mode", "multiple"]
    args = train_cli.build_parser().parse_args(common + ["--resume", f"hf://{REPO}/checkpoints/{checkpoint_name(1)}",
                                                         "--repo_id", "someone/else"])
    train_cli._preflight(args)  # the Hub file is found (and cached) before torchrun would start
    assert train_cli._load_config(args).TRAIN.HF.REPO_ID == "someone/else"
    train_cli._preflight(train_cli.build_parser().parse_args(
        common + ["--init", f"hf://{REPO}/checkpoints/{checkpoint_name(1)}"]))  # so is a Hub file to fine-tune from
    assert train_cli.main(common + ["--init", f"hf://{REPO}/checkpoints/{checkpoint_name(6)}"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: cannot download hf://") and "SEQTRACK_ep0006.pth.tar: file not found" in err
    assert "Traceback" not in err
    assert train_cli.main(common + ["--resume", f"hf://{REPO}/checkpoints/{checkpoint_name(5)}"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: cannot download hf://") and "file not found" in err and "Traceback" not in err
