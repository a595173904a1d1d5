"""Rotation and override arithmetic against hand-computed cases (no clock: ``at`` given).

Europe/Berlin is UTC+1 in winter and UTC+2 in summer (2026: summer time from
29 March 01:00 UTC to 25 October 01:00 UTC); America/New_York is UTC-5/-4 (2026:
8 March and 1 November). A weekly 09:00 handoff stays 09:00 on the wall clock.
"""

from __future__ import annotations

import datetime as dt

import pytest

from hub.oncall.policy import PolicyError, parse_policy, single_target_policy
from hub.oncall.rotation import ScheduleError, parse_schedule

U = dt.datetime


def weekly(**extra: object) -> dict[str, object]:
    return {"timezone": "Europe/Berlin",
            "rotation": {"users": ["alice", "bob", "carol"], "shift": "1w",
                         "start": "2026-01-05T09:00"}, **extra}


def test_weekly_rotation_hands_over_at_nine_local_in_winter() -> None:
    s = parse_schedule("ops", weekly())
    assert s.on_call(U(2026, 1, 5, 7, 59)) == ()  # before the start: nobody
    assert s.on_call(U(2026, 1, 5, 8, 0)) == ("alice",)  # 09:00 CET = 08:00 UTC
    assert s.on_call(U(2026, 1, 12, 7, 59)) == ("alice",)
    assert s.on_call(U(2026, 1, 12, 8, 0)) == ("bob",)
    assert s.on_call(U(2026, 1, 19, 8, 0)) == ("carol",)
    assert s.on_call(U(2026, 1, 26, 8, 0)) == ("alice",)  # round again


def test_handoff_stays_nine_local_across_the_spring_and_autumn_changes() -> None:
    s = parse_schedule("ops", weekly())
    # Monday 23 March is CET (08:00 UTC); Monday 30 March is CEST: 09:00 = 07:00 UTC
    assert s.handoff(11) == U(2026, 3, 23, 8, 0)
    assert s.handoff(12) == U(2026, 3, 30, 7, 0)
    assert s.on_call(U(2026, 3, 30, 6, 59)) == s.on_call(U(2026, 3, 23, 8, 0))
    assert s.on_call(U(2026, 3, 30, 7, 0)) != s.on_call(U(2026, 3, 30, 6, 59))
    # that shift lasted 167 hours, not 168
    assert s.handoff(12) - s.handoff(11) == dt.timedelta(hours=167)
    # Monday 26 October is CET again: 08:00 UTC, and that week is 169 hours long
    k = next(k for k in range(60) if s.handoff(k).date() == dt.date(2026, 10, 26))
    assert s.handoff(k) == U(2026, 10, 26, 8, 0)
    assert s.handoff(k) - s.handoff(k - 1) == dt.timedelta(hours=169)
    for k in range(60):  # every handoff of the year is 09:00 on the wall clock
        assert s.to_local(s.handoff(k)).time() == dt.time(9, 0)


def test_daily_rotation_in_new_york_across_its_dst_change() -> None:
    s = parse_schedule("ny", {"timezone": "America/New_York", "rotation": {
        "users": ["dan", "eve"], "shift": "1d", "start": "2026-03-06T18:00"}})
    assert s.on_call(U(2026, 3, 6, 23, 0)) == ("dan",)    # 18:00 EST = 23:00 UTC
    assert s.on_call(U(2026, 3, 7, 23, 0)) == ("eve",)
    # 8 March: 18:00 EDT = 22:00 UTC
    assert s.on_call(U(2026, 3, 8, 21, 59)) == ("eve",)
    assert s.on_call(U(2026, 3, 8, 22, 0)) == ("dan",)


def test_an_override_wins_for_its_interval_only() -> None:
    s = parse_schedule("ops", weekly(overrides=[
        {"user": "dave", "from": "2026-01-07T12:00", "to": "2026-01-08T12:00"}]))
    assert s.on_call(U(2026, 1, 7, 10, 59)) == ("alice",)
    assert s.on_call(U(2026, 1, 7, 11, 0)) == ("dave",)  # 12:00 CET
    assert s.on_call(U(2026, 1, 8, 10, 59)) == ("dave",)
    assert s.on_call(U(2026, 1, 8, 11, 0)) == ("alice",)


def test_overrides_with_an_offset_and_overlapping_ones() -> None:
    s = parse_schedule("ops", weekly(overrides=[
        {"user": "dave", "from": "2026-01-07T11:00Z", "to": "2026-01-07T13:00Z"},
        {"user": "erin", "from": "2026-01-07T12:00+00:00", "to": "2026-01-07T14:00Z"}]))
    assert s.on_call(U(2026, 1, 7, 12, 30)) == ("dave", "erin")
    assert s.on_call(U(2026, 1, 7, 13, 30)) == ("erin",)


def test_now_and_next_names_the_end_of_this_shift_and_the_next_person() -> None:
    s = parse_schedule("ops", weekly(overrides=[
        {"user": "dave", "from": "2026-01-07T12:00", "to": "2026-01-08T12:00"}]))
    info = s.now_and_next(U(2026, 1, 6, 0, 0))
    assert info["on_call"] == ["alice"]
    assert info["until"] == U(2026, 1, 7, 11, 0)
    assert info["next"]["user"] == "dave" and info["next"]["from"] == U(2026, 1, 7, 11, 0)
    info = s.now_and_next(U(2026, 1, 8, 12, 0))  # back to alice until Monday
    assert info["on_call"] == ["alice"] and info["until"] == U(2026, 1, 12, 8, 0)
    assert info["next"]["user"] == "bob"


def test_segments_merge_and_mark_overrides() -> None:
    s = parse_schedule("ops", weekly(overrides=[
        {"user": "alice", "from": "2026-01-13T09:00", "to": "2026-01-14T09:00"}]))
    segs = s.segments(U(2026, 1, 5, 8), U(2026, 1, 19, 8))
    assert [(x.users, x.override) for x in segs] == [
        (("alice",), False), (("bob",), False), (("alice",), True), (("bob",), False)]
    assert segs[0].end == U(2026, 1, 12, 8) and segs[-1].end == U(2026, 1, 19, 8)


def test_round_trip_of_the_document() -> None:
    doc = weekly(overrides=[{"user": "dave", "from": "2026-07-07T12:00",
                             "to": "2026-07-08T12:00"}])
    assert parse_schedule("ops", doc).to_document() == doc


@pytest.mark.parametrize(("doc", "says"), [
    ({"timezone": "Mars/Olympus", "rotation": {"users": ["a"], "shift": "1d",
                                               "start": "2026-01-01T09:00"}}, "time zone"),
    (weekly(rotation={"users": ["a"], "shift": "90", "start": "2026-01-01T09:00"}), "shift"),
    (weekly(rotation={"users": ["a"], "shift": "30m", "start": "2026-01-01T09:00"}), "1h"),
    (weekly(rotation={"users": "a", "shift": "1d", "start": "2026-01-01T09:00"}), "users"),
    (weekly(rotation={"users": ["a"], "shift": "1d", "start": "soon"}), "start"),
    (weekly(overrides=[{"user": "a", "from": "2026-01-02T00:00",
                        "to": "2026-01-01T00:00"}]), "after"),
    (weekly(overrides=[{"user": "a"}]), "overrides[0]"),
    (weekly(extra=1), "unknown"),
])
def test_bad_schedules_are_refused_naming_the_field(doc: dict[str, object], says: str) -> None:
    with pytest.raises(ScheduleError, match=None) as info:
        parse_schedule("ops", doc)
    assert says in str(info.value)


def test_policies_parse_and_refuse() -> None:
    p = parse_policy("crit", {"steps": [
        {"notify": "schedule:ops", "via": ["mail", "webhook"], "wait": "5m"},
        {"notify": ["user:bob", "group:dba"], "via": "sms", "wait": "1h"}], "repeat": 2})
    assert p.steps[0].wait == dt.timedelta(minutes=5) and p.steps[1].via == ("sms",)
    assert p.to_document()["steps"][1]["notify"] == ["user:bob", "group:dba"]
    assert single_target_policy("schedule:ops").steps[0].via == ("mail", "webhook", "xmpp",
                                                                 "sms")
    for bad, says in [({"steps": []}, "steps"),
                      ({"steps": [{"notify": "team:x"}]}, "target"),
                      ({"steps": [{"notify": "user:a", "via": ["pigeon"]}]}, "pigeon"),
                      ({"steps": [{"notify": "user:a", "wait": "soon"}]}, "wait"),
                      ({"steps": [{"notify": "user:a"}], "repeat": -1}, "repeat")]:
        with pytest.raises(PolicyError) as info:
            parse_policy("p", bad)
        assert says in str(info.value)
