"""Business-time arithmetic against hand-computed cases (no database, no clock)."""

from __future__ import annotations

import datetime as dt

import pytest

from hub.domain import ValidationError
from hub.sla.calendar import ALWAYS, BusinessCalendar
from hub.sla.clocks import TicketInputs, compute
from hub.sla.policy import SlaPolicy

H = dt.timedelta(hours=1)
M = dt.timedelta(minutes=1)
INACTIVE = frozenset({"resolved", "rejected", "deleted"})


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=dt.UTC)


def office(tz: str = "Europe/Berlin", **extra: object) -> BusinessCalendar:
    week = {d: ["08:00-18:00"] for d in ("mon", "tue", "wed", "thu", "fri")}
    return BusinessCalendar.from_dict({"timezone": tz, "hours": week, **extra})


def test_within_one_day_and_over_the_night() -> None:
    cal = office()
    # Mon 2026-03-02 10:00 Berlin (UTC+1) = 09:00Z; 4h later = 14:00 Berlin = 13:00Z.
    assert cal.add(utc(2026, 3, 2, 9), 4 * H) == utc(2026, 3, 2, 13)
    # 16:00 Berlin Monday + 4h: 2h Monday, 2h Tuesday from 08:00 -> Tue 10:00 Berlin = 09:00Z.
    assert cal.add(utc(2026, 3, 2, 15), 4 * H) == utc(2026, 3, 3, 9)
    assert cal.elapsed(utc(2026, 3, 2, 15), utc(2026, 3, 3, 9)) == 4 * H


def test_weekend_is_skipped() -> None:
    cal = office()
    # Fri 2026-03-06 17:00 Berlin (16:00Z) + 3h: 1h Friday, 2h Monday -> Mon 10:00 = 09:00Z.
    assert cal.add(utc(2026, 3, 6, 16), 3 * H) == utc(2026, 3, 9, 9)
    # Created on Saturday: the clock starts Monday 08:00.
    assert cal.add(utc(2026, 3, 7, 12), 30 * M) == utc(2026, 3, 9, 7, 30)


def test_explicit_and_national_holidays() -> None:
    cal = office(holidays=["2026-12-24"])
    # Wed 2026-12-23 17:00 Berlin + 2h: 1h Wed, Thu 24 is a holiday, Fri 25 too? Only
    # the explicit date is: Fri 25 opens at 08:00 -> 09:00 Berlin = 08:00Z.
    assert cal.add(utc(2026, 12, 23, 16), 2 * H) == utc(2026, 12, 25, 8)
    national = office(national={"country": "DE", "subdiv": "BE"})
    # Good Friday 2026-04-03 and Easter Monday 04-06 are closed in Berlin; Thu 04-02
    # 17:00 CEST (15:00Z) + 2h -> 1h Thursday, then Tue 04-07 09:00 CEST = 07:00Z.
    assert national.add(utc(2026, 4, 2, 15), 2 * H) == utc(2026, 4, 7, 7)


def test_dst_change_in_berlin() -> None:
    cal = BusinessCalendar.from_dict({"timezone": "Europe/Berlin",
                                      "hours": {"sun": ["00:00-24:00"]}})
    # Sunday 2026-03-29 loses an hour: the whole day is 23 business hours.
    day = cal.elapsed(utc(2026, 3, 28, 12), utc(2026, 3, 30, 12))
    assert day == 23 * H
    # Sunday 2026-10-25 gains one: 25 hours.
    assert cal.elapsed(utc(2026, 10, 24, 12), utc(2026, 10, 26, 12)) == 25 * H
    # Weekday hours keep their wall-clock time: 08:00 is 07:00Z before, 06:00Z after.
    week = office()
    assert week.add(utc(2026, 3, 27, 17), 30 * M) == utc(2026, 3, 30, 6, 30)


def test_dst_change_in_new_york() -> None:
    cal = office("America/New_York")
    # Fri 2026-03-06 17:00 EST (22:00Z) + 2h: 1h Friday, Mon 03-09 09:00 EDT = 13:00Z.
    assert cal.add(utc(2026, 3, 6, 22), 2 * H) == utc(2026, 3, 9, 13)
    # Fall back: Fri 2026-10-30 17:00 EDT (21:00Z) + 2h -> Mon 11-02 09:00 EST = 14:00Z.
    assert cal.add(utc(2026, 10, 30, 21), 2 * H) == utc(2026, 11, 2, 14)


def test_overnight_range() -> None:
    cal = BusinessCalendar.from_dict({"timezone": "UTC", "hours": {"mon": ["22:00-06:00"]}})
    # Monday 2026-03-02 23:00 + 5h: 7h left in the night shift -> Tue 04:00.
    assert cal.add(utc(2026, 3, 2, 23), 5 * H) == utc(2026, 3, 3, 4)
    # Tuesday 05:00 is still Monday's shift (one hour left); the next one is next Monday.
    assert cal.add(utc(2026, 3, 3, 5), 2 * H) == utc(2026, 3, 9, 23)


def test_no_calendar_is_24x7() -> None:
    assert ALWAYS.add(utc(2026, 3, 7, 12), 30 * M) == utc(2026, 3, 7, 12, 30)


@pytest.mark.parametrize("body", [
    {"timezone": "Mars/Olympus", "hours": {"mon": ["08:00-18:00"]}},
    {"timezone": "UTC", "hours": {"mon": ["8-18"]}},
    {"timezone": "UTC", "hours": {"mon": ["08:00-08:00"]}},
    {"timezone": "UTC", "hours": {"funday": ["08:00-18:00"]}},
    {"timezone": "UTC", "hours": {"mon": ["08:00-18:00"]}, "holidays": ["2026-02-30"]},
    {"timezone": "UTC", "hours": {}},
    {"timezone": "UTC", "hours": {"mon": ["08:00-18:00"]}, "national": {"country": "XX"}},
])
def test_bad_calendars_are_refused_with_a_reason(body: dict[str, object]) -> None:
    with pytest.raises(ValidationError) as err:
        BusinessCalendar.from_dict(body)
    assert str(err.value)


def inputs(statuses: list[tuple[dt.datetime, str]], *, priority: int = 0,
           reply: dt.datetime | None = None) -> TicketInputs:
    return TicketInputs(created=statuses[0][0], priority=priority, first_response=reply,
                        statuses=tuple(statuses), inactive=INACTIVE)


def test_pause_and_resume_inside_business_hours() -> None:
    cal = office()
    policy = SlaPolicy.from_dict({"response": "4h", "resolve": "8h", "pause_on": ["stalled"]})
    # Mon 09:00Z (10:00 Berlin) created; stalled 10:00Z-12:30Z: 2.5h paused.
    ticket = inputs([(utc(2026, 3, 2, 9), "new"), (utc(2026, 3, 2, 10), "stalled"),
                     (utc(2026, 3, 2, 12, 30), "open")])
    clocks = compute(ticket, policy, cal)
    assert clocks["response"].due == utc(2026, 3, 2, 15, 30)  # 13:00Z + 2.5h
    # resolve 8h: 1h before the pause, 4.5h to 17:00Z (18:00 Berlin), 2.5h Tuesday from 07:00Z.
    assert clocks["resolve"].due == utc(2026, 3, 3, 9, 30)
    assert clocks["response"].warn == utc(2026, 3, 2, 14, 42)  # 80%: 3h12m of 4h
    still = compute(inputs([(utc(2026, 3, 2, 9), "new"), (utc(2026, 3, 2, 10), "stalled")]),
                    policy, cal)
    assert still["response"].paused and still["response"].due is None


def test_response_stops_at_first_staff_reply_and_resolve_reopens() -> None:
    policy = SlaPolicy.from_dict({"response": "1h", "resolve": "4h"})
    ticket = inputs([(utc(2026, 3, 2, 9), "new"), (utc(2026, 3, 2, 10), "resolved"),
                     (utc(2026, 3, 2, 12), "open")], reply=utc(2026, 3, 2, 9, 30))
    clocks = compute(ticket, policy, ALWAYS)
    assert clocks["response"].stopped == utc(2026, 3, 2, 9, 30)
    assert not clocks["response"].breached(utc(2026, 3, 9))
    # 1h before resolving, resumed at 12:00 with 3h left.
    assert clocks["resolve"].due == utc(2026, 3, 2, 15)
    assert clocks["resolve"].stopped is None


def test_policy_change_mid_ticket_and_priority_bands() -> None:
    ticket = inputs([(utc(2026, 3, 2, 9), "new")], priority=95)
    lax = SlaPolicy.from_dict({"response": "4h"})
    strict = SlaPolicy.from_dict({"response": "4h", "by_priority": {
        "50": {"response": "1h"}, "90": {"response": "30m"}}, "warn_before": "10m"})
    assert compute(ticket, lax, ALWAYS)["response"].due == utc(2026, 3, 2, 13)
    clock = compute(ticket, strict, ALWAYS)["response"]
    assert clock.due == utc(2026, 3, 2, 9, 30)
    assert clock.warn == utc(2026, 3, 2, 9, 20)
    assert compute(inputs([(utc(2026, 3, 2, 9), "new")], priority=60), strict,
                   ALWAYS)["response"].due == utc(2026, 3, 2, 10)


@pytest.mark.parametrize("body", [{"response": "soon"}, {"by_priority": {"high": {}}},
                                  {"pause_on": "stalled", "response": "1h"}, {},
                                  {"response": "1h", "colour": "red"}])
def test_bad_policies_are_refused(body: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        SlaPolicy.from_dict(body)
