"""scripts/count_dataset.py on real LaSOT annotations (fixture): per-class figures and samples per epoch."""

from __future__ import annotations

import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
from e2e import load_script

from lib.data.lasot.train_set import ClassCount, count_lasot

REPO_ROOT = Path(__file__).resolve().parents[1]
FIXTURE = REPO_ROOT / "tests" / "fixtures" / "lasot_annos" / "lasot_annos.tar.xz"
count_dataset = load_script("count_dataset")

# LaSOT facts (train / test frames of the official split, 16 / 4 sequences per class).
EXPECTED = {
    "mouse": ClassCount("mouse", 16, 33_882, 4, 7_248),
    "electricfan": ClassCount("electricfan", 16, 31_998, 4, 7_415),
    "rubicCube": ClassCount("rubicCube", 16, 35_805, 4, 10_019),
    "zebra": ClassCount("zebra", 16, 37_336, 4, 7_927),
}


@pytest.fixture(scope="module")
def lasot_annos(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("annos")
    with tarfile.open(FIXTURE) as tar:
        tar.extractall(root, filter="data")
    return root / "lasot_annos"


def test_per_class_counts_are_lasot_facts(lasot_annos):
    assert count_lasot(lasot_annos, list(EXPECTED)) == list(EXPECTED.values())


def test_mouse_and_electricfan_give_21960_samples(lasot_annos, capsys):
    assert count_dataset.main(["--lasot_dir", str(lasot_annos), "--classes", "mouse", "electricfan"]) == 0
    out = capsys.readouterr().out
    assert "65,880 // 3 = 21,960" in out
    assert "33,882" in out and "31,998" in out and "7,248" in out and "7,415" in out


def test_classes_default_to_the_config_and_root_to_lasot_dir(lasot_annos, capsys, monkeypatch):
    monkeypatch.setenv("LASOT_DIR", str(lasot_annos))
    assert count_dataset.main(["--config", "seqtrack_tiny"]) == 0  # its CLASSES: mouse, electricfan
    assert "= 21,960" in capsys.readouterr().out
    assert count_dataset.main(["--classes", "rubicCube", "zebra"]) == 0
    assert "73,141 // 3 = 24,380" in capsys.readouterr().out  # 35,805 + 37,336


def test_errors_exit_2_with_a_message(lasot_annos, tmp_path, capsys):
    assert count_dataset.main(["--lasot_dir", str(tmp_path / "missing"), "--classes", "mouse"]) == 2
    assert "LASOT_DIR" in capsys.readouterr().err
    assert count_dataset.main(["--lasot_dir", str(lasot_annos), "--classes", "zebr"]) == 2
    assert "did you mean 'zebra'" in capsys.readouterr().err
    assert count_dataset.main(["--lasot_dir", str(lasot_annos), "--classes", "tiger"]) == 2
    assert "no folder for class(es) tiger" in capsys.readouterr().err
    assert count_dataset.main(["--lasot_dir", str(lasot_annos)]) == 2  # b256: all 70 classes; 66 missing
    assert count_dataset.main(["--lasot_dir", str(lasot_annos), "--config", "seqtrack_b999"]) == 2


def test_missing_sequence_exits_1_naming_it(lasot_annos, tmp_path, capsys):
    root = tmp_path / "lasot"
    (root / "hat" / "hat-1").mkdir(parents=True)
    assert count_dataset.main(["--lasot_dir", str(root), "--classes", "hat"]) == 1
    assert "sequence 'hat-10' of the official split" in capsys.readouterr().err  # the first train one missing


def test_script_runs_without_traceback(tmp_path):
    result = subprocess.run([sys.executable, str(REPO_ROOT / "scripts" / "count_dataset.py"), "--lasot_dir",
                             str(tmp_path / "missing")], capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr and "does not exist" in result.stderr
