"""Split a training log that holds several phases (a run resumed into the same directory) at its "Resumed from"
lines: phase k+1 starts at the k-th of them. A metrics.jsonl file is split at its "resume" records the same way."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from lib.cli import run_reporting_errors
from lib.runlog.phases import is_resume_line, is_resume_record_line, split_phases
from lib.runlog.records import MetricsError, format_epochs, parse_log_line

EXAMPLE = """example:
  python scripts/split_log.py output/logs/seqtrack-seqtrack_b256.log
      -> output/logs/seqtrack-seqtrack_b256.phase1.log, ...phase2.log, ...
  python scripts/split_log.py output/logs/seqtrack-seqtrack_b256.metrics.jsonl --out_dir /tmp/phases
      -> /tmp/phases/seqtrack-seqtrack_b256.metrics.phase1.jsonl, ...

Then compare the phases: python scripts/compare_phases.py A.phase1.log A.phase2.log
Exit codes: 0 written, 2 bad input."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__, epilog=EXAMPLE,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("log", help="the text log (or metrics.jsonl file) to split")
    parser.add_argument("--out_dir", default=None,
                        help="directory for the phase files (default: the directory of LOG)")
    return parser


def _epochs_in(lines: list[str], jsonl: bool) -> str:
    if jsonl:
        return ""  # the JSON lines are not parsed here; compare_phases validates them
    epochs = {record["epoch"] for record in map(parse_log_line, lines)
              if record is not None and record["kind"] != "resume"}
    return f", epochs {format_epochs(epochs, '-')}" if epochs else ", no training lines"


def run(args: argparse.Namespace) -> int:
    log = Path(args.log)
    if not log.is_file():
        raise MetricsError(f"{log} is not a file")
    jsonl = log.suffix == ".jsonl"
    try:
        lines = log.read_text(encoding="utf-8").splitlines(keepends=True)
    except (OSError, UnicodeDecodeError) as exc:
        raise MetricsError(f"cannot read {log}: {exc}") from None
    phases = split_phases(lines, is_resume_record_line if jsonl else is_resume_line)
    out_dir = Path(args.out_dir) if args.out_dir else log.parent
    out_dir.mkdir(parents=True, exist_ok=True)
    if len(phases) == 1:
        marker = "resume record" if jsonl else "'Resumed from' line"
        print(f"{log} has no {marker}: it holds one phase")
    for number, phase_lines in enumerate(phases, start=1):
        target = out_dir / f"{log.stem}.phase{number}{log.suffix}"
        target.write_text("".join(phase_lines), encoding="utf-8")
        print(f"wrote {target} ({len(phase_lines)} lines{_epochs_in(phase_lines, jsonl)})")
    return 0


def main(argv: list[str] | None = None) -> int:
    return run_reporting_errors("split_log", run, build_parser().parse_args(argv), (MetricsError,))


if __name__ == "__main__":
    sys.exit(main())
