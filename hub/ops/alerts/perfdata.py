"""Nagios performance data: ``'label'=value[UOM];[warn];[crit];[min];[max]`` items.

Plugins are written by everyone and perfdata is decoration, not the alert: a bad
item must never cost us the notification, so parsing skips what it cannot read
and never raises.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

UNITS = ("us", "ms", "s", "%", "B", "KB", "MB", "GB", "TB", "c")

_VALUE = re.compile(r"^([-+]?(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:[eE][-+]?\d+)?)([A-Za-z%]*)$")


@dataclass(frozen=True)
class PerfValue:
    """One item with its unit and thresholds, for callers that graph or compare."""

    value: float
    uom: str = ""
    warn: str = ""
    crit: str = ""
    minimum: float | None = None
    maximum: float | None = None


def parse_perfdata(text: str | None) -> dict[str, float]:
    """``{label: value}`` for every readable item; the first item of a label wins."""
    return {label: item.value for label, item in parse_perfdata_items(text).items()}


def parse_perfdata_items(text: str | None) -> dict[str, PerfValue]:
    """Like :func:`parse_perfdata` but keeps unit, thresholds, min and max."""
    result: dict[str, PerfValue] = {}
    if not isinstance(text, str):
        return result
    for label, spec in _tokens(text):
        item = _parse_spec(spec)
        if item is not None and label and label not in result:
            result[label] = item
    return result


def _tokens(text: str) -> list[tuple[str, str]]:
    """Split into (label, spec) pairs; quoted labels may hold spaces and ``''`` quotes."""
    pairs: list[tuple[str, str]] = []
    i, n = 0, len(text)
    while i < n:
        if text[i].isspace():
            i += 1
            continue
        if text[i] == "'":
            quoted = _quoted(text, i + 1)
            if quoted is None:
                # Unterminated quote: drop only this word, not the rest of the line.
                while i < n and not text[i].isspace():
                    i += 1
                continue
            label, i = quoted
        else:
            start = i
            while i < n and text[i] != "=" and not text[i].isspace():
                i += 1
            label = text[start:i]
        if i >= n or text[i] != "=":
            # Not "label=": skip this word and resynchronise at the next blank.
            while i < n and not text[i].isspace():
                i += 1
            continue
        start = i + 1
        i = start
        while i < n and not text[i].isspace():
            i += 1
        pairs.append((label.strip(), text[start:i]))
    return pairs


def _quoted(text: str, i: int) -> tuple[str, int] | None:
    out: list[str] = []
    n = len(text)
    while i < n:
        if text[i] == "'":
            if i + 1 < n and text[i + 1] == "'":
                out.append("'")
                i += 2
                continue
            return "".join(out), i + 1
        out.append(text[i])
        i += 1
    return None


def _parse_spec(spec: str) -> PerfValue | None:
    fields = spec.split(";")
    match = _VALUE.match(fields[0])
    if match is None:
        return None  # includes "U" (value undetermined) and empty values
    value = _number(match.group(1))
    uom = match.group(2)
    if value is None or (uom and uom not in UNITS and uom.upper() not in UNITS):
        return None
    extra = [*fields[1:], "", "", "", ""]
    return PerfValue(
        value=value,
        uom=uom,
        warn=extra[0],
        crit=extra[1],
        minimum=_number(extra[2]),
        maximum=_number(extra[3]),
    )


def _number(text: str) -> float | None:
    try:
        number = float(text.replace(",", "."))
    except ValueError:
        return None
    return number if math.isfinite(number) else None
