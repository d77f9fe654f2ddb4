"""What a hostile run found, reproduced through the CLI: bad input is one line and exit 2 (no traceback), a
kill leaves nothing behind, a full disk says so, a truncated frame is named, a hung Hub does not hold the run,
and two runs cannot write into one folder."""

from __future__ import annotations

import errno
import gc
import os
import pickle
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from e2e import FAST, REPO_ROOT, checkpoint, load_script, paths, read_only, run_cli, train

from lib.checkpoint.io import checkpoint_name

train_cli = load_script("train", "tracking")

TINY = ["--config", "seqtrack_tiny"]
FAST_OPTS = [item for key, value in FAST.items() for item in (key, str(value))]


def call(argv: list, capsys) -> tuple:
    """``tracking/train.py`` in this process -> ``(exit code, stdout, stderr)``."""
    code = train_cli.main(argv)
    gc.collect()  # what a finaliser would print (an 'Exception ignored' traceback) lands in this call's stderr
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def assert_one_line(code: int, err: str, expected_code: int, pattern: str) -> None:
    assert code == expected_code, err
    assert "Traceback" not in err and "Exception ignored" not in err, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert re.search(pattern, lines[0]), lines[0]


# --------------------------------------------------------------------------------------------- bad input, one line
def _damaged_groundtruth(root: Path) -> None:
    path = root / "mouse" / "mouse-2" / "groundtruth.txt"
    path.write_bytes(path.read_bytes()[:40] + b"\xff\xfe" + path.read_bytes()[40:])


def _random_weights(tmp_path: Path) -> str:
    path = tmp_path / "random.pth"
    path.write_bytes(os.urandom(4096))
    return str(path)


class _Payload:
    """Unpickling this would create a marker file: it must never run."""

    def __init__(self, marker: str):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


def _malicious_weights(tmp_path: Path) -> str:
    path = tmp_path / "mae_pretrain_vit_base.pth"
    path.write_bytes(pickle.dumps({"model": _Payload(str(tmp_path / "PWNED"))}))
    return str(path)


BAD_OPTS = [
    (["TRAIN.LR", "-1"], r"TRAIN\.LR' must be > 0, got -1"),
    (["TRAIN.LR", "nan"], r"TRAIN\.LR' must be a finite number"),
    (["TRAIN.NUM_WORKER", "-1"], r"TRAIN\.NUM_WORKER' must be >= 0"),
    (["DATA.SEARCH.SIZE", "0"], r"DATA\.SEARCH\.SIZE' must be >= 1"),
    (["MODEL.BINS", "0"], r"MODEL\.BINS' must be >= 2"),
    (["TRAIN.SEED", "-1"], r"TRAIN\.SEED' must be >= 0"),
    (["MODEL.HIDDEN_DIM", "130"], r"MODEL\.HIDDEN_DIM \(130\) must be divisible by MODEL\.DECODER\.NHEADS \(4\)"),
    (["TRAIN.LR_DROP_EPOCH", "0"], r"TRAIN\.LR_DROP_EPOCH' must be >= 1"),
    (["TRAIN.CHECKPOINT_INTERVAL_SAMPLES", "-5"], r"CHECKPOINT_INTERVAL_SAMPLES' must be >= 0"),
    (["TRAIN.KEEP_CHECKPOINTS", "-1"], r"KEEP_CHECKPOINTS' must be >= 0"),
    (["TRAIN.GRAD_CLIP_NORM", "-1"], r"GRAD_CLIP_NORM' must be >= 0"),
    (["DATA.MAX_SAMPLE_INTERVAL", "0"], r"MAX_SAMPLE_INTERVAL' must be >= 1"),
    (["DATA.TRAIN.CLASSES", "[mouse, mouse]"], r"CLASSES' lists mouse more than once"),
    (["DATA.TRAIN.SAMPLE_PER_EPOCH", "0"], r"SAMPLE_PER_EPOCH' must be >= 1"),
    (["TRAIN.DEVICE", "gpu"], r"TRAIN\.DEVICE' must be auto, cpu, cuda or cuda:N"),
]


@pytest.mark.parametrize("opts,pattern", BAD_OPTS, ids=[opts[0] for opts, _ in BAD_OPTS])
def test_out_of_range_values_are_one_line(tmp_path, synthetic_lasot, capsys, opts, pattern):
    argv = TINY + ["--save_dir", str(tmp_path), "--lasot_dir", str(synthetic_lasot), "--opts", *FAST_OPTS, *opts]
    assert_one_line(*call(argv, capsys)[::2], 2, pattern)
    assert not (tmp_path / "logs").exists()  # refused before anything was written


@pytest.mark.parametrize("case", ["seed_2_70", "non_utf8_groundtruth", "random_weights", "malicious_weights",
                                  "save_dir_is_a_file", "read_only_save_dir", "read_only_run_resumed",
                                  "jpeg4py_without_its_library", "truncated_checkpoint"])
def test_bad_input_is_one_line_and_loses_nothing(tmp_path, synthetic_lasot, capsys, case):
    lasot, save_dir = synthetic_lasot, tmp_path / "run"
    extra, pattern, guard = [], "", None
    if case == "seed_2_70":
        extra, pattern = ["--seed", str(2**70)], r"TRAIN\.SEED' must be >= 0 and <= 9223372036854775807"
    elif case == "non_utf8_groundtruth":
        lasot = tmp_path / "lasot"
        shutil.copytree(synthetic_lasot, lasot)
        _damaged_groundtruth(lasot)
        pattern = r"mouse-2/groundtruth\.txt, line \d+: not text \(byte 0xff is not UTF-8\)"
    elif case == "random_weights":
        extra = ["MODEL.ENCODER.PRETRAIN_TYPE", "mae", "MODEL.ENCODER.PRETRAINED_PATH", _random_weights(tmp_path)]
        pattern = r"random\.pth cannot be used as MAE weights, it is not a checkpoint of tensors"
    elif case == "malicious_weights":
        extra = ["MODEL.ENCODER.PRETRAIN_TYPE", "mae", "MODEL.ENCODER.PRETRAINED_PATH", _malicious_weights(tmp_path)]
        pattern = r"cannot be used as MAE weights.*refused it, so nothing in it ran"
    elif case == "save_dir_is_a_file":
        save_dir.write_text("not a folder")
        pattern = r"is a file, not a directory"
    elif case == "read_only_save_dir":
        save_dir.mkdir()
        guard = read_only(save_dir)
        pattern = r"cannot write to the run's checkpoint folder .* choose a writable --save_dir"
    elif case == "read_only_run_resumed":
        train(save_dir, lasot, TRAIN__EPOCH=1)
        guard = read_only(paths(save_dir).checkpoint_dir)
        extra = ["TRAIN.EPOCH", "2", "TRAIN.RESUME_PATH", "auto"]
        pattern = r"cannot write to the run's checkpoint folder"
    elif case == "jpeg4py_without_its_library":
        pytest.importorskip("jpeg4py")
        extra = ["DATA.IMAGE_LOADER", "jpeg4py"]
        pattern = r"libturbojpeg cannot be loaded .* DATA\.IMAGE_LOADER: opencv"
    elif case == "truncated_checkpoint":
        train(save_dir, lasot, TRAIN__EPOCH=1)
        saved = checkpoint(save_dir, 1)
        saved.write_bytes(saved.read_bytes()[:4096])
        extra, pattern = ["TRAIN.RESUME_PATH", str(saved)], r"is truncated, corrupted or not a checkpoint"
    argv = TINY + ["--save_dir", str(save_dir), "--lasot_dir", str(lasot), "--opts", *FAST_OPTS, *extra]
    if guard is None:
        code, _, err = call(argv, capsys)
    else:
        with guard:
            code, _, err = call(argv, capsys)
    assert_one_line(code, err, 2, pattern)
    assert not (tmp_path / "PWNED").exists()


# --------------------------------------------------------------------------------------------- files a kill leaves
def test_a_save_killed_midway_leaves_nothing_once_the_run_resumes(tmp_path, synthetic_lasot, capsys):
    train(tmp_path, synthetic_lasot, TRAIN__EPOCH=1)
    # What SIGKILL during a save leaves: the writer's temporary file (1 MB here, up to 1 GB for B256).
    leftover = paths(tmp_path).checkpoint_dir / f".{checkpoint_name(2)}.k3x9q2.tmp"
    leftover.write_bytes(b"\0" * 2**20)
    argv = TINY + ["--save_dir", str(tmp_path), "--lasot_dir", str(synthetic_lasot), "--resume", "auto",
                   "--opts", *FAST_OPTS, "TRAIN.EPOCH", "2"]
    code, out, err = call(argv, capsys)
    assert code == 0, err
    assert not leftover.exists() and "removed 1 temporary file(s) (1.0 MB)" in out
    assert sorted(p.name for p in paths(tmp_path).checkpoint_dir.glob("SEQTRACK_*")) == \
        [checkpoint_name(1), checkpoint_name(2)]


def test_checkpoints_follow_the_umask(tmp_path, synthetic_lasot):
    command = (f"umask 027 && {sys.executable} tracking/train.py --config seqtrack_tiny --save_dir {tmp_path} "
               f"--lasot_dir {synthetic_lasot} --opts " + " ".join(FAST_OPTS) + " TRAIN.EPOCH 1")
    result = subprocess.run(["bash", "-c", command], cwd=REPO_ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert checkpoint(tmp_path, 1).stat().st_mode & 0o777 == 0o640  # not mkstemp's 0600


# --------------------------------------------------------------------------------------------- a full disk
class _FullDiskHandle:
    """A file handle whose writes fail with ENOSPC once ``room`` bytes are written."""

    def __init__(self, handle, room: int):
        self.handle, self.room = handle, room

    def write(self, data) -> int:
        self.room -= len(data)
        if self.room < 0:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return self.handle.write(data)

    def __getattr__(self, name):
        return getattr(self.handle, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.handle.close()


@pytest.mark.parametrize("how", ["known_before_writing", "found_while_writing"])
def test_a_full_disk_says_so_and_keeps_the_earlier_checkpoints(tmp_path, synthetic_lasot, capsys, monkeypatch, how):
    from lib.checkpoint import io as checkpoint_io
    from lib.utils import atomic_files

    train(tmp_path, synthetic_lasot, TRAIN__EPOCH=1)
    before = checkpoint(tmp_path, 1).read_bytes()
    if how == "known_before_writing":
        monkeypatch.setattr(checkpoint_io, "free_bytes", lambda directory: 5 * 2**20)
        pattern = r"no space left on the disk .* it needs about 14 MB and 5 MB are free"
    else:
        real_open = atomic_files._open_temporary
        monkeypatch.setattr(atomic_files, "_open_temporary", lambda fd: _FullDiskHandle(real_open(fd), 2**20))
        pattern = r"no space left on the disk .* for checkpoint SEQTRACK_ep0002\.pth\.tar: it needs about 14 MB"
    argv = TINY + ["--save_dir", str(tmp_path), "--lasot_dir", str(synthetic_lasot), "--resume", "auto",
                   "--opts", *FAST_OPTS, "TRAIN.EPOCH", "2"]
    code, _, err = call(argv, capsys)
    assert_one_line(code, err, 1, pattern)
    assert "resume with --resume auto" in err
    assert checkpoint(tmp_path, 1).read_bytes() == before
    assert [p.name for p in paths(tmp_path).checkpoint_dir.iterdir() if p.name != ".run.lock"] == [checkpoint_name(1)]


# --------------------------------------------------------------------------------------------- truncated frames
def _truncate_frames(root: Path, sequences: list) -> None:
    for name in sequences:
        for frame in (root / name.split("-")[0] / name / "img").glob("*.jpg"):
            frame.write_bytes(frame.read_bytes()[: int(frame.stat().st_size * 0.4)])


def test_a_truncated_frame_stops_training_naming_it(tmp_path, synthetic_lasot, capsys):
    lasot = tmp_path / "lasot"
    shutil.copytree(synthetic_lasot, lasot)
    _truncate_frames(lasot, [p.name for p in lasot.glob("*/*-*") if p.is_dir()])
    argv = TINY + ["--save_dir", str(tmp_path / "run"), "--lasot_dir", str(lasot), "--opts", *FAST_OPTS]
    code, _, err = call(argv, capsys)
    assert_one_line(code, err, 2, r"frame .*/img/\d{8}\.jpg: the JPEG is truncated \(.* bytes, no end-of-image "
                                  r"marker\); re-download or re-extract it \(DATA\.BAD_FRAMES: skip")


def test_bad_frames_can_be_skipped_reproducibly(tmp_path, synthetic_lasot):
    from e2e import figures

    lasot = tmp_path / "lasot"
    shutil.copytree(synthetic_lasot, lasot)
    _truncate_frames(lasot, ["mouse-2", "mouse-3", "electricfan-2"])
    results = {}
    for workers in (0, 2):
        save_dir = tmp_path / f"run{workers}"
        trainer = train(save_dir, lasot, TRAIN__EPOCH=1, DATA__BAD_FRAMES="skip", TRAIN__NUM_WORKER=workers)
        assert trainer.epoch == 1
        results[workers] = figures(save_dir, "interval")
        log = paths(save_dir).log_file.read_text()
        assert re.search(r"skipping a bad frame \(\d+ so far in this process\): frame .*/(mouse-[23]|electricfan-2)/",
                         log), "the skipped frames are named"
    assert results[0] == results[2]  # the redraws depend on (seed, epoch, index) only, not on the workers


# --------------------------------------------------------------------------------------------- a hung Hub
def test_a_hub_that_never_answers_does_not_hold_the_run(tmp_path, synthetic_lasot, capsys, monkeypatch):
    from hub_server import silent_hub

    from lib.hub.client import set_stall_timeout

    monkeypatch.setenv("SEQTRACK_HUB_STALL_TIMEOUT", "1")
    monkeypatch.setenv("SEQTRACK_HUB_RETRY_ATTEMPTS", "2")
    monkeypatch.setenv("SEQTRACK_HUB_RETRY_BASE", "0.1")
    argv = TINY + ["--save_dir", str(tmp_path), "--lasot_dir", str(synthetic_lasot), "--repo_id", "tester/hung",
                   "--opts", *FAST_OPTS, "TRAIN.EPOCH", "2"]
    with silent_hub(tmp_path / "hf_home"):
        start = time.monotonic()
        code, out, err = call(argv, capsys)
        seconds = time.monotonic() - start
    assert code == 0, err
    assert seconds < 90, f"the run was held {seconds:.0f} s by a silent Hub"
    assert "stopped answering" in out and "SEQTRACK_HUB_STALL_TIMEOUT" in out
    assert len(re.findall(r"Hub: epoch \d was NOT pushed", out)) == 2
    assert len(list((tmp_path / ".hub_staging" / "seqtrack" / "seqtrack_tiny").glob("ep000*"))) == 2
    set_stall_timeout(120.0)  # the default again, for the tests that follow in this process


def _wait_for(predicate, what: str, seconds: float = 120.0) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


def test_ctrl_c_ends_the_final_wait_with_a_summary_and_the_next_run_pushes_what_was_left(
        tmp_path, synthetic_lasot, hub):
    from hub_server import silent_hub

    log = paths(tmp_path).log_file
    args = ["tracking/train.py", *TINY, "--save_dir", str(tmp_path), "--lasot_dir", str(synthetic_lasot),
            "--repo_id", "tester/resumed", "--opts", *FAST_OPTS, "TRAIN.EPOCH", "2"]
    with silent_hub(tmp_path / "hf_home_silent"):
        env = dict(os.environ, PYTHONUNBUFFERED="1", OMP_NUM_THREADS="1", SEQTRACK_HUB_STALL_TIMEOUT="600",
                   PYTHONFAULTHANDLER="1")
        # A test run started in the background of a shell (`cmd &`, nohup) inherits SIGINT ignored, and so would
        # the run: give it the default disposition, so that Python turns SIGINT into KeyboardInterrupt as in a
        # terminal.
        process = subprocess.Popen([sys.executable, *args], cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True,
                                   preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
        try:
            _wait_for(lambda: log.is_file() and "Hub: waiting for the upload of epoch(s) 1\u20132" in log.read_text(),
                      "the end-of-run wait")
            process.send_signal(signal.SIGINT)
            try:
                out, err = process.communicate(timeout=60)
            except subprocess.TimeoutExpired:  # say where it hangs: faulthandler prints every thread on SIGABRT
                process.send_signal(signal.SIGABRT)
                out, err = process.communicate(timeout=30)
                pytest.fail(f"the run did not stop within 60 s of Ctrl-C; its threads:\n{err}\n{out[-3000:]}")
        finally:
            process.kill()
    assert process.returncode == 130, err
    assert "Ctrl-C stops waiting" in out
    assert len(re.findall(r"epoch \d was NOT pushed .*interrupted \(Ctrl-C\) while the run waited", out)) == 2
    staged = tmp_path / ".hub_staging" / "seqtrack" / "seqtrack_tiny"
    assert len(list(staged.glob("ep000*"))) == 2
    # The next run with uploads on pushes the staged epochs first, then its own, and cleans up.
    os.environ.pop("SEQTRACK_HUB_STALL_TIMEOUT", None)
    trainer = train(tmp_path, synthetic_lasot, resume="auto", TRAIN__EPOCH=3, TRAIN__HF__REPO_ID="tester/resumed")
    assert trainer.epoch == 3
    files = hub.files("tester/resumed")
    assert {f"checkpoints/{checkpoint_name(e)}" for e in (1, 2, 3)} <= set(files)
    assert "were staged by an earlier run but not pushed: pushing them" in log.read_text()
    assert not list(staged.glob("ep*"))


# --------------------------------------------------------------------------------------------- two runs, one folder
def test_a_second_run_into_the_same_folder_stops_naming_the_first(tmp_path, synthetic_lasot):
    args = ["tracking/train.py", *TINY, "--save_dir", str(tmp_path), "--lasot_dir", str(synthetic_lasot),
            "--opts", *FAST_OPTS, "TRAIN.EPOCH", "50"]
    env = dict(os.environ, PYTHONUNBUFFERED="1", OMP_NUM_THREADS="1")
    first = subprocess.Popen([sys.executable, *args], cwd=REPO_ROOT, env=env, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
    try:
        _wait_for(lambda: checkpoint(tmp_path, 1).is_file(), "the first run's first checkpoint")
        second = run_cli(args, timeout=120)
        assert second.returncode == 2, second.stderr
        assert f"another training run is writing into {paths(tmp_path).checkpoint_dir}: process {first.pid}" in \
            second.stderr
        assert "Traceback" not in second.stderr
    finally:
        first.kill()
        first.wait()
    # A killed run leaves no stale lock: the folder is free again.
    resumed = run_cli(args[:-2] + ["TRAIN.EPOCH", "1", "TRAIN.RESUME_PATH", "auto"], timeout=300)
    assert resumed.returncode == 0, resumed.stderr
