"""Command-line plumbing shared by the entry points: their exit codes, and errors printed as one line.

Library code never prints; the entry points in ``tracking/`` and ``scripts/`` report through here.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path

EXIT_OK = 0
EXIT_FAILED = 1  # the work itself failed (network, a full disk, a sequence that could not be tracked)
EXIT_BAD_INPUT = 2  # arguments, config, data or checkpoint that cannot be used
EXIT_INTERRUPTED = 130  # Ctrl-C


def fail(message, code: int = EXIT_BAD_INPUT, prog: str | None = None) -> int:
    """Print ``[prog: ]error: message`` as one line on stderr and return ``code`` (``return fail(exc)``)."""
    print(f"{prog + ': ' if prog else ''}error: {message}", file=sys.stderr)
    return code


def run_reporting_errors(prog: str, body: Callable, args, expected: tuple = (), failures: tuple = ()) -> int:
    """``body(args)``'s exit code, errors as one ``prog: error: ...`` line.

    ``expected`` errors (bad input) and OSErrors give exit code 2; ``failures`` (e.g. the network) give 1.
    """
    try:
        return body(args)
    except expected as exc:
        return fail(exc, EXIT_BAD_INPUT, prog)
    except failures as exc:
        return fail(exc, EXIT_FAILED, prog)
    except OSError as exc:
        return fail(f"{exc.filename or ''}: {exc.strerror or exc}", EXIT_BAD_INPUT, prog)


def parse_checked(parser: argparse.ArgumentParser, argv, problem: Callable) -> argparse.Namespace:
    """``parser``'s arguments; ``problem(args)`` (a message, or None) exits with argparse's usage line and 2."""
    args = parser.parse_args(argv)
    if message := problem(args):
        parser.error(message)
    return args


def write_json_report(path, report: dict) -> None:
    """Write a script's figures to ``path`` as indented JSON (its folder made if needed) and say so."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {path}")
