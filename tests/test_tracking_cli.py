"""End to end on generated data: tracking/test.py, analysis_results.py, video_demo.py and profile_model.py."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
from e2e import TEST_EPOCH, load_script, write_checkpoint

from lib.config.seqtrack.config import config_path, load_config
from lib.models.seqtrack import build_seqtrack

REPO_ROOT = Path(__file__).resolve().parents[1]


test_cli = load_script("test", "tracking")
analysis_results = load_script("analysis_results", "tracking")
video_demo = load_script("video_demo", "tracking")
profile_model = load_script("profile_model", "tracking")

MOUSE_TEST = ["mouse-1", "mouse-8", "mouse-9", "mouse-17"]
FRAMES = 24


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def lasot(tmp_path_factory) -> Path:
    from lib.data.synthetic.lasot import make_synthetic_lasot

    root = tmp_path_factory.mktemp("lasot_cli")
    return make_synthetic_lasot(root, ["mouse"], sequences=20, frames=FRAMES, size=(96, 72), seed=2, workers=1)


def test_the_default_epoch_is_the_configs():
    assert TEST_EPOCH == load_config(config_path("seqtrack_tiny")).TEST.EPOCH


def run_checkpoint(save_dir: Path, epoch: int = TEST_EPOCH) -> Path:
    return save_dir / "checkpoints" / "train" / "seqtrack" / "seqtrack_tiny" / f"SEQTRACK_ep{epoch:04d}.pth.tar"


@pytest.fixture(scope="module")
def save_dir(tmp_path_factory) -> Path:
    """A run folder holding only the checkpoint of TEST.EPOCH (random weights: no training needed)."""
    root = tmp_path_factory.mktemp("run")
    write_checkpoint(run_checkpoint(root))
    return root


def _test_args(save_dir: Path, lasot: Path, results: Path, *extra) -> list:
    return ["seqtrack", "seqtrack_tiny", "--dataset_name", "lasot", "--save_dir", str(save_dir),
            "--lasot_dir", str(lasot), "--results_dir", str(results), "--device", "cpu", *extra]


def _line_counts(folder: Path) -> dict:
    return {p.name: len(p.read_text().splitlines()) for p in sorted(folder.glob("*.txt"))}


def test_test_then_analysis_end_to_end(save_dir, lasot, tmp_path, capsys):
    results = tmp_path / "results"
    assert test_cli.main(_test_args(save_dir, lasot, results)) == 0
    out_dir = results / "seqtrack" / "seqtrack_tiny" / "lasot"
    expected = {f"{name}{suffix}.txt": FRAMES for name in MOUSE_TEST for suffix in ("", "_time")}
    assert _line_counts(out_dir) == expected
    first = out_dir.joinpath("mouse-1.txt").read_text().splitlines()[0].split("\t")
    gt = (lasot / "mouse" / "mouse-1" / "groundtruth.txt").read_text().splitlines()[0].split(",")
    assert [float(v) for v in first] == [float(v) for v in gt]
    info = json.loads((out_dir / "run_info.json").read_text())
    assert info["epoch"] == TEST_EPOCH and info["config"] == "seqtrack_tiny"
    assert "[4/4]" in capsys.readouterr().out  # a progress line per sequence

    figures = tmp_path / "figures.json"
    assert analysis_results.main(["--runs", "seqtrack/seqtrack_tiny", "--baseline", "--results_dir", str(results),
                                  "--lasot_dir", str(lasot), "--json", str(figures), "--per_sequence"]) == 0
    printed = capsys.readouterr().out
    assert "frozen-box baseline" in printed and "mouse-17" in printed
    runs = json.loads(figures.read_text())["runs"]
    assert set(runs) == {"seqtrack/seqtrack_tiny", "frozen-box baseline"}
    for figures_of_run in runs.values():
        assert figures_of_run["overall"]["sequences"] == 4
        assert 0 <= figures_of_run["overall"]["AUC"] <= 100
    assert sorted(p.name for p in (results / "plots" / "lasot").iterdir()) == [
        "norm_precision_plot.png", "precision_plot.png", "success_plot.png"]


def test_done_sequences_are_skipped_and_truncated_ones_redone(save_dir, lasot, tmp_path, capsys):
    results = tmp_path / "results"
    args = _test_args(save_dir, lasot, results)
    assert test_cli.main(args) == 0
    out_dir = results / "seqtrack" / "seqtrack_tiny" / "lasot"
    complete = out_dir.joinpath("mouse-9.txt").read_text()
    out_dir.joinpath("mouse-9.txt").write_text("".join(complete.splitlines(keepends=True)[:10]))  # truncated
    capsys.readouterr()
    assert test_cli.main(args) == 0
    assert "1 tracked, 3 already done" in capsys.readouterr().out
    assert out_dir.joinpath("mouse-9.txt").read_text() == complete  # same checkpoint, same boxes

    other = write_checkpoint(tmp_path / "other.pth.tar", seed=1)  # results of another checkpoint: refused
    assert test_cli.main(args + ["--checkpoint", str(other)]) == 2
    assert "another checkpoint" in capsys.readouterr().err
    assert test_cli.main(args + ["--checkpoint", str(other), "--sequence", "mouse-1", "--overwrite"]) == 0
    # the other checkpoint's results replace the folder's: no sequence of the first checkpoint is left
    assert _line_counts(out_dir) == {"mouse-1.txt": FRAMES, "mouse-1_time.txt": FRAMES}
    write_checkpoint(other, seed=2)  # the same file, retrained: its old results are not taken for its own
    capsys.readouterr()
    assert test_cli.main(args + ["--checkpoint", str(other), "--sequence", "mouse-1"]) == 2
    assert f"results of an earlier content of {other.resolve()} (the file has changed" in capsys.readouterr().err


def test_worker_processes_give_the_same_results(save_dir, lasot, tmp_path):
    in_process, workers = tmp_path / "a", tmp_path / "b"
    assert test_cli.main(_test_args(save_dir, lasot, in_process)) == 0
    assert test_cli.main(_test_args(save_dir, lasot, workers, "--threads", "2")) == 0
    for name in MOUSE_TEST:
        a = in_process / "seqtrack" / "seqtrack_tiny" / "lasot" / f"{name}.txt"
        b = workers / "seqtrack" / "seqtrack_tiny" / "lasot" / f"{name}.txt"
        assert a.read_text() == b.read_text()


def test_epoch_results_go_to_their_own_folder(save_dir, lasot, tmp_path, capsys):
    results = tmp_path / "results"
    args = _test_args(save_dir, lasot, results, "--epoch", str(TEST_EPOCH), "--sequence", "mouse-8")
    assert test_cli.main(args) == 0
    assert _line_counts(results / "seqtrack" / f"seqtrack_tiny_ep{TEST_EPOCH:04d}" / "lasot") == {
        "mouse-8.txt": FRAMES, "mouse-8_time.txt": FRAMES}
    run = f"seqtrack/seqtrack_tiny:ep{TEST_EPOCH}"
    assert analysis_results.main(["--runs", run, "--results_dir", str(results), "--lasot_dir", str(lasot),
                                  "--no_plots"]) == 0
    assert run in capsys.readouterr().out


def test_missing_frames_skip_the_sequence_and_fail_the_run(save_dir, lasot, tmp_path, capsys):
    broken = tmp_path / "lasot"
    shutil.copytree(lasot / "mouse", broken / "mouse")
    (broken / "mouse" / "mouse-8" / "img" / "00000005.jpg").unlink()
    results = tmp_path / "results"
    assert test_cli.main(_test_args(save_dir, broken, results)) == 1
    out = capsys.readouterr().out
    assert "3 tracked" in out and "FAILED mouse-8" in out and "00000005.jpg" in out
    assert not (results / "seqtrack" / "seqtrack_tiny" / "lasot" / "mouse-8.txt").exists()


def test_bad_checkpoints_are_clear_errors(save_dir, lasot, tmp_path, capsys):
    args = _test_args(save_dir, lasot, tmp_path / "results")
    missing = tmp_path / "nowhere" / "SEQTRACK_ep0099.pth.tar"
    assert test_cli.main(args + ["--checkpoint", str(missing)]) == 2
    assert str(missing) in capsys.readouterr().err
    absent_epoch = TEST_EPOCH + 1  # the run has only TEST.EPOCH's checkpoint
    assert test_cli.main(args + ["--epoch", str(absent_epoch)]) == 2
    assert f"SEQTRACK_ep{absent_epoch:04d}.pth.tar" in capsys.readouterr().err

    def mutate(state_dict):
        state_dict["extra.weight"] = torch.zeros(1)
        del state_dict["bottleneck.bias"]

    mismatched = write_checkpoint(tmp_path / "mismatched.pth.tar", mutate=mutate)
    assert test_cli.main(args + ["--checkpoint", str(mismatched)]) == 2
    err = capsys.readouterr().err
    assert "bottleneck.bias" in err and "extra.weight" in err and "Traceback" not in err
    assert test_cli.main(args + ["--checkpoint", "hf://user/SEQTRACK_ep0001.pth.tar"]) == 2  # no file part
    assert "malformed Hub path" in capsys.readouterr().err
    assert test_cli.main(args + ["--sequence", "mouse-2"]) == 2  # a training sequence
    assert "not a LaSOT test sequence" in capsys.readouterr().err


def test_analysis_bad_inputs(tmp_path, lasot, capsys):
    assert analysis_results.main(["--results_dir", str(tmp_path)]) == 2
    assert "nothing to evaluate" in capsys.readouterr().err
    assert analysis_results.main(["--runs", "seqtrack/nothing", "--results_dir", str(tmp_path),
                                  "--lasot_dir", str(lasot)]) == 2
    assert "no results folder" in capsys.readouterr().err
    assert analysis_results.main(["--baseline", "--classes", "mouse", "--lasot_dir", str(lasot), "--results_dir",
                                  str(tmp_path), "--no_plots"]) == 0  # the baseline needs no results


def test_video_demo_on_frames_and_a_video_that_cannot_be_opened(save_dir, lasot, tmp_path, capsys):
    out = tmp_path / "demo"
    args = ["seqtrack", "seqtrack_tiny", str(lasot / "mouse" / "mouse-1"), "--save_dir", str(save_dir),
            "--out", str(out), "--device", "cpu", "--max_frames", "6"]
    assert video_demo.main(args) == 0
    assert np.loadtxt(out / "boxes.txt").shape == (6, 4)
    import cv2

    capture = cv2.VideoCapture(str(out / "annotated.mp4"))
    assert capture.isOpened() and int(capture.get(cv2.CAP_PROP_FRAME_COUNT)) == 6
    capture.release()

    not_a_video = tmp_path / "broken.mp4"
    not_a_video.write_bytes(b"this is not a video")
    assert video_demo.main(["seqtrack", "seqtrack_tiny", str(not_a_video), "--init_box", "1,2,3,4",
                            "--save_dir", str(save_dir)]) == 2
    assert "cannot be opened" in capsys.readouterr().err
    assert video_demo.main(["seqtrack", "seqtrack_tiny", str(out / "annotated.mp4"), "--save_dir",
                            str(save_dir)]) == 2
    assert "--init_box" in capsys.readouterr().err


def test_profile_model_reports_parameters_flops_and_fps(capsys):
    assert profile_model.main(["--config", "seqtrack_tiny", "--device", "cpu", "--frames", "2", "--warmup", "0",
                               "--repeats", "1", "--image_size", "96x72"]) == 0
    out = capsys.readouterr().out
    cfg = load_config(config_path("seqtrack_tiny"))
    with torch.device("meta"):  # shapes only: counting needs no weights
        total = sum(p.numel() for p in build_seqtrack(cfg, load_pretrained=False).parameters())
    assert f"total {total:,}" in out and "GFLOPs per frame" in out and "with the decoder cache" in out


def test_amp_tracking_records_its_precision_and_is_not_mixed_with_fp32(save_dir, lasot, tmp_path, capsys,
                                                                       caplog, monkeypatch):
    """--amp tracks in bf16 (forced here: the CI host may only emulate it); the folder says so, fp32 results
    are not added to it, and the boxes are the tracker's, not fp32's written under another name."""
    monkeypatch.setenv("SEQTRACK_CPU_BF16", "force")
    caplog.set_level("INFO")
    results = tmp_path / "results"
    args = _test_args(save_dir, lasot, results, "--sequence", "mouse-1")
    assert test_cli.main(args + ["--amp"]) == 0
    out_dir = results / "seqtrack" / "seqtrack_tiny" / "lasot"
    assert json.loads((out_dir / "run_info.json").read_text())["precision"] == "bf16"
    assert "Precision: bf16" in caplog.text
    bf16_boxes = out_dir.joinpath("mouse-1.txt").read_text()
    capsys.readouterr()
    assert test_cli.main(args) == 2  # fp32 into the bf16 folder
    assert "results tracked in bf16; this run tracks in fp32" in capsys.readouterr().err
    fp32_results = tmp_path / "fp32"
    assert test_cli.main(_test_args(save_dir, lasot, fp32_results, "--sequence", "mouse-1")) == 0
    fp32_dir = fp32_results / "seqtrack" / "seqtrack_tiny" / "lasot"
    assert json.loads((fp32_dir / "run_info.json").read_text())["precision"] == "fp32"
    assert len(bf16_boxes.splitlines()) == len(fp32_dir.joinpath("mouse-1.txt").read_text().splitlines())

    demo = tmp_path / "demo"
    assert video_demo.main(["seqtrack", "seqtrack_tiny", str(lasot / "mouse" / "mouse-1"), "--save_dir",
                            str(save_dir), "--out", str(demo), "--device", "cpu", "--max_frames", "4", "--amp"]) == 0
    assert np.loadtxt(demo / "boxes.txt").shape == (4, 4)
    assert "tracked 4 frames in bf16" in capsys.readouterr().out
