"""Moments as people read them: "3 minutes ago", with the exact local time on hover.

Read models keep times as naive UTC datetimes or ISO 8601 strings (``...Z``, with an
offset, or naive, and sometimes with microseconds); pages never show those raw. Every
page shows a moment as a ``<time>`` element whose text is relative to now, whose
``title`` is the exact minute in the viewer's time zone with its abbreviation, and
whose ``datetime`` attribute is the UTC instant to the second, for machines and
screen readers. Pure functions: the caller passes ``now`` and the zone, so the same
moment renders the same way in tests and on every node.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from markupsafe import Markup, escape

UTC = dt.UTC

#: (limit in seconds below which the unit applies, unit length in seconds, unit name)
_UNITS: tuple[tuple[float, float, str], ...] = (
    (45 * 60, 60, "minute"),
    (22 * 3600, 3600, "hour"),
    (26 * 86400, 86400, "day"),
    (320 * 86400, 30 * 86400, "month"),
)


def parse_moment(value: object) -> dt.datetime | None:
    """An aware UTC datetime from a datetime (naive means UTC), an ISO string, or None.

    A string that is not a moment gives None, so a page shows nothing rather than fail.
    """
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, dt.date):
        moment = dt.datetime(value.year, value.month, value.day)
    elif isinstance(value, str):
        try:
            moment = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return None
    else:
        return None
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def relative(moment: dt.datetime, now: dt.datetime) -> str:
    """``3 minutes ago``, ``in 2 days``, ``just now``: rounded the way people say it."""
    seconds = (moment - now).total_seconds()
    future = seconds > 0
    span = abs(seconds)
    if span < 45:
        return "just now" if not future or span < 5 else "in less than a minute"
    unit, name = next(((u, n) for limit, u, n in _UNITS if span < limit),
                      (365.25 * 86400, "year"))
    count = max(1, round(span / unit))
    words = f"{count} {name}{'' if count == 1 else 's'}"
    return f"in {words}" if future else f"{words} ago"


def exact(moment: dt.datetime, zone: dt.tzinfo) -> str:
    """``2026-12-02 16:04 CET``: the minute in ``zone``, with the zone's abbreviation."""
    local = moment.astimezone(zone)
    return f"{local:%Y-%m-%d %H:%M} {local.tzname() or ''}".rstrip()


def machine(moment: dt.datetime) -> str:
    """``2026-12-02T15:04:05Z``: the UTC instant to the second (no microseconds)."""
    return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def time_tag(value: object, now: dt.datetime, zone: dt.tzinfo, empty: str = "") -> Markup:
    """The ``<time>`` element for ``value``; ``empty`` (escaped) when there is no moment."""
    moment = parse_moment(value)
    if moment is None:
        return Markup(escape(empty))  # noqa: S704 (escaped just now)
    return Markup('<time datetime="{}" title="{}">{}</time>').format(
        machine(moment), exact(moment, zone), relative(moment, now))


@lru_cache(maxsize=1)
def zone_names() -> tuple[str, ...]:
    """IANA zone names this machine knows, sorted (the choices of the preference)."""
    return tuple(sorted(available_timezones()))


def zone_or_none(name: str | None) -> ZoneInfo | None:
    """The zone called ``name`` when it is a known IANA name, else None (never a path)."""
    if not name or (name not in zone_names() and name != "UTC"):
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None
