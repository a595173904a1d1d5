"""Typed ticket events keep the stored JSON of earlier releases, key for key."""

from __future__ import annotations

import pytest

from hub.domain import ValidationError
from hub.event_registry import is_known
from hub.tickets import events as ev


def _created(**extra: object) -> ev.TicketCreated:
    return ev.TicketCreated(
        queue="General", subject="s", body="b", content_type="text/plain", status="new",
        priority=0, due=None, requestors=["a@x.test"], cc=[], admincc=[], fields={},
        owner=None, **ev.extras(extra))


def test_always_present_keys_stay_even_when_none() -> None:
    data = _created().to_data()
    assert data["due"] is None and data["owner"] is None
    assert set(data) == {"queue", "subject", "body", "content_type", "status", "priority",
                         "due", "requestors", "cc", "admincc", "fields", "owner"}


def test_mail_extras_round_trip_under_their_stored_names() -> None:
    mail = {"attachments": [{"sha256": "ab", "filename": "f"}], "message_id": "<m@x>",
            "html": "<p>b</p>", "from": "a@x.test", "autoreply": False,
            "autoreply_reason": "list"}
    data = _created(**mail).to_data()
    assert {k: data[k] for k in mail} == mail
    assert "from_" not in data
    assert ev.TicketCreated.from_data(data).to_data() == data


def test_unknown_extra_keys_are_refused() -> None:
    with pytest.raises(ValidationError):
        ev.extras({"anything": 1})


def test_comment_and_reply_extras_from_alerts_and_runbooks() -> None:
    assert ev.TicketCommented(body="x", **ev.extras({"alert": True})).to_data() == {
        "body": "x", "alert": True}
    assert ev.TicketCorresponded(body="x", **ev.extras({"runbook_run": 3})).to_data() == {
        "body": "x", "runbook_run": 3}


def test_status_change_keeps_reason_or_forced() -> None:
    assert ev.TicketStatusChanged("new", "open", reason="staff replied").to_data() == {
        "old": "new", "new": "open", "reason": "staff replied"}
    assert ev.TicketStatusChanged("open", "resolved", forced=False).to_data() == {
        "old": "open", "new": "resolved", "forced": False}


def test_every_ticket_and_queue_event_is_registered() -> None:
    for name in ("TicketCreated", "TicketMergeAbsorbed", "TicketDeliveryFailed",
                 "QueueCreated", "QueueChanged", "TimeWorkedRecorded"):
        assert is_known(name)
