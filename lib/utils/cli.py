"""Shared command-line plumbing: run a script's body and turn expected errors into one line and exit 2."""

from __future__ import annotations

import sys
from typing import Callable


def run_reporting_errors(prog: str, body: Callable, args, expected: tuple = ()) -> int:
    """``body(args)``'s exit code; an expected error or an OSError prints ``prog: error: ...`` and gives 2."""
    try:
        return body(args)
    except expected as exc:
        print(f"{prog}: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"{prog}: error: {exc.filename or ''}: {exc.strerror or exc}", file=sys.stderr)
        return 2
