"""What a config key accepts: its type (that of its default) and, where declared, its range or choices.

The defaults tree (``config.py``) declares a constrained key as ``Key(default, ...)`` next to its comment;
a plain default declares the type only. Every value from a YAML file, ``--opts`` or a checkpoint's stored
config passes :func:`check_value`, which raises :class:`ConfigError` naming where it came from, the key,
the value and what the key accepts.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any


class ConfigError(ValueError):
    """A YAML file or override that does not fit the defaults tree."""


@dataclass(frozen=True)
class Key:
    """A declared key: its default (whose type is the key's type) and the values it accepts.

    Bounds and choices apply to the value, or to every item of a list-valued key.
    """

    default: Any
    min: float | None = None  # inclusive lower bound
    gt: float | None = None  # exclusive lower bound
    max: float | None = None  # inclusive upper bound
    choices: tuple | None = None  # the only values allowed
    pattern: str | None = None  # a regular expression a string must match in full ...
    pattern_text: str = ""  # ... and how to say it in an error message
    length: int | None = None  # list-valued keys: the exact number of items
    unique: bool = False  # list-valued keys: no item twice
    architecture: bool = False  # shapes or meaning of the network: a checkpoint resumes only if it agrees
    bookkeeping: bool = False  # where things go or how long the run is: changing it on resume is normal

    def describe(self) -> str:
        """What the key accepts, in words (for error messages and documentation)."""
        parts = []
        if self.choices is not None:
            parts.append("one of " + ", ".join(repr(c) for c in self.choices))
        if self.pattern_text:
            parts.append(self.pattern_text)
        for sign, bound in (("> ", self.gt), (">= ", self.min), ("<= ", self.max)):
            if bound is not None:
                parts.append(sign + (str(bound) if isinstance(bound, int) else f"{bound:g}"))
        return " and ".join(parts)


def _check_scalar(value: Any, expected: type, key: str, where: str) -> Any:
    """``value`` as ``expected`` (bool, int, float or str); strings of numbers are accepted for numbers (YAML
    1.1 reads '1e-4' as a string)."""
    if expected is bool:
        if isinstance(value, bool):
            return value
    elif expected is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str):
            try:
                return int(value)
            except ValueError:
                pass
    elif expected is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, str):
            try:
                return float(value)
            except ValueError:
                pass
    elif expected is str:
        if isinstance(value, str):
            return value
    raise ConfigError(f"{where}: key '{key}' expects {expected.__name__}, got {value!r} ({type(value).__name__})")


def _check_bounds(value: Any, spec: Key, key: str, where: str) -> None:
    """``value`` (one scalar) within ``spec``'s choices, pattern and bounds; NaN and infinities are refused
    wherever a bound is declared."""
    wrong = False
    if spec.choices is not None and value not in spec.choices:
        wrong = True
    if spec.pattern is not None and not (isinstance(value, str) and re.fullmatch(spec.pattern, value)):
        wrong = True
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        bounded = spec.gt is not None or spec.min is not None or spec.max is not None
        if bounded and not math.isfinite(value):
            raise ConfigError(f"{where}: key '{key}' must be a finite number ({spec.describe()}), got {value!r}")
        wrong = wrong or (spec.gt is not None and not value > spec.gt) or \
            (spec.min is not None and value < spec.min) or (spec.max is not None and value > spec.max)
    if wrong:
        raise ConfigError(f"{where}: key '{key}' must be {spec.describe()}, got {value!r}")


def _item_type(default: list, spec: Key | None, list_item_type: type | None) -> type:
    if list_item_type is not None:
        return list_item_type
    items = list(default) + list(spec.choices if spec is not None and spec.choices else [])
    if not items:
        return str
    if any(isinstance(v, float) for v in items) and all(isinstance(v, (int, float)) for v in items):
        return float
    return type(items[0])


def check_value(value: Any, default: Any, spec: Key | None, key: str, where: str,
                list_item_type: type | None = None) -> Any:
    """``value`` checked against the key's type (that of ``default``) and ``spec``; returns it converted."""
    if isinstance(default, list):
        if not isinstance(value, list):
            raise ConfigError(f"{where}: key '{key}' expects a list, got {value!r} ({type(value).__name__})")
        item_type = _item_type(default, spec, list_item_type)
        items = [_check_scalar(v, item_type, f"{key}[{i}]", where) for i, v in enumerate(value)]
        if spec is not None:
            for index, item in enumerate(items):
                _check_bounds(item, spec, f"{key}[{index}]", where)
            if spec.length is not None and len(items) != spec.length:
                raise ConfigError(f"{where}: key '{key}' must hold {spec.length} values, got {len(items)}: {value!r}")
            repeated = sorted({str(v) for v in items if items.count(v) > 1})
            if spec.unique and repeated:
                raise ConfigError(f"{where}: key '{key}' lists {', '.join(repeated)} more than once: {value!r}")
        return items
    checked = _check_scalar(value, type(default), key, where)
    if spec is not None:
        _check_bounds(checked, spec, key, where)
    return checked
