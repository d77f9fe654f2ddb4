"""Helpers of the end-to-end tests: a tiny generated dataset, short training runs, their metrics."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from configs import CONFIG, FAST, tiny_config  # noqa: F401  (FAST, tiny_config: also the tests' imports)

from lib.checkpoint.io import checkpoint_name
from lib.checkpoint.paths import RunPaths
from lib.train.run_training import run_training

REPO_ROOT = Path(__file__).resolve().parents[1]


def train(save_dir: Path, lasot_dir: Path, resume=None, restore_rng=True, **overrides):
    cfg = tiny_config(FAST, **overrides)
    return run_training(cfg, CONFIG, save_dir, resume=resume, lasot_dir=str(lasot_dir), restore_rng=restore_rng)


def paths(save_dir: Path) -> RunPaths:
    return RunPaths(Path(save_dir), CONFIG)


def checkpoint(save_dir: Path, epoch: int, samples: int = 0) -> Path:
    return paths(save_dir).checkpoint_dir / checkpoint_name(epoch, samples)


def metrics(save_dir: Path, kind: str) -> dict:
    """``{(epoch, samples): record}`` of one kind from a run's metrics file (the last record wins)."""
    records = {}
    for line in paths(save_dir).metrics_file.read_text().splitlines():
        record = json.loads(line)
        if record["kind"] == kind:
            records[(record["epoch"], record["samples"])] = record
    return records


def figures(save_dir: Path, kind: str) -> dict:
    """Only the figures that must reproduce exactly (no times)."""
    keep = ("loss", "iou", "loss_interval", "iou_interval", "lr", "global_step")
    return {key: {k: r[k] for k in keep if k in r} for key, r in metrics(save_dir, kind).items()}


def final_weights(save_dir: Path, epoch: int) -> dict:
    return torch.load(checkpoint(save_dir, epoch), map_location="cpu", weights_only=True)["net"]


def weights_equal(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def run_cli(args: list, timeout: int = 600, env_extra: dict | None = None) -> subprocess.CompletedProcess:
    env = dict(os.environ, PYTHONUNBUFFERED="1", OMP_NUM_THREADS="1")
    env.update(env_extra or {})
    return subprocess.run([sys.executable, *args], cwd=REPO_ROOT, capture_output=True, text=True,
                          timeout=timeout, env=env)


@contextlib.contextmanager
def read_only(directory):
    """Make ``directory`` unwritable, also for root (``chattr +i``); skip the test where neither works."""
    if os.geteuid() != 0:
        directory.chmod(0o500)
        undo = lambda: directory.chmod(0o700)  # noqa: E731
    elif shutil.which("chattr") and subprocess.run(["chattr", "+i", str(directory)],
                                                   capture_output=True).returncode == 0:
        undo = lambda: subprocess.run(["chattr", "-i", str(directory)], check=True)  # noqa: E731
    else:
        pytest.skip("cannot make a directory read-only here")
    try:
        yield
    finally:
        undo()


def load_script(name: str, folder: str = "scripts"):
    """Import ``<folder>/<name>.py`` (``scripts`` or ``tracking``) as a module, to call its ``main(argv)``
    in-process."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(f"{folder}_{name}", REPO_ROOT / folder / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # registered first: dataclasses look their module up while it loads
    spec.loader.exec_module(module)
    return module


TEST_EPOCH = 5  # seqtrack_tiny's TEST.EPOCH: what tracking/test.py loads by default (checked by test_tracking_cli)


def write_checkpoint(path: Path, seed: int = 0, epoch: int = TEST_EPOCH, mutate=None) -> Path:
    """A checkpoint of a randomly initialised tiny SeqTrack trained 'on mouse', in our file format."""
    from lib.checkpoint.io import FORMAT_VERSION, NET_TYPE, save_atomic
    from lib.config.seqtrack.config import config_path, load_config
    from lib.models.seqtrack import build_seqtrack

    cfg = load_config(config_path("seqtrack_tiny"), {"DATA.TRAIN.CLASSES": ["mouse"]})
    torch.manual_seed(seed)
    state_dict = build_seqtrack(cfg).state_dict()
    if mutate is not None:
        mutate(state_dict)
    save_atomic({"format_version": FORMAT_VERSION, "net_type": NET_TYPE, "net": state_dict, "epoch": epoch,
                 "config": cfg.to_dict()}, path)
    return path
