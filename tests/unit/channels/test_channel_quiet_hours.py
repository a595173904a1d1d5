"""Quiet hours, delivery ids and backoff: arithmetic with a given clock."""

from __future__ import annotations

import datetime as dt

import pytest

from hub.accounts.contacts import (
    clean_contacts,
    clean_jid,
    clean_phone,
    clean_quiet_hours,
    clean_webhook_url,
    quiet_until,
)
from hub.channels.model import MAX_ATTEMPTS, backoff, delivery_id
from hub.domain import ValidationError

NIGHT = {"timezone": "Europe/Berlin", "from": "22:00", "to": "07:00"}


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args)  # naive UTC, as the hub stores times


def test_overnight_quiet_hours_end_next_morning_in_the_users_zone() -> None:
    # 23:30 in Berlin (CET, UTC+1) on a Tuesday: quiet until 07:00 Berlin = 06:00 UTC.
    assert quiet_until(NIGHT, utc(2026, 1, 13, 22, 30)) == utc(2026, 1, 14, 6, 0)
    # 03:00 Berlin: the same night, same end.
    assert quiet_until(NIGHT, utc(2026, 1, 14, 2, 0)) == utc(2026, 1, 14, 6, 0)
    # 07:00 Berlin sharp and noon: not quiet.
    assert quiet_until(NIGHT, utc(2026, 1, 14, 6, 0)) is None
    assert quiet_until(NIGHT, utc(2026, 1, 14, 11, 0)) is None
    # 21:59 Berlin: not yet.
    assert quiet_until(NIGHT, utc(2026, 1, 13, 20, 59)) is None


def test_quiet_hours_follow_the_dst_change() -> None:
    # The night of 28/29 March 2026 Berlin moves to CEST (UTC+2): 07:00 is 05:00 UTC.
    assert quiet_until(NIGHT, utc(2026, 3, 28, 22, 0)) == utc(2026, 3, 29, 5, 0)


def test_daytime_quiet_hours_and_none() -> None:
    lunch = {"timezone": "UTC", "from": "12:00", "to": "13:30"}
    assert quiet_until(lunch, utc(2026, 5, 1, 12, 45)) == utc(2026, 5, 1, 13, 30)
    assert quiet_until(lunch, utc(2026, 5, 1, 13, 30)) is None
    assert quiet_until(None, utc(2026, 5, 1, 12, 45)) is None


@pytest.mark.parametrize("bad", [
    {"timezone": "Mars/Olympus", "from": "22:00", "to": "07:00"},
    {"timezone": "UTC", "from": "25:00", "to": "07:00"},
    {"timezone": "UTC", "from": "22:00", "to": "22:00"},
    {"timezone": "UTC", "from": "22:00"},
    {"timezone": "UTC", "from": "22:00", "to": "07:00", "days": "mon"},
])
def test_bad_quiet_hours_are_refused(bad: dict[str, str]) -> None:
    with pytest.raises(ValidationError):
        clean_quiet_hours(bad)


def test_contacts_are_validated_and_normalised() -> None:
    assert clean_phone("+49 151 123-4567") == "+491511234567"
    assert clean_jid("Alice@Example.org") == "alice@example.org"
    assert clean_webhook_url("https://chat.example.com/hooks/x") == "https://chat.example.com/hooks/x"
    for cleaner, value in ((clean_phone, "0151 1234567"), (clean_phone, "+12"),
                           (clean_jid, "alice"), (clean_jid, "a b@example.org"),
                           (clean_webhook_url, "ftp://example.com/x"),
                           (clean_webhook_url, "file:///etc/passwd"),
                           (clean_webhook_url, "javascript:alert(1)"),
                           (clean_webhook_url, "https://")):
        with pytest.raises(ValidationError):
            cleaner(value)
    with pytest.raises(ValidationError):
        clean_contacts({"pager": "123"})
    assert clean_contacts({"sms": None, "mail": "A@Example.com"}) == {
        "sms": None, "mail": "a@example.com"}


def test_delivery_ids_are_stable_per_cause_recipient_and_channel() -> None:
    one = delivery_id("page-7:step-1", "alice", "sms")
    assert one == delivery_id("page-7:step-1", "alice", "sms")
    assert len({one, delivery_id("page-7:step-1", "bob", "sms"),
                delivery_id("page-7:step-1", "alice", "xmpp"),
                delivery_id("page-7:step-2", "alice", "sms")}) == 4
    assert delivery_id("", "alice", "sms") != delivery_id("", "alice", "sms")


def test_backoff_grows_to_a_cap() -> None:
    waits = [backoff(n).total_seconds() for n in range(1, MAX_ATTEMPTS)]
    assert waits[:4] == [10, 30, 120, 600]
    assert waits == sorted(waits) and max(waits) == 1800
