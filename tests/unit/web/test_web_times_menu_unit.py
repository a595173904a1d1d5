"""Relative times, the main menu per role, history sentences and error wording, alone."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from hub.actors import Actor
from hub.web.errors import message_for
from hub.web.menu import items_for
from hub.webkit import times
from hub.webkit.render import describe

NOW = dt.datetime(2026, 12, 2, 15, 4, 30, tzinfo=dt.UTC)
BERLIN = ZoneInfo("Europe/Berlin")


@pytest.mark.parametrize(("delta", "said"), [
    (dt.timedelta(seconds=-10), "just now"),
    (dt.timedelta(minutes=-1), "1 minute ago"),
    (dt.timedelta(minutes=-3), "3 minutes ago"),
    (dt.timedelta(minutes=-50), "1 hour ago"),
    (dt.timedelta(hours=-5), "5 hours ago"),
    (dt.timedelta(hours=-23), "1 day ago"),
    (dt.timedelta(days=2), "in 2 days"),
    (dt.timedelta(minutes=10), "in 10 minutes"),
    (dt.timedelta(days=-60), "2 months ago"),
    (dt.timedelta(days=-800), "2 years ago"),
])
def test_relative_wording(delta: dt.timedelta, said: str) -> None:
    assert times.relative(NOW + delta, NOW) == said


def test_exact_time_in_the_viewers_zone_and_machine_time_without_microseconds() -> None:
    moment = times.parse_moment("2026-12-02T15:04:05.123456Z")
    assert moment is not None
    assert times.exact(moment, BERLIN) == "2026-12-02 16:04 CET"
    assert times.exact(moment, dt.UTC) == "2026-12-02 15:04 UTC"
    summer = times.parse_moment("2026-07-01T10:00:00")  # naive read-model time is UTC
    assert summer is not None and times.exact(summer, BERLIN) == "2026-07-01 12:00 CEST"
    assert times.machine(moment) == "2026-12-02T15:04:05Z"


def test_parse_moment_takes_every_shape_the_read_models_hold() -> None:
    naive = dt.datetime(2026, 1, 2, 3, 4, 5, 678)
    assert times.parse_moment(naive) == naive.replace(tzinfo=dt.UTC)
    assert times.parse_moment("2026-01-02T04:04:05+01:00") == dt.datetime(
        2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
    assert times.parse_moment(dt.date(2026, 1, 2)) == dt.datetime(2026, 1, 2, tzinfo=dt.UTC)
    assert times.parse_moment(None) is None
    assert times.parse_moment("") is None
    assert times.parse_moment("yesterday") is None


def test_time_tag_markup_is_escaped_and_complete() -> None:
    tag = times.time_tag("2026-12-02T15:01:30.5Z", NOW, BERLIN)
    assert str(tag) == ('<time datetime="2026-12-02T15:01:30Z" title="2026-12-02 16:01 CET">'
                        "3 minutes ago</time>")
    assert str(times.time_tag(None, NOW, BERLIN, "<not set>")) == "&lt;not set&gt;"


def test_only_real_zone_names_are_accepted() -> None:
    assert times.zone_or_none("Europe/Berlin") == BERLIN
    assert times.zone_or_none("UTC") is not None
    for bad in ("", None, "../../etc/passwd", "/etc/localtime", "Mars/Olympus"):
        assert times.zone_or_none(bad) is None
    assert "Europe/Berlin" in times.zone_names()


def _actor(role: str) -> Actor:
    return Actor(name=f"a-{role}", email=f"{role}@example.com", role=role, source="web")


def _menu(role: str, path: str, **kw: bool) -> dict[str, bool]:
    return {i.href: i.current for i in items_for(_actor(role), path, **kw)}


def test_staff_menu_links_every_feature_and_admin_only_for_admins() -> None:
    staff = _menu("staff", "/")
    for href in ("/", "/wiki/", "/runbooks", "/alerts", "/search", "/tickets", "/dashboard",
                 "/account"):
        assert href in staff
    assert "/admin" not in staff
    assert "/admin" in _menu("admin", "/")
    assert items_for(None, "/") == []


def test_customer_menu_holds_only_what_customers_use() -> None:
    customer = _menu("customer", "/")
    assert set(customer) == {"/", "/tickets/new", "/search", "/account"}
    assert "/tickets/new" not in _menu("customer", "/", may_create=False)


@pytest.mark.parametrize(("path", "current"), [
    ("/", "/"), ("/queues/General", "/"), ("/tickets", "/tickets"), ("/tickets/12", "/tickets"),
    ("/tickets/new", "/tickets/new"), ("/wiki/Main/WebHome", "/wiki/"),
    ("/runs/3", "/runbooks"), ("/runbooks/Runbooks/DrainWebNode", "/runbooks"),
    ("/alerts", "/alerts"), ("/admin/users/bob", "/admin"), ("/search", "/search"),
])
def test_the_current_section_is_the_longest_matching_one(path: str, current: str) -> None:
    marked = [href for href, on in _menu("admin", path).items() if on]
    assert marked == [current]


def test_no_section_is_marked_on_an_unknown_path() -> None:
    assert not any(_menu("staff", "/nowhere").values())
    assert not any(_menu("staff", "/ticketsx").values())


def _said(kind: str, data: dict[str, object]) -> str:
    event = {"position": 1, "version": 1, "type": kind, "ticket_id": 1, "actor": "x",
             "source": "web", "at": "2026-01-01T00:00:00Z", "data": data}
    return str(describe(event)["summary"])


def test_history_sentences_treat_zero_as_a_value_and_say_nobody() -> None:
    assert _said("TicketPriorityChanged", {"old": 0, "new": 30}) == \
        "Priority changed from 0 to 30"
    assert _said("TicketPriorityChanged", {"old": 30, "new": 0}) == \
        "Priority changed from 30 to 0"
    assert _said("TicketOwnerChanged", {"old": None, "new": "alice", "how": "take"}) == \
        "Owner changed from Nobody to alice"
    assert _said("TicketOwnerChanged", {"old": "alice", "new": None, "how": "untake"}) == \
        "Owner changed from alice to Nobody"
    assert _said("TicketQueueChanged", {"old": "General", "new": "Ops"}) == \
        "Queue changed from General to Ops"
    assert _said("TicketDueChanged", {"old": None, "new": "2026-01-31T00:00:00"}) == \
        "Due changed from (not set) to 2026-01-31"
    assert _said("TicketFieldChanged", {"name": "Rack", "old": None, "new": "B2"}) == \
        "Rack changed from (not set) to B2"
    assert _said("TicketFieldChanged", {"name": "Count", "old": 0, "new": ["a", "b"]}) == \
        "Count changed from 0 to a, b"
    assert "nothing" not in _said("TicketStatusChanged", {"old": "new", "new": "open"})


def test_error_pages_replace_stock_sentences_and_never_leak_a_500() -> None:
    assert "nothing here" in message_for(404, "The requested URL was not found on the server.")
    assert message_for(404, "no such ticket") == "no such ticket"
    assert message_for(500, "KeyError: 'secret'") == "Something went wrong on our side; it " \
        "has been logged."
    assert "ask an administrator" in message_for(403, None)
