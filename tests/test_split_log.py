"""split_log.py: a log (or metrics file) holding several phases is cut at its resume markers."""

from __future__ import annotations

import json
from pathlib import Path

from e2e import load_script

from lib.runlog.phases import split_phases
from lib.runlog.records import parse_log

REPO_ROOT = Path(__file__).resolve().parents[1]


split_log = load_script("split_log")


def epoch_lines(epoch: int) -> str:
    return (f"Epoch {epoch} : 20 / 40 samples , time for last 20 samples : 0:00:05 hours , time since beginning : "
            f"0:00:05 hours , time left to finish the epoch : 0:00:05 hours , Loss/total: 4.{epoch}0000 , IoU: 0.1\n"
            f"Epoch {epoch} done : 40 samples , Loss/total: 3.{epoch}0000 , IoU: 0.2 , lr: 0.0005 , "
            f"epoch time : 0:00:10 hours , 4.00 samples/s\n"
            f"Saved checkpoint SEQTRACK_ep{epoch:04d}.pth.tar\n")


PHASE1 = "config dump: {TRAIN: {EPOCH: 4}}\n" + "".join(epoch_lines(e) for e in range(1, 5))
PHASE2 = ("Resumed from /runs/a/SEQTRACK_ep0002.pth.tar at epoch 2, sample 0\n"
          "WARNING: the log mentions Resumed from in the middle of a line, which is no phase start\n"
          + "".join(epoch_lines(e) for e in range(3, 5)))
PHASE3 = "Resumed from /runs/a/SEQTRACK_ep0003.pth.tar at epoch 3, sample 0\n" + epoch_lines(4)


def test_three_phase_log_is_split_at_resume_lines(tmp_path, capsys):
    log = tmp_path / "logs" / "seqtrack-seqtrack_tiny.log"
    log.parent.mkdir()
    log.write_text(PHASE1 + PHASE2 + PHASE3)
    assert split_log.main([str(log), "--out_dir", str(tmp_path / "out")]) == 0
    written = [tmp_path / "out" / f"seqtrack-seqtrack_tiny.phase{k}.log" for k in (1, 2, 3)]
    assert [p.read_text() for p in written] == [PHASE1, PHASE2, PHASE3]
    assert not (tmp_path / "out" / "seqtrack-seqtrack_tiny.phase4.log").exists()
    out = capsys.readouterr().out
    assert f"wrote {written[0]} (13 lines, epochs 1-4)" in out
    assert f"wrote {written[1]} (8 lines, epochs 3-4)" in out
    assert f"wrote {written[2]} (4 lines, epochs 4)" in out
    assert [r["epoch"] for r in parse_log(written[2]) if r["kind"] == "epoch"] == [4]


def test_log_without_resume_lines_is_one_phase_next_to_it(tmp_path, capsys):
    log = tmp_path / "seqtrack-x.log"
    log.write_text(PHASE1)
    assert split_log.main([str(log)]) == 0
    assert "has no 'Resumed from' line: it holds one phase" in capsys.readouterr().out
    assert (tmp_path / "seqtrack-x.phase1.log").read_text() == PHASE1
    assert not (tmp_path / "seqtrack-x.phase2.log").exists()


def test_metrics_file_is_split_at_resume_records(tmp_path):
    lines = [json.dumps(r) + "\n" for r in (
        {"kind": "epoch", "epoch": 1, "samples": 40, "loss": 1.0, "iou": 0.1},
        {"kind": "epoch", "epoch": 2, "samples": 40, "loss": 0.5, "iou": 0.2},
        {"kind": "resume", "epoch": 1, "samples": 0, "path": "p"},
        {"kind": "epoch", "epoch": 2, "samples": 40, "loss": 0.5, "iou": 0.2})]
    metrics = tmp_path / "seqtrack-x.metrics.jsonl"
    metrics.write_text("".join(lines))
    assert split_log.main([str(metrics)]) == 0
    assert (tmp_path / "seqtrack-x.metrics.phase1.jsonl").read_text() == "".join(lines[:2])
    assert (tmp_path / "seqtrack-x.metrics.phase2.jsonl").read_text() == "".join(lines[2:])


def test_split_phases_keeps_every_line_once():
    lines = ["a", "R1", "b", "R2", "R3", "c"]
    assert split_phases(lines, lambda line: line.startswith("R")) == [["a"], ["R1", "b"], ["R2"], ["R3", "c"]]


def test_missing_log_exits_2(tmp_path, capsys):
    assert split_log.main([str(tmp_path / "nope.log")]) == 2
    assert "nope.log is not a file" in capsys.readouterr().err
