"""A queue's SLA policy: targets per clock, the statuses that pause them, priority bands.

The JSON body is the contract's::

    {"calendar": "office", "response": "4h", "resolve": "3d", "pause_on": ["stalled"],
     "warn_before": "30m", "by_priority": {"90": {"response": "30m", "resolve": "4h"}}}

``by_priority`` is keyed by a priority threshold: a ticket whose priority is at
least the highest matching key takes that band's targets (a band may name only
one clock; the other keeps the queue's). ``warn_before`` may be set per band too;
without it a warning fires at 80% of the target. Durations are business time on
the policy's calendar (24x7 UTC without one): ``3d`` is 72 business hours.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from hub.domain import ValidationError
from hub.durations import DurationError, format_duration, parse_duration

CLOCKS = ("response", "resolve")
WARN_SHARE = 0.8
_BAND_KEYS = {"response", "resolve", "warn_before"}
_POLICY_KEYS = {"calendar", "pause_on", "by_priority"} | _BAND_KEYS


def _duration(body: Mapping[str, Any], key: str, where: str) -> dt.timedelta | None:
    if body.get(key) is None:
        return None
    try:
        return parse_duration(body[key])
    except DurationError as exc:
        raise ValidationError(f"{where}{key}: {exc}", field=f"sla.{where}{key}") from exc


@dataclass(frozen=True)
class Targets:
    """What one ticket is held to: a target per clock (``None``: that clock does not run)."""

    response: dt.timedelta | None
    resolve: dt.timedelta | None
    warn_before: dt.timedelta | None = None

    def target(self, clock: str) -> dt.timedelta | None:
        value: dt.timedelta | None = getattr(self, clock)
        return value

    def warning_at(self, clock: str) -> dt.timedelta | None:
        """Business time after the start at which to warn (``None``: no warning)."""
        target = self.target(clock)
        if target is None:
            return None
        if self.warn_before is None:
            return target * WARN_SHARE
        lead = target - self.warn_before
        return lead if lead > dt.timedelta(0) else None


@dataclass(frozen=True)
class SlaPolicy:
    calendar: str | None
    base: Targets
    pause_on: frozenset[str] = frozenset()
    bands: tuple[tuple[int, Targets], ...] = ()  # highest threshold first

    def targets_for(self, priority: int) -> Targets:
        for threshold, band in self.bands:
            if priority >= threshold:
                return Targets(band.response or self.base.response,
                               band.resolve or self.base.resolve,
                               band.warn_before or self.base.warn_before)
        return self.base

    @classmethod
    def from_dict(cls, body: Mapping[str, Any]) -> SlaPolicy:
        if not isinstance(body, Mapping):
            raise ValidationError("sla is an object or null", field="sla")
        unknown = set(body) - _POLICY_KEYS
        if unknown:
            raise ValidationError(f"unknown sla keys: {sorted(unknown)}", field="sla",
                                  allowed=sorted(_POLICY_KEYS))
        calendar = body.get("calendar")
        if calendar is not None and not isinstance(calendar, str):
            raise ValidationError("sla.calendar is a calendar name", field="sla.calendar")
        pause_on = body.get("pause_on", [])
        if not isinstance(pause_on, list) or not all(isinstance(s, str) for s in pause_on):
            raise ValidationError("sla.pause_on is a list of statuses", field="sla.pause_on")
        base = Targets(_duration(body, "response", ""), _duration(body, "resolve", ""),
                       _duration(body, "warn_before", ""))
        raw_bands = body.get("by_priority", {})
        if not isinstance(raw_bands, Mapping):
            raise ValidationError("sla.by_priority is an object keyed by priority",
                                  field="sla.by_priority")
        bands = []
        for key, band in raw_bands.items():
            if not (isinstance(key, str) and key.isdigit() and 0 <= int(key) <= 99):
                raise ValidationError(f"sla.by_priority key {key!r} is a priority 0-99",
                                      field="sla.by_priority")
            if not isinstance(band, Mapping) or set(band) - _BAND_KEYS or not band:
                raise ValidationError(f"sla.by_priority.{key} names response, resolve or "
                                      "warn_before", field="sla.by_priority")
            where = f"by_priority.{key}."
            bands.append((int(key), Targets(_duration(band, "response", where),
                                            _duration(band, "resolve", where),
                                            _duration(band, "warn_before", where))))
        policy = cls(calendar, base, frozenset(pause_on),
                     tuple(sorted(bands, key=lambda b: -b[0])))
        if base.response is None and base.resolve is None and not bands:
            raise ValidationError("sla needs a response or resolve target", field="sla")
        return policy

    def as_dict(self) -> dict[str, Any]:
        def band(t: Targets) -> dict[str, str]:
            return {k: format_duration(v) for k, v in (
                ("response", t.response), ("resolve", t.resolve),
                ("warn_before", t.warn_before)) if v is not None}

        out: dict[str, Any] = band(self.base)
        if self.calendar is not None:
            out["calendar"] = self.calendar
        out["pause_on"] = sorted(self.pause_on)
        if self.bands:
            out["by_priority"] = {str(k): band(t) for k, t in sorted(self.bands)}
        return out


def normalise(body: object) -> dict[str, Any] | None:
    """The stored form of a queue's ``sla`` body (``None`` clears it); raises
    ValidationError with the reason for a bad one. Registered with the tickets feature
    as the validator of the queue setting ``sla``."""
    if body is None:
        return None
    if not isinstance(body, Mapping):
        raise ValidationError("sla is an object or null", field="sla")
    return SlaPolicy.from_dict(body).as_dict()
