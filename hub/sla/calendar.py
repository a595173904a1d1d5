"""Business calendars: when the SLA clock runs.

A calendar is an IANA time zone, weekly opening hours (several ranges a day; a
range whose end is not after its start runs overnight into the next day; a day
left out is closed) and holidays (explicit dates, plus optionally a national set
from the ``holidays`` package). A range belongs to the day it starts on, so a
holiday closes the ranges that start on it.

Arithmetic works on UTC instants: each local day's ranges are turned into UTC
intervals through ``zoneinfo``, so a DST change shortens or lengthens the day it
falls on exactly as a wall clock does. No calendar means 24x7 (see
:data:`ALWAYS`). Pure: no SQL, no clock; callers pass the instants.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from hub.domain import ValidationError

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_RANGE = re.compile(r"^([01][0-9]|2[0-3]):([0-5][0-9])-([01][0-9]|2[0-4]):([0-5][0-9])$")
_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]{0,63}$")
#: How far arithmetic looks for open hours before it calls a calendar "never open".
SEARCH_DAYS = 3660
ZERO = dt.timedelta(0)

Interval = tuple[dt.datetime, dt.datetime]


def check_name(name: str) -> str:
    if not _NAME.match(name):
        raise ValidationError("calendar names start with a letter and use letters, digits, "
                              ". _ - (at most 64)", field="name")
    return name


def _minutes(hours: str, minutes: str) -> int:
    return int(hours) * 60 + int(minutes)


def parse_range(text: object) -> tuple[int, int]:
    """``"08:00-18:00"`` -> minutes from midnight ``(480, 1080)``; ``"22:00-06:00"`` runs
    overnight (end <= start), ``"00:00-24:00"`` is the whole day."""
    match = _RANGE.match(text) if isinstance(text, str) else None
    if match is None:
        raise ValidationError(f"opening hours are written HH:MM-HH:MM, not {text!r}",
                              field="hours")
    start = _minutes(match[1], match[2])
    end = _minutes(match[3], match[4])
    if end > 24 * 60:
        raise ValidationError(f"{text!r}: 24:00 is the latest end", field="hours")
    if start == end == 0 or (start == 0 and end == 24 * 60):
        return 0, 24 * 60
    if end == start:
        raise ValidationError(f"{text!r} is empty", field="hours")
    return start, end


def _zone(name: object) -> ZoneInfo:
    if not isinstance(name, str) or not name:
        raise ValidationError("timezone is an IANA name such as Europe/Berlin",
                              field="timezone")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:  # OSError: 'Europe', long names
        raise ValidationError(f"unknown time zone {name!r}", field="timezone") from exc


def _national(spec: object) -> tuple[str, str | None] | None:
    if spec is None:
        return None
    if not isinstance(spec, Mapping) or not isinstance(spec.get("country"), str):
        raise ValidationError('national is {"country": "DE", "subdiv": "BE"?}',
                              field="national")
    import holidays

    country, subdiv = spec["country"].upper(), spec.get("subdiv")
    if subdiv is not None and not isinstance(subdiv, str):
        raise ValidationError("national.subdiv is a string such as BE", field="national")
    try:
        holidays.country_holidays(country, subdiv=subdiv, years=2000)
    except NotImplementedError as exc:
        raise ValidationError(f"the holidays package knows no country {country!r}",
                              field="national") from exc
    except Exception as exc:  # holidays raises NotImplementedError or its own errors
        raise ValidationError(f"national holidays: {exc}", field="national") from exc
    return country, subdiv


@dataclass(frozen=True, eq=False)
class BusinessCalendar:
    """A validated calendar; build it with :meth:`from_dict`."""

    timezone: str
    hours: tuple[tuple[tuple[int, int], ...], ...]  # per weekday, Monday first
    holidays: frozenset[dt.date] = frozenset()
    national: tuple[str, str | None] | None = None
    _days: dict[dt.date, tuple[Interval, ...]] = field(default_factory=dict, repr=False)
    _national_years: dict[int, frozenset[dt.date]] = field(default_factory=dict, repr=False)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BusinessCalendar:
        if not isinstance(data, Mapping):
            raise ValidationError("a calendar is a JSON object")
        unknown = set(data) - {"timezone", "hours", "holidays", "national", "name"}
        if unknown:
            raise ValidationError(f"unknown calendar keys: {sorted(unknown)}")
        zone = _zone(data.get("timezone"))
        raw_hours = data.get("hours", {})
        if not isinstance(raw_hours, Mapping) or set(raw_hours) - set(DAYS):
            raise ValidationError(f"hours is an object keyed by {', '.join(DAYS)}",
                                  field="hours")
        week = []
        for day in DAYS:
            ranges = raw_hours.get(day, [])
            if not isinstance(ranges, list):
                raise ValidationError(f"hours.{day} is a list of HH:MM-HH:MM", field="hours")
            week.append(tuple(sorted(parse_range(r) for r in ranges)))
        if not any(week):
            raise ValidationError("a calendar needs opening hours on at least one day",
                                  field="hours")
        raw_holidays = data.get("holidays", [])
        if not isinstance(raw_holidays, list):
            raise ValidationError("holidays is a list of YYYY-MM-DD dates", field="holidays")
        dates = set()
        for text in raw_holidays:
            try:
                dates.add(dt.date.fromisoformat(text))
            except (TypeError, ValueError) as exc:
                raise ValidationError(f"holiday {text!r} is not a YYYY-MM-DD date",
                                      field="holidays") from exc
        return cls(str(zone.key), tuple(week), frozenset(dates), _national(data.get("national")))

    def as_dict(self) -> dict[str, Any]:
        def text(minutes: int) -> str:
            return f"{minutes // 60:02d}:{minutes % 60:02d}"

        out: dict[str, Any] = {
            "timezone": self.timezone,
            "hours": {day: [f"{text(a)}-{text(b)}" for a, b in ranges]
                      for day, ranges in zip(DAYS, self.hours, strict=True) if ranges},
            "holidays": sorted(d.isoformat() for d in self.holidays),
        }
        if self.national:
            out["national"] = {"country": self.national[0], "subdiv": self.national[1]}
        return out

    def is_holiday(self, day: dt.date) -> bool:
        if day in self.holidays:
            return True
        if self.national is None:
            return False
        year = self._national_years.get(day.year)
        if year is None:
            import holidays

            found = holidays.country_holidays(self.national[0], subdiv=self.national[1],
                                              years=day.year)
            year = self._national_years[day.year] = frozenset(found)
        return day in year

    def intervals_on(self, day: dt.date) -> tuple[Interval, ...]:
        """The UTC intervals of the ranges that start on local ``day`` (cached)."""
        cached = self._days.get(day)
        if cached is not None:
            return cached
        out: list[Interval] = []
        if not self.is_holiday(day):
            zone = ZoneInfo(self.timezone)
            midnight = dt.datetime.combine(day, dt.time())
            for start, end in self.hours[day.weekday()]:
                local_end = midnight + dt.timedelta(minutes=end if end > start else end + 1440)
                begin = (midnight + dt.timedelta(minutes=start)).replace(tzinfo=zone)
                finish = local_end.replace(tzinfo=zone)
                a, b = begin.astimezone(dt.UTC), finish.astimezone(dt.UTC)
                if b > a:
                    out.append((a, b))
        result = self._days[day] = tuple(out)
        return result

    def _local_day(self, at: dt.datetime) -> dt.date:
        return at.astimezone(ZoneInfo(self.timezone)).date()

    def open_intervals(self, start: dt.datetime) -> Iterator[Interval]:
        """Open intervals (clipped to begin at ``start``) from ``start`` onwards, in order.

        Starts a day early so an overnight range begun yesterday is included."""
        day = self._local_day(start) - dt.timedelta(days=1)
        for _ in range(SEARCH_DAYS):
            for a, b in self.intervals_on(day):
                if b > start:
                    yield max(a, start), b
            day += dt.timedelta(days=1)

    def add(self, start: dt.datetime, duration: dt.timedelta) -> dt.datetime:
        """The instant when ``duration`` of business time has passed since ``start``."""
        remaining = duration
        cursor = start
        for a, b in self.open_intervals(start):
            a = max(a, cursor)
            if b <= a:
                continue
            if b - a >= remaining:
                return a + remaining
            remaining -= b - a
            cursor = b
        raise ValidationError(f"calendar {self.timezone} has no open hours within "
                              f"{SEARCH_DAYS} days")

    def elapsed(self, start: dt.datetime, end: dt.datetime) -> dt.timedelta:
        """Business time between two instants (zero when ``end`` is not after ``start``)."""
        total = ZERO
        cursor = start
        if end <= start:
            return ZERO
        for a, b in self.open_intervals(start):
            a = max(a, cursor)
            if a >= end:
                break
            if b > a:
                total += min(b, end) - a
                cursor = min(b, end)
        return total


class AlwaysOpen:
    """24x7 in UTC: what a policy without a calendar runs on."""

    timezone = "UTC"

    def add(self, start: dt.datetime, duration: dt.timedelta) -> dt.datetime:
        return start + duration

    def elapsed(self, start: dt.datetime, end: dt.datetime) -> dt.timedelta:
        return max(end - start, ZERO)


ALWAYS = AlwaysOpen()
Clock = BusinessCalendar | AlwaysOpen
