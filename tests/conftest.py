"""Test set-up: few threads, no stale log handlers, the local Hub server, and shared fixtures for end-to-end runs.

The project is installed as a package (``pip install -e .``, by scripts/setup_env.sh): ``lib`` imports as it does
for the entry points; pytest puts this folder on the import path for the test helpers (``e2e``, ``hub_server``).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
import torch

REPO_ROOT = Path(__file__).resolve().parents[1]

torch.set_num_threads(2)
# The annotation cache of this test session (subprocesses inherit it): never the user's ~/.cache/seqtrack.
os.environ["SEQTRACK_CACHE_DIR"] = tempfile.mkdtemp(prefix="seqtrack-test-cache-")

# The local Hugging Face Hub server and its `hub` fixture (tests/hub_server.py).
pytest_plugins = ("hub_server",)


@pytest.fixture(autouse=True)
def no_stale_log_handlers():
    """Entry points called in-process (``main(argv)``, run_training) install logging handlers on the streams of
    that test, which pytest closes after it; a later test's log records would then print a 'Logging error'
    traceback into its own captured stderr. Drop those handlers around every test."""
    from lib.utils.logging_setup import close_logging

    close_logging()
    yield
    close_logging()


@pytest.fixture
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture(scope="session")
def synthetic_lasot(tmp_path_factory) -> Path:
    """A generated LaSOT-layout dataset of mouse and electricfan, shared by the end-to-end tests."""
    from lib.data.synthetic.lasot import make_synthetic_lasot

    root = tmp_path_factory.mktemp("lasot")
    make_synthetic_lasot(root, classes=["mouse", "electricfan"], sequences=20, frames=60, size=(160, 120), seed=0)
    return root


@pytest.fixture
def one_torch_thread():
    """One torch thread: faster than two on a shared 2-core machine, and bitwise-repeatable runs."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
