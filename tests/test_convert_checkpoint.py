"""scripts/convert_checkpoint.py: the original's layout <-> ours, bitwise round trips, B256 names, clear refusals."""

from __future__ import annotations

from collections import OrderedDict
from pathlib import Path

import pytest
import torch
from e2e import load_script
from test_original_checkpoint import (
    TINY,
    foreign_module,
    original_state,
    random_weights,
    read_fixture,
    tiny_config,
    write_original,
)

from lib.checkpoint import original as oc
from lib.checkpoint.io import FORMAT_VERSION, NET_TYPE, load_checkpoint, save_atomic

convert = load_script("convert_checkpoint")

ORIGINAL_KEYS = {"epoch", "actor_type", "net_type", "net", "net_info", "constructor"}


@pytest.fixture(scope="module")
def weights() -> OrderedDict:
    return random_weights(seed=5)


@pytest.fixture(scope="module")
def original_file(tmp_path_factory, weights) -> Path:
    return write_original(tmp_path_factory.mktemp("convert") / "SEQTRACK_ep0500.pth.tar", weights)


def _plain_load(path: Path) -> dict:
    """How the original code's tracker reads a file we wrote (nothing but tensors and plain values in it)."""
    return torch.load(path, map_location="cpu", weights_only=True)


def test_original_to_native_to_original_is_bitwise_identical(original_file, weights, tmp_path, capsys):
    native, back = tmp_path / "native.pth.tar", tmp_path / "back.pth.tar"
    assert convert.main([str(original_file), str(native), "--to", "native", "--config", TINY]) == 0
    assert "native layout" in capsys.readouterr().out
    state = load_checkpoint(native)  # our loader takes it
    assert state["weights_only"] is True and state["epoch"] == 500 and "optimizer" not in state
    assert state["config"]["MODEL"]["ENCODER"]["TYPE"] == "vit_mini"
    assert convert.main([str(native), str(back), "--to", "original"]) == 0  # config: the one stored in native
    again = _plain_load(back)
    assert set(again) == ORIGINAL_KEYS and again["net_type"] == "SEQTRACK" and again["epoch"] == 500
    first = oc.safe_torch_load(original_file)["net"]
    assert list(again["net"]) == list(first)
    for name, tensor in first.items():
        other = again["net"][name]
        assert other.dtype == tensor.dtype and other.shape == tensor.shape
        assert other.numpy().tobytes() == tensor.numpy().tobytes(), name


def test_our_training_checkpoint_to_the_original_loads_strictly(weights, tmp_path):
    ours, written = tmp_path / "SEQTRACK_ep0003.pth.tar", tmp_path / "original.pth.tar"
    net = torch.nn.Linear(1, 1)
    optimizer = torch.optim.AdamW(net.parameters())
    save_atomic({"format_version": FORMAT_VERSION, "net_type": NET_TYPE, "epoch": 3, "net": weights,
                 "optimizer": optimizer.state_dict(), "config": tiny_config().to_dict()}, ours)
    assert convert.main([str(ours), str(written), "--to", "original"]) == 0
    state = _plain_load(written)
    assert set(state) == ORIGINAL_KEYS and state["epoch"] == 3
    from lib.models.seqtrack import build_seqtrack

    model = build_seqtrack(tiny_config())
    model.load_state_dict(state["net"], strict=True)  # what the original code does with 'net'
    assert all(torch.equal(model.state_dict()[k], v) for k, v in weights.items())


def test_b256_converts_both_ways_with_the_originals_200_names(tmp_path):
    """Meta tensors: every B256 name and shape through the real code paths, without 362 MB of weights."""
    expected = read_fixture()
    original, native, back = tmp_path / "b256.pth.tar", tmp_path / "native.pth.tar", tmp_path / "back.pth.tar"
    net = OrderedDict((k, torch.empty(shape, device="meta")) for k, shape in expected.items())
    with foreign_module(tmp_path / "foreign") as foreign:
        torch.save(original_state(net, foreign), original)
    assert convert.main([str(original), str(native), "--to", "native"]) == 0  # default config: seqtrack_b256
    assert len(load_checkpoint(native)["net"]) == 200
    assert convert.main([str(native), str(back), "--to", "original"]) == 0
    assert [(k, tuple(v.shape)) for k, v in _plain_load(back)["net"].items()] == list(expected.items())


def test_a_config_that_does_not_fit_names_the_keys(original_file, tmp_path, capsys):
    assert convert.main([str(original_file), str(tmp_path / "out.pth.tar"), "--to", "native"]) == 2  # B256
    err = capsys.readouterr().err
    assert "shape mismatches" in err and "encoder.body.pos_embed (1, 32, 128) vs (1, 512, 768)" in err
    assert "missing keys (114): encoder.body.blocks.4.norm1.weight" in err  # the ViT-B blocks 4..11
    assert not (tmp_path / "out.pth.tar").exists()


def test_bad_inputs_are_one_line_and_exit_2(original_file, tmp_path, capsys):
    native = tmp_path / "native.pth.tar"
    assert convert.main([str(original_file), str(native), "--to", "native", "--config", TINY]) == 0
    cases = [
        ([str(tmp_path / "missing.pth.tar"), str(tmp_path / "x"), "--to", "native"], "checkpoint not found"),
        ([str(original_file), str(native), "--to", "native", "--config", TINY], "exists; pass --force"),
        ([str(native), str(tmp_path / "y"), "--to", "native"], "already in this project's format"),
        ([str(original_file), str(tmp_path / "z"), "--to", "original"], "already in the original code's layout"),
        ([str(native), str(native), "--to", "original", "--force"], "same file"),
        ([str(original_file), str(tmp_path / "w"), "--to", "native", "--config", "no_such"], "no_such"),
    ]
    capsys.readouterr()
    for argv, says in cases:
        assert convert.main(argv) == 2, argv
        err = capsys.readouterr().err
        assert says in err and "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert convert.main([str(original_file), str(native), "--to", "native", "--config", TINY, "--force"]) == 0
    with pytest.raises(SystemExit) as exit_info:
        convert.main([str(original_file), str(native), "--to", "onnx"])
    assert exit_info.value.code == 2


def test_a_dangerous_file_is_refused(tmp_path, capsys):
    import os

    from test_original_checkpoint import _RunsShell

    marker, path = tmp_path / "pwned", tmp_path / "evil.pth.tar"
    torch.save({"net_type": "SEQTRACK", "net": {}, "settings": _RunsShell(f"touch {marker}")}, path)
    assert convert.main([str(path), str(tmp_path / "out"), "--to", "native"]) == 2
    assert f"{os.system.__module__}.system" in capsys.readouterr().err
    assert not marker.exists() and not (tmp_path / "out").exists()
