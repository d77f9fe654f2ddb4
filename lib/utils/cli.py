"""Shared command-line plumbing: run a script's body and turn expected errors into one line and exit 2."""

from __future__ import annotations

import sys
from typing import Callable


def run_reporting_errors(prog: str, body: Callable, args, expected: tuple = (), failures: tuple = ()) -> int:
    """``body(args)``'s exit code, errors as one ``prog: error: ...`` line.

    ``expected`` errors (bad input) and OSErrors give exit code 2; ``failures`` (e.g. the network) give 1.
    """
    try:
        return body(args)
    except expected as exc:
        print(f"{prog}: error: {exc}", file=sys.stderr)
        return 2
    except failures as exc:
        print(f"{prog}: error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"{prog}: error: {exc.filename or ''}: {exc.strerror or exc}", file=sys.stderr)
        return 2
