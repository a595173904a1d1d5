"""A schedule as an iCalendar feed (RFC 5545) that calendar clients subscribe to.

One event per shift or override in the coming weeks, with UTC times (the clients show
them in their own zone) and a UID stable across fetches, so a client updates an
event in place instead of duplicating it when the rotation changes.
"""

from __future__ import annotations

import datetime as dt
import hashlib

import icalendar

from hub.eventstore import utcnow
from hub.oncall.rotation import Schedule

PRODID = "-//OpsHub//on-call//EN"


def _utc(at: dt.datetime) -> dt.datetime:
    return at.replace(tzinfo=dt.UTC)


def calendar_feed(schedule: Schedule, now: dt.datetime | None, weeks: int,
                  base_url: str) -> bytes:
    start = now or utcnow()
    cal = icalendar.Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", f"On call: {schedule.name}")
    cal.add("x-wr-timezone", schedule.timezone)
    stamp = _utc(start.replace(microsecond=0))
    # begin a shift back, so the current shift keeps its real start (and its UID)
    # and end a shift late, so the last shift keeps its real end instead of the window's
    until = start + dt.timedelta(weeks=weeks)
    window = schedule.segments(start - schedule.shift - dt.timedelta(days=1),
                               until + schedule.shift + dt.timedelta(days=1))
    for segment in (s for s in window if s.end > start and s.start < until):
        who = ", ".join(segment.users)
        kind = "override" if segment.override else "shift"
        uid_src = f"{schedule.name}|{segment.start.isoformat()}|{who}|{kind}"
        event = icalendar.Event()
        event.add("uid", hashlib.sha256(uid_src.encode()).hexdigest()[:32] + "@opshub")
        event.add("dtstamp", stamp)
        event.add("dtstart", _utc(segment.start))
        event.add("dtend", _utc(segment.end))
        event.add("summary", f"On call ({schedule.name}): {who}"
                  + (" (override)" if segment.override else ""))
        event.add("description", f"{kind} of schedule {schedule.name}\n"
                  f"{base_url}/api/v1/oncall/schedules/{schedule.name}/now")
        event.add("categories", ["on-call", kind])
        event.add("transp", "TRANSPARENT")
        cal.add_component(event)
    return bytes(cal.to_ical())
