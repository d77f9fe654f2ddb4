"""compare_phases.py and the run_metrics / weight_compare functions it is built on, on fake run directories."""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from e2e import load_script

from lib.runlog.records import MetricsWriter, epoch_records, interval_records, parse_log, read_metrics
from lib.runlog.weights import compare_state_dicts

REPO_ROOT = Path(__file__).resolve().parents[1]
CONFIG = "seqtrack_tiny"
EPOCH_SAMPLES = 40
INTERVAL = 10


compare_phases = load_script("compare_phases")


def loss_at(epoch: int, samples: int) -> float:
    return math.sqrt(1000 * epoch + samples) / 7  # irrational: every bit of the float matters


def iou_at(epoch: int, samples: int) -> float:
    return 1 - 1 / math.sqrt(3 + 40 * epoch + samples)


def run_records(epochs: range) -> list[dict]:
    records = []
    for epoch in epochs:
        for samples in range(INTERVAL, EPOCH_SAMPLES + 1, INTERVAL):
            records.append({"kind": "interval", "epoch": epoch, "samples": samples, "epoch_samples": EPOCH_SAMPLES,
                            "global_step": 0, "loss": loss_at(epoch, samples), "iou": iou_at(epoch, samples),
                            "loss_interval": loss_at(epoch, -samples), "iou_interval": iou_at(epoch, -samples),
                            "lr": 0.0005, "time": 1.0e9 + samples})
        records.append({"kind": "epoch", "epoch": epoch, "samples": EPOCH_SAMPLES, "global_step": 0,
                        "loss": loss_at(epoch, EPOCH_SAMPLES), "iou": iou_at(epoch, EPOCH_SAMPLES), "lr": 0.0005,
                        "epoch_time": 3.5, "time": 2.0e9})
    return records


def net_at(epoch: int) -> dict[str, torch.Tensor]:
    generator = torch.Generator().manual_seed(epoch)
    return {"encoder.weight": torch.randn(4, 3, generator=generator), "head.bias": torch.randn(5, generator=generator),
            "steps": torch.tensor(epoch)}


def make_run(root: Path, records: list[dict], checkpoint_epochs=()) -> Path:
    """A run directory laid out as the trainer writes it; returns the run directory."""
    with MetricsWriter(root / "logs" / f"seqtrack-{CONFIG}.metrics.jsonl") as writer:
        for record in records:
            writer.write(record)
    checkpoint_dir = root / "checkpoints" / "train" / "seqtrack" / CONFIG
    checkpoint_dir.mkdir(parents=True, exist_ok=True)
    for epoch in checkpoint_epochs:
        torch.save({"net": net_at(epoch), "epoch": epoch}, checkpoint_dir / f"SEQTRACK_ep{epoch:04d}.pth.tar")
    return root


def checkpoint_path(run: Path, epoch: int, samples: int = 0) -> Path:
    name = f"SEQTRACK_ep{epoch:04d}_s{samples:08d}.pth.tar" if samples else f"SEQTRACK_ep{epoch:04d}.pth.tar"
    return run / "checkpoints" / "train" / "seqtrack" / CONFIG / name


@pytest.fixture
def phases(tmp_path):
    """Phase 1 trains epochs 1-4; phase 2 resumes from epoch 2's checkpoint and trains 3-4."""
    phase1 = make_run(tmp_path / "phase1", run_records(range(1, 5)), checkpoint_epochs=range(1, 5))
    resume = {"kind": "resume", "epoch": 2, "samples": 0, "path": "/x/SEQTRACK_ep0002.pth.tar", "time": 1.0}
    phase2 = make_run(tmp_path / "phase2", [resume] + run_records(range(3, 5)), checkpoint_epochs=(3, 4))
    return phase1, phase2


def rewrite_metrics(run: Path, change) -> None:
    """Apply ``change(records)`` to a run's metrics file."""
    path = run / "logs" / f"seqtrack-{CONFIG}.metrics.jsonl"
    records = [json.loads(line) for line in path.read_text().splitlines()]
    change(records)
    path.write_text("".join(json.dumps(r) + "\n" for r in records))


def find(records, kind, epoch, samples):
    return next(r for r in records if r["kind"] == kind and r["epoch"] == epoch and r["samples"] == samples)


def test_identical_phases_match_with_epoch_range_and_weights(phases, capsys):
    assert compare_phases.main([str(p) for p in phases]) == 0
    out = capsys.readouterr().out
    assert re.search(r"Phase 2 matches Phase 1 for epochs 3[\u2013-]4 ", out)
    assert "(2 epoch and 8 interval records compared exactly)" in out
    assert "Weights at epoch 4: identical (3 tensors, 18 values)" in out
    assert "DIFF" not in out


def test_one_ulp_difference_fails_naming_epoch_samples_metric(phases, capsys):
    def nudge(records):
        record = find(records, "interval", 3, 20)
        record["loss"] = math.nextafter(record["loss"], math.inf)

    rewrite_metrics(phases[1], nudge)
    assert compare_phases.main([str(p) for p in phases]) == 1
    out = capsys.readouterr().out
    expected = loss_at(3, 20)
    assert (f"First difference: epoch 3, samples 20 (interval record), metric loss: phase 1 = {expected!r}, "
            f"phase 2 = {math.nextafter(expected, math.inf)!r}") in out
    assert "1 of 10 compared records differ" in out
    assert "matches" not in out


def test_tolerance_accepts_one_ulp(phases, capsys):
    rewrite_metrics(phases[1], lambda rs: find(rs, "epoch", 4, 40).update(iou=math.nextafter(iou_at(4, 40), 0)))
    assert compare_phases.main([str(p) for p in phases]) == 1
    assert compare_phases.main([str(p) for p in phases] + ["--tolerance", "1e-12"]) == 0
    assert "compared within 1e-12" in capsys.readouterr().out


def test_interval_only_metric_difference_is_caught_and_epochs_only_skips_it(phases, capsys):
    rewrite_metrics(phases[1], lambda rs: find(rs, "interval", 4, 30).update(iou_interval=0.5))
    assert compare_phases.main([str(p) for p in phases]) == 1
    assert "epoch 4, samples 30 (interval record), metric iou_interval" in capsys.readouterr().out
    assert compare_phases.main([str(p) for p in phases] + ["--epochs-only"]) == 0
    assert "(2 epoch and 0 interval records" in capsys.readouterr().out


def test_differing_weights_fail_and_no_weights_skips_them(phases, capsys):
    net = net_at(4)
    net["head.bias"][2] = torch.nextafter(net["head.bias"][2], torch.tensor(math.inf))
    torch.save({"net": net, "epoch": 4}, checkpoint_path(phases[1], 4))
    assert compare_phases.main([str(p) for p in phases]) == 1
    out = capsys.readouterr().out
    assert "Phase 2 matches Phase 1 for epochs" in out
    assert "Weights at epoch 4 DIFFER: head.bias" in out
    assert compare_phases.main([str(p) for p in phases] + ["--no-weights"]) == 0
    assert "Weights" not in capsys.readouterr().out


def test_weights_use_last_common_epoch_checkpoint_and_ignore_mid_epoch_ones(phases, capsys):
    for run, seed in zip(phases, (10, 11)):  # mid-epoch checkpoints that differ must not be picked
        torch.save({"net": net_at(seed), "epoch": 4}, checkpoint_path(run, 5, samples=20))
    checkpoint_path(phases[0], 4).unlink()  # epoch 4 only in phase 2: epoch 3 is the last common one
    assert compare_phases.main([str(p) for p in phases]) == 0
    assert "Weights at epoch 3: identical" in capsys.readouterr().out


def test_state_dict_key_sets_must_agree():
    first, second = net_at(1), net_at(1)
    second["extra"] = torch.zeros(1)
    result = compare_state_dicts(first, second)
    assert not result.match and "only in phase 2 ['extra']" in result.problem
    assert compare_state_dicts(first, net_at(1)).match


def test_no_overlap_is_an_error(tmp_path, capsys):
    phase1 = make_run(tmp_path / "a", run_records(range(1, 3)))
    phase2 = make_run(tmp_path / "b", run_records(range(3, 5)))
    assert compare_phases.main([str(phase1), str(phase2)]) == 2
    err = capsys.readouterr().err
    assert "no overlapping epochs or log intervals" in err and "Traceback" not in err


def test_bad_input_exits_2_with_a_message(phases, tmp_path, capsys):
    assert compare_phases.main([str(tmp_path / "missing"), str(phases[1])]) == 2
    assert "missing does not exist" in capsys.readouterr().err
    empty = tmp_path / "empty"
    empty.mkdir()
    assert compare_phases.main([str(empty), str(phases[1])]) == 2
    assert "holds no metrics file" in capsys.readouterr().err
    metrics = phases[0] / "logs" / f"seqtrack-{CONFIG}.metrics.jsonl"
    with open(metrics, "a") as handle:
        handle.write('{"kind": "epoch", "epoch": 9,\n')
    line_number = len(metrics.read_text().splitlines())
    assert compare_phases.main([str(metrics), str(phases[1])]) == 2
    assert f"{metrics}:{line_number}: malformed JSON line" in capsys.readouterr().err


def test_duplicate_records_last_one_wins(phases, capsys):
    stale = dict(find(run_records(range(3, 4)), "epoch", 3, 40), loss=99.0)
    rewrite_metrics(phases[1], lambda rs: rs.insert(1, stale))  # an earlier, overwritten copy
    assert compare_phases.main([str(p) for p in phases]) == 0
    rewrite_metrics(phases[1], lambda rs: rs.append(stale))  # now the stale copy comes last
    assert compare_phases.main([str(p) for p in phases]) == 1
    assert "epoch 3, samples 40 (epoch record), metric loss" in capsys.readouterr().out


def test_unknown_kinds_and_keys_are_ignored(phases):
    rewrite_metrics(phases[1], lambda rs: (rs.append({"kind": "gpu_memory", "bytes": 3}),
                                           find(rs, "epoch", 3, 40).update(new_stat=[1, 2])))
    assert compare_phases.main([str(p) for p in phases]) == 0


def test_metrics_writer_round_trips_floats_exactly_and_drops_a_torn_line(tmp_path):
    path = tmp_path / "m.metrics.jsonl"
    values = [0.1 + 0.2, math.pi, 5e-324, 1 / 3, torch.tensor(2.0 / 3)]
    with MetricsWriter(path) as writer:
        for epoch, value in enumerate(values, start=1):
            writer.write(kind="epoch", epoch=epoch, samples=1, loss=value, iou=0.5)
    with open(path, "a") as handle:
        handle.write('{"kind": "epoch", "ep')  # a write cut short by a crash
    with MetricsWriter(path) as writer:
        writer.write({"kind": "resume", "epoch": 5, "samples": 0, "path": "p"})
    records = read_metrics(path)
    assert [r["loss"] for r in records[:5]] == [float(v) for v in values]
    assert records[5]["kind"] == "resume" and len(records) == 6
    with pytest.raises(ValueError, match="kind"):
        MetricsWriter(tmp_path / "x.jsonl").write(epoch=1)


def test_selectors_keep_the_last_record_in_training_order():
    records = [{"kind": "interval", "epoch": 2, "samples": 10, "loss": 1.0, "iou": 0.0},
               {"kind": "interval", "epoch": 1, "samples": 20, "loss": 2.0, "iou": 0.0},
               {"kind": "epoch", "epoch": 1, "samples": 20, "loss": 3.0, "iou": 0.0},
               {"kind": "interval", "epoch": 2, "samples": 10, "loss": 4.0, "iou": 0.0}]
    assert [(r["epoch"], r["loss"]) for r in interval_records(records)] == [(1, 2.0), (2, 4.0)]
    assert [r["loss"] for r in epoch_records(records)] == [3.0]


PHASE_LOG = """\
Epoch {e} : 20 / 40 samples , time for last 20 samples : 0:00:05 hours , time since beginning : 0:00:05 hours , \
time left to finish the epoch : 0:00:05 hours , Loss/total: {l1} , IoU: 0.04321
Saved checkpoint SEQTRACK_ep{e:04d}_s00000020.pth.tar
Epoch {e} : 40 / 40 samples , time for last 20 samples : 0:00:05 hours , time since beginning : 0:00:10 hours , \
time left to finish the epoch : 0:00:00 hours , Loss/total: 3.50000 , IoU: 0.05000
Epoch {e} done : 40 samples , Loss/total: 3.98765 , IoU: 0.08765 , lr: 0.0005 , epoch time : 1 day, 0:01:02 hours , \
6.45 samples/s
"""


def write_log(path: Path, epochs, resume_line: str = "", loss: str = "4.12345") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = resume_line + "".join(PHASE_LOG.format(e=e, l1=loss) for e in epochs)
    path.write_text("WARNING: some warning\nconfig: {TRAIN: {EPOCH: 4}}\n" + text)
    return path


def test_text_logs_are_parsed_and_compared(tmp_path, capsys):
    log1 = write_log(tmp_path / "a" / "logs" / f"seqtrack-{CONFIG}.log", range(1, 5))
    log2 = write_log(tmp_path / "b" / "logs" / f"seqtrack-{CONFIG}.log", range(3, 5),
                     "Resumed from /x/SEQTRACK_ep0002.pth.tar at epoch 2, sample 0\n")
    records = parse_log(log2)
    assert records[0] == {"kind": "resume", "epoch": 2, "samples": 0, "path": "/x/SEQTRACK_ep0002.pth.tar"}
    assert records[1] == {"kind": "interval", "epoch": 3, "samples": 20, "epoch_samples": 40, "loss": 4.12345,
                          "iou": 0.04321}
    assert records[3] == {"kind": "epoch", "epoch": 3, "samples": 40, "loss": 3.98765, "iou": 0.08765,
                          "lr": 0.0005, "epoch_time": 86462.0}
    assert len(records) == 7
    # A run directory with only a text log falls back to it.
    assert compare_phases.main([str(tmp_path / "a"), str(tmp_path / "b")]) == 0
    assert re.search(r"Phase 2 matches Phase 1 for epochs 3[\u2013-]4 ", capsys.readouterr().out)
    write_log(log2, range(3, 5), loss="4.12346")
    assert compare_phases.main([str(log1), str(log2)]) == 1
    assert "epoch 3, samples 20 (interval record), metric loss" in capsys.readouterr().out


def test_cli_help_runs_standalone():
    result = subprocess.run([sys.executable, "scripts/compare_phases.py", "--help"], cwd=REPO_ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0
    assert "example:" in result.stdout and "--tolerance" in result.stdout
