"""Who is on call when: rotation and override arithmetic, pure and clock-free.

Why local time: a team hands over "every Monday at 09:00 Berlin time", and that
stays 09:00 on the wall clock across daylight saving changes. So handoff ``k`` is
``start + k * shift`` computed on the schedule's *local* calendar and only then
turned into UTC; a week across the spring change is 167 hours long, not 168.

Overrides (holidays, swaps) win over the rotation for their interval. Everything
here takes and returns naive UTC datetimes, the one form the hub stores; callers
pass ``now`` so tests control the clock.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from hub.durations import DurationError, format_duration, parse_duration

NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
MIN_SHIFT = dt.timedelta(hours=1)
#: A feed or a "next" lookup never walks further than this.
HORIZON = dt.timedelta(days=400)


class ScheduleError(ValueError):
    """A schedule document is malformed; the message names the field."""


@dataclass(frozen=True)
class Override:
    user: str
    start: dt.datetime  # naive UTC
    end: dt.datetime


@dataclass(frozen=True)
class Segment:
    """An interval in which the same people are on call (``override`` when one applies)."""

    start: dt.datetime
    end: dt.datetime
    users: tuple[str, ...]
    override: bool = False


@dataclass(frozen=True)
class Schedule:
    name: str
    timezone: str
    users: tuple[str, ...]
    shift: dt.timedelta
    start_local: dt.datetime  # naive, on the schedule's wall clock
    overrides: tuple[Override, ...] = field(default_factory=tuple)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    # -- conversions -------------------------------------------------------------------
    def to_utc(self, local: dt.datetime) -> dt.datetime:
        """A wall-clock time of the schedule as naive UTC (a time skipped by a spring
        change counts as the moment just after it)."""
        aware = local.replace(tzinfo=self.zone)
        return aware.astimezone(dt.UTC).replace(tzinfo=None)

    def to_local(self, utc: dt.datetime) -> dt.datetime:
        return utc.replace(tzinfo=dt.UTC).astimezone(self.zone).replace(tzinfo=None)

    # -- the rotation --------------------------------------------------------------------
    def shift_index(self, at: dt.datetime) -> int | None:
        """Which shift (0, 1, ...) holds the UTC instant ``at``; None before the start."""
        local = self.to_local(at)
        if local < self.start_local:
            return None
        k = int((local - self.start_local) // self.shift)
        # the wall-clock estimate may be one off around a DST change: settle it in UTC
        while k > 0 and self.handoff(k) > at:
            k -= 1
        while self.handoff(k + 1) <= at:
            k += 1
        return k

    def handoff(self, k: int) -> dt.datetime:
        """The UTC start of shift ``k``."""
        return self.to_utc(self.start_local + k * self.shift)

    def rotation_at(self, at: dt.datetime) -> tuple[str, ...]:
        k = self.shift_index(at)
        if k is None or not self.users:
            return ()
        return (self.users[k % len(self.users)],)

    def overrides_at(self, at: dt.datetime) -> tuple[str, ...]:
        return tuple(dict.fromkeys(o.user for o in self.overrides if o.start <= at < o.end))

    def on_call(self, at: dt.datetime) -> tuple[str, ...]:
        """The people on call at ``at``: the overriding ones if any override holds."""
        return self.overrides_at(at) or self.rotation_at(at)

    # -- intervals -----------------------------------------------------------------------
    def boundaries(self, start: dt.datetime, end: dt.datetime) -> list[dt.datetime]:
        """Every instant in ``(start, end)`` where who is on call may change."""
        points: set[dt.datetime] = set()
        first = self.shift_index(start)
        k = 0 if first is None else first + 1
        while self.users and (at := self.handoff(k)) < end:
            if at > start:
                points.add(at)
            k += 1
        for o in self.overrides:
            points.update(p for p in (o.start, o.end) if start < p < end)
        return sorted(points)

    def segments(self, start: dt.datetime, end: dt.datetime) -> list[Segment]:
        """The on-call intervals covering ``[start, end)``, neighbours with the same
        people merged; intervals with nobody on call are left out."""
        cuts = [start, *self.boundaries(start, end), end]
        out: list[Segment] = []
        for a, b in pairwise(cuts):
            users = self.on_call(a)
            override = bool(self.overrides_at(a))
            if out and out[-1].users == users and out[-1].end == a \
                    and out[-1].override == override:
                out[-1] = Segment(out[-1].start, b, users, override)
            elif users:
                out.append(Segment(a, b, users, override))
        return out

    def now_and_next(self, at: dt.datetime) -> dict[str, Any]:
        """``{on_call, until, next: {user, from} | None}`` at ``at`` (naive UTC)."""
        current = self.on_call(at)
        horizon = at + HORIZON
        until: dt.datetime | None = None
        nxt: dict[str, Any] | None = None
        for point in self.boundaries(at, horizon):
            users = self.on_call(point)
            if users == current:
                continue
            if until is None:
                until = point
            if users:
                nxt = {"user": users[0], "users": list(users), "from": point}
                break
        return {"on_call": list(current), "until": until, "next": nxt}

    def to_document(self) -> dict[str, Any]:
        """The schedule as ``PUT`` takes it (times on the schedule's wall clock)."""
        return {
            "timezone": self.timezone,
            "rotation": {"users": list(self.users), "shift": format_duration(self.shift),
                         "start": self.start_local.isoformat(timespec="minutes")},
            "overrides": [{"user": o.user,
                           "from": self.to_local(o.start).isoformat(timespec="minutes"),
                           "to": self.to_local(o.end).isoformat(timespec="minutes")}
                          for o in self.overrides],
        }


# -- parsing ----------------------------------------------------------------------------
def _zone(value: object) -> str:
    if not isinstance(value, str) or not value:
        raise ScheduleError("'timezone' must be an IANA zone name such as Europe/Berlin")
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:  # OSError: 'Europe', long names
        raise ScheduleError(f"'timezone': unknown time zone {value!r}") from exc
    return value


def _local_time(value: object, where: str, zone: ZoneInfo) -> dt.datetime:
    """An ISO time; with an offset it is converted to the schedule's wall clock."""
    if not isinstance(value, str):
        raise ScheduleError(f"{where} must be an ISO 8601 time such as 2026-01-05T09:00")
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise ScheduleError(f"{where}: {value!r} is not an ISO 8601 time") from exc
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(zone).replace(tzinfo=None)
    return parsed.replace(microsecond=0)


def _users(value: object, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(u, str) and u for u in value):
        raise ScheduleError(f"{where} must be a list of user names")
    return tuple(value)


def parse_schedule(name: str, doc: Mapping[str, Any]) -> Schedule:
    """A :class:`Schedule` from the API document; :class:`ScheduleError` names the field."""
    if not NAME.fullmatch(name):
        raise ScheduleError("a schedule name is 1-64 letters, digits, '.', '_' or '-'")
    if not isinstance(doc, Mapping):
        raise ScheduleError("a schedule is a JSON object")
    unknown = sorted(set(doc) - {"timezone", "rotation", "overrides"})
    if unknown:
        raise ScheduleError(f"unknown fields: {unknown}")
    timezone = _zone(doc.get("timezone"))
    zone = ZoneInfo(timezone)
    rotation = doc.get("rotation")
    if not isinstance(rotation, Mapping):
        raise ScheduleError("'rotation' must be an object {users, shift, start}")
    unknown = sorted(set(rotation) - {"users", "shift", "start"})
    if unknown:
        raise ScheduleError(f"rotation: unknown fields: {unknown}")
    users = _users(rotation.get("users"), "rotation.users")
    try:
        shift = parse_duration(rotation.get("shift"))
    except DurationError as exc:
        raise ScheduleError(f"rotation.shift: {exc}") from exc
    if shift < MIN_SHIFT:
        raise ScheduleError("rotation.shift must be at least 1h")
    start = _local_time(rotation.get("start"), "rotation.start", zone)
    schedule = Schedule(name, timezone, users, shift, start)
    return Schedule(name, timezone, users, shift, start,
                    _overrides(doc.get("overrides"), schedule, zone))


def _overrides(value: object, schedule: Schedule, zone: ZoneInfo) -> tuple[Override, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise ScheduleError("'overrides' must be a list of {user, from, to}")
    out = []
    for i, item in enumerate(value):
        where = f"overrides[{i}]"
        if not isinstance(item, Mapping) or set(item) != {"user", "from", "to"}:
            raise ScheduleError(f"{where} must be an object with exactly user, from and to")
        user = item["user"]
        if not isinstance(user, str) or not user:
            raise ScheduleError(f"{where}.user must be a user name")
        start = schedule.to_utc(_local_time(item["from"], f"{where}.from", zone))
        end = schedule.to_utc(_local_time(item["to"], f"{where}.to", zone))
        if end <= start:
            raise ScheduleError(f"{where}: 'to' must be after 'from'")
        out.append(Override(user, start, end))
    return tuple(out)


def people(schedule: Schedule) -> Sequence[str]:
    """Every user the schedule names (for checking that they exist)."""
    return list(dict.fromkeys([*schedule.users, *(o.user for o in schedule.overrides)]))
