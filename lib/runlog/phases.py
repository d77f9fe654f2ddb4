"""Split a log or metrics file that holds several phases (a run resumed into its own folder) at each resume."""

from __future__ import annotations

import json

from lib.runlog.records import RESUME_LINE


def is_resume_line(line: str) -> bool:
    """A text-log line that marks the start of a resumed phase."""
    return line.startswith("Resumed from ") or RESUME_LINE.search(line) is not None


def is_resume_record_line(line: str) -> bool:
    """A ``metrics.jsonl`` line holding a ``resume`` record (malformed lines are not)."""
    try:
        record = json.loads(line)
    except json.JSONDecodeError:
        return False
    return isinstance(record, dict) and record.get("kind") == "resume"


def split_phases(lines: list[str], starts_phase) -> list[list[str]]:
    """Split ``lines`` before every line for which ``starts_phase(line)`` is true (the first phase may be empty)."""
    phases: list[list[str]] = [[]]
    for line in lines:
        if starts_phase(line):
            phases.append([])
        phases[-1].append(line)
    return phases
