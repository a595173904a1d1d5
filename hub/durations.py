"""Durations as people write them in policies and rules: ``30s``, ``5m``, ``4h``, ``3d``, ``1w``.

One parser for SLA targets, rule conditions, reminders, rotations and escalation waits,
so the same text means the same time everywhere and a typo is refused with its reason.
Compound forms (``1h30m``) are accepted; a bare number is not (is ``90`` minutes or seconds?).
"""

from __future__ import annotations

import datetime as dt
import re

UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_PART = re.compile(r"(\d+)([smhdw])")
_WHOLE = re.compile(r"^(?:\d+[smhdw])+$")
MAX = dt.timedelta(days=3660)


class DurationError(ValueError):
    """Text that is not a duration such as ``30s``, ``5m``, ``4h``, ``3d`` or ``1w``."""


def parse_duration(text: object) -> dt.timedelta:
    """``"1h30m"`` -> ``timedelta(hours=1, minutes=30)``; positive and at most ten years."""
    if not isinstance(text, str) or not _WHOLE.match(text.strip().lower()):
        raise DurationError(f"{text!r} is not a duration (write e.g. 30s, 5m, 4h, 3d, 1w)")
    seconds = sum(int(n) * UNITS[u] for n, u in _PART.findall(text.strip().lower()))
    if seconds <= 0:
        raise DurationError(f"{text!r}: a duration must be longer than zero")
    if seconds > MAX.total_seconds():  # before timedelta, which overflows on huge numbers
        raise DurationError(f"{text!r}: durations are at most ten years")
    return dt.timedelta(seconds=seconds)


def format_duration(value: dt.timedelta) -> str:
    """The shortest text :func:`parse_duration` reads back as ``value`` (``5400s`` -> ``1h30m``)."""
    seconds = int(value.total_seconds())
    if seconds <= 0:
        raise DurationError("only positive durations have a text form")
    out = []
    for unit, size in sorted(UNITS.items(), key=lambda item: -item[1]):
        if unit == "w" and seconds % size:
            continue  # 10d reads better than 1w3d
        count, seconds = divmod(seconds, size)
        if count:
            out.append(f"{count}{unit}")
    return "".join(out)
