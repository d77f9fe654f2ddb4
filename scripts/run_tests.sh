#!/usr/bin/env bash
# Install what the tests need (scripts/setup_env.sh), then lint (ruff), check the layering contract
# (import-linter, pyproject.toml) and run the whole test suite on the CPU.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/scripts/setup_env.sh"
cd "$ROOT"
ruff check --quiet .
lint-imports --no-cache > /dev/null || lint-imports --no-cache  # quiet when the contract is kept
exec python -m pytest -q tests "$@"
