"""Notify -> the durable queue -> a real webhook receiver, with retries, rate limits,
quiet hours and the mail outbox; outcomes as events, never before the receiver said yes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from channel_support import WebhookReceiver
from hub_support import add_user, make_hub

from hub.accounts import commands as ac
from hub.actors import Actor, system_actor
from hub.bootstrap import Hub
from hub.channels import queries as q
from hub.channels.commands import Notify
from hub.channels.feature import make_sender
from hub.channels.sender import ChannelSender
from hub.db import events as events_table
from hub.db import writing
from hub.domain import PermissionDeniedError, ValidationError
from hub.eventstore import utcnow

SYSTEM = system_actor("system", name="rules")


class Clock:
    def __init__(self) -> None:
        self.now = utcnow() + dt.timedelta(seconds=1)  # rows queued now are due

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += dt.timedelta(**delta)


@pytest.fixture
def hub(tmp_path: Path, webhook_receiver: WebhookReceiver) -> Iterator[Hub]:
    h = make_hub(tmp_path)
    h.settings = replace(h.settings, webhook_secret=webhook_receiver.secret)
    add_user(h, "alice", "staff")
    add_user(h, "carol", "customer")
    yield h
    h.engine.dispose()


@pytest.fixture
def clock(hub: Hub) -> Clock:
    clock = Clock()
    hub.services["channels.handlers"].now = clock
    return clock


def sender(hub: Hub, clock: Clock) -> ChannelSender:
    return make_sender(hub, now=clock)


def contacts(hub: Hub, user: str, actor: Actor | None = None, **given: Any) -> None:
    quiet = given.pop("quiet_hours", None)
    hub.bus.handle(ac.SetContacts(name=user, contacts=given, quiet_hours=quiet,
                                  keep_quiet_hours=quiet is None), actor or system_actor("cli"))


def events_of(hub: Hub, kind: str) -> list[dict[str, Any]]:
    with hub.engine.connect() as conn:
        rows = conn.execute(sa.select(events_table.c.data).where(events_table.c.type == kind)
                            .order_by(events_table.c.position)).all()
    return [dict(r.data) for r in rows]


def one(hub: Hub, delivery_id: str) -> dict[str, Any]:
    with hub.engine.connect() as conn:
        found = q.delivery(conn, delivery_id)
    assert found is not None
    return found


def test_webhook_is_signed_delivered_once_and_recorded_after_the_receiver_said_yes(
        hub: Hub, clock: Clock, webhook_receiver: WebhookReceiver) -> None:
    contacts(hub, "alice", webhook=webhook_receiver.url)
    ask = Notify(via="webhook", user="alice", subject="Disk full on web-01",
                 text="/var is 99% full", ticket_id=42, cause="page-1:step-1",
                 payload={"event": "page.triggered", "page_id": 1})
    result = hub.bus.handle(ask, SYSTEM)
    assert result["state"] == "queued"
    assert hub.bus.handle(ask, SYSTEM) == {"id": result["id"], "state": "duplicate"}
    assert one(hub, result["id"])["state"] == "queued" and not events_of(
        hub, "NotificationDelivered")
    assert sender(hub, clock).send_due() == 1
    [hook] = webhook_receiver.requests
    assert hook.signature_ok and hook.headers["X-Hub-Timestamp"].isdigit()
    assert hook.body["event"] == "page.triggered" and hook.body["page_id"] == 1
    assert hook.body["subject"] == "Disk full on web-01" and hook.body["ticket_id"] == 42
    assert hook.body["url"].endswith("/tickets/42") and hook.body["text"] == "/var is 99% full"
    assert webhook_receiver.secret not in hook.raw.decode()
    row = one(hub, result["id"])
    assert row["state"] == "delivered" and row["attempts"] == 1 and row["delivered_at"]
    [delivered] = events_of(hub, "NotificationDelivered")
    assert delivered["id"] == result["id"] and delivered["user"] == "alice"
    assert delivered["cause"] == "page-1:step-1" and delivered["ticket_id"] == 42
    assert sender(hub, clock).send_due() == 0 and len(webhook_receiver.requests) == 1
    for event in events_of(hub, "NotificationQueued") + events_of(hub, "NotificationDelivered"):
        assert webhook_receiver.secret not in str(event)


def test_failed_webhook_retries_with_backoff_then_succeeds(
        hub: Hub, clock: Clock, webhook_receiver: WebhookReceiver) -> None:
    webhook_receiver.statuses = [500, 503]
    result = hub.bus.handle(Notify(via="webhook", address=webhook_receiver.url,
                                   subject="s", text="t", cause="rule:7:ticket:3"), SYSTEM)
    send = sender(hub, clock)
    assert send.send_due() == 1
    row = one(hub, result["id"])
    assert row["state"] == "queued" and row["attempts"] == 1 and "HTTP 500" in row["error"]
    assert send.send_due() == 0  # not due before its backoff (10 s)
    clock.advance(seconds=11)
    assert send.send_due() == 1 and one(hub, result["id"])["attempts"] == 2
    clock.advance(seconds=20)
    assert send.send_due() == 0  # the second wait is 30 s
    clock.advance(seconds=11)
    assert send.send_due() == 1
    assert one(hub, result["id"])["state"] == "delivered"
    failures = events_of(hub, "NotificationFailed")
    assert [f["final"] for f in failures] == [False, False]
    assert len(webhook_receiver.requests) == 3 and all(
        r.signature_ok for r in webhook_receiver.requests)


def test_a_refusing_webhook_fails_for_good_and_a_non_http_url_is_refused(
        hub: Hub, clock: Clock, webhook_receiver: WebhookReceiver) -> None:
    webhook_receiver.statuses = [404]
    result = hub.bus.handle(Notify(via="webhook", address=webhook_receiver.url,
                                   subject="s", text="t", cause="c"), SYSTEM)
    assert sender(hub, clock).send_due() == 1
    assert one(hub, result["id"])["state"] == "failed"
    [failed] = events_of(hub, "NotificationFailed")
    assert failed["final"] is True and "404" in failed["error"]
    clock.advance(hours=2)
    assert sender(hub, clock).send_due() == 0
    for url in ("file:///etc/passwd", "gopher://example.com/", "ftp://example.com/x"):
        with pytest.raises(ValidationError):
            hub.bus.handle(Notify(via="webhook", address=url, subject="s", text="t"), SYSTEM)


def test_slack_style_body(hub: Hub, clock: Clock, webhook_receiver: WebhookReceiver) -> None:
    contacts(hub, "alice", webhook=webhook_receiver.url, webhook_format="slack")
    hub.bus.handle(Notify(via="webhook", user="alice", subject="SLA breach", text="#9 late",
                          ticket_id=9, cause="sla:9"), SYSTEM)
    sender(hub, clock).send_due()
    [hook] = webhook_receiver.requests
    assert hook.body["text"].startswith("*SLA breach*\n#9 late") and "/tickets/9|" in hook.body[
        "text"]
    assert hook.body["attachments"][0]["title"] == "SLA breach" and hook.signature_ok


def test_rate_limit_makes_the_excess_wait_never_drops_it(
        hub: Hub, webhook_receiver: WebhookReceiver) -> None:
    hub.settings = replace(hub.settings, extra={"channels": {"rate_per_minute": {"webhook": 2}}})
    ids = [hub.bus.handle(Notify(via="webhook", address=webhook_receiver.url, subject="s",
                                 text=f"n{i}", cause=f"burst:{i}"), SYSTEM)["id"]
           for i in range(3)]
    send = make_sender(hub)  # real time: the window is the last real minute
    send.send_due()
    states = [one(hub, i)["state"] for i in ids]
    assert states.count("delivered") == 2 and states.count("queued") == 1
    waiting = next(one(hub, i) for i in ids if one(hub, i)["state"] == "queued")
    assert "rate limit" in waiting["error"] and waiting["attempts"] == 0
    assert dt.datetime.fromisoformat(waiting["next_attempt_at"].rstrip("Z")) > utcnow() + \
        dt.timedelta(seconds=50)
    assert len(webhook_receiver.requests) == 2


def test_quiet_hours_hold_non_urgent_notifications_but_not_pages(
        hub: Hub, clock: Clock, webhook_receiver: WebhookReceiver) -> None:
    berlin = ZoneInfo("Europe/Berlin")
    day = (utcnow() + dt.timedelta(days=2)).date()
    midnight = dt.datetime.combine(day, dt.time(0, 0), tzinfo=berlin)
    ends = dt.datetime.combine(day, dt.time(7, 0), tzinfo=berlin).astimezone(dt.UTC)
    clock.now = midnight.astimezone(dt.UTC).replace(tzinfo=None)
    contacts(hub, "alice", webhook=webhook_receiver.url,
             quiet_hours={"timezone": "Europe/Berlin", "from": "22:00", "to": "07:00"})
    calm = hub.bus.handle(Notify(via="webhook", user="alice", subject="weekly report",
                                 text="t", cause="report"), SYSTEM)
    page = hub.bus.handle(Notify(via="webhook", user="alice", subject="PAGE", text="t",
                                 urgent=True, cause="page"), SYSTEM)
    assert calm["state"] == "held_quiet" and page["state"] == "queued"
    assert one(hub, calm["id"])["next_attempt_at"] == ends.strftime("%Y-%m-%dT%H:%M:%SZ")
    send = sender(hub, clock)
    send.send_due()
    assert [r.body["subject"] for r in webhook_receiver.requests] == ["PAGE"]
    assert one(hub, calm["id"])["state"] == "held_quiet"
    clock.now = ends.replace(tzinfo=None) + dt.timedelta(seconds=1)
    send.send_due()
    assert [r.body["subject"] for r in webhook_receiver.requests] == ["PAGE", "weekly report"]
    assert one(hub, calm["id"])["state"] == "delivered"


def test_no_contact_is_recorded_and_customers_cannot_notify(hub: Hub) -> None:
    result = hub.bus.handle(Notify(via="sms", user="alice", subject="s", text="t",
                                   cause="page-2"), SYSTEM)
    assert result["state"] == "no_contact"
    [failed] = events_of(hub, "NotificationFailed")
    assert failed["final"] and "no sms contact" in failed["error"]
    with hub.engine.connect() as conn:
        assert q.deliveries(conn, cause_prefix="page-2")[0]["state"] == "failed"
    customer = Actor(name="carol", role="customer", source="api")
    with pytest.raises(PermissionDeniedError):
        hub.bus.handle(Notify(via="mail", address="x@example.com", subject="s", text="t"),
                       customer)
    with pytest.raises(ValidationError):
        hub.bus.handle(Notify(via="pager", user="alice", subject="s", text="t"), SYSTEM)
    with pytest.raises(ValidationError):
        hub.bus.handle(Notify(via="mail", user="nobody", subject="s", text="t"), SYSTEM)


def test_mail_goes_through_the_outbox_and_is_delivered_only_when_sent(
        hub: Hub, clock: Clock) -> None:
    from hub.mail import queries as mq

    result = hub.bus.handle(Notify(via="mail", user="alice", subject="Disk full",
                                   text="please look", ticket_id=5, cause="page-3"), SYSTEM)
    send = sender(hub, clock)
    send.send_due()
    with hub.engine.connect() as conn:
        [message] = mq.outbox(hub, conn)
    assert message.to == "alice@example.com" and message.kind == "notification"
    assert message.state == "held"  # no smarthost in tests: held, visible, not sent
    assert "[hub #5] Disk full" in message.subject
    row = one(hub, result["id"])
    assert row["state"] == "queued" and row["attempts"] == 0 and "held" in row["error"]
    assert not events_of(hub, "NotificationDelivered")
    clock.advance(seconds=20)
    send.send_due()  # still held: still waiting, not sent twice
    with hub.engine.connect() as conn:
        assert len(mq.outbox(hub, conn)) == 1
    from hub.mail.tables import mail_outbox

    with writing(hub.engine) as conn:  # as the outbox sender records the smarthost's 250
        conn.execute(sa.update(mail_outbox).values(state="sent", sent_at=utcnow()))
    clock.advance(seconds=20)
    send.send_due()
    assert one(hub, result["id"])["state"] == "delivered"
    assert events_of(hub, "NotificationDelivered")[0]["via"] == "mail"


def test_the_queue_survives_a_projection_rebuild(hub: Hub, clock: Clock,
                                                 webhook_receiver: WebhookReceiver) -> None:
    webhook_receiver.statuses = [500]
    first = hub.bus.handle(Notify(via="webhook", address=webhook_receiver.url, subject="a",
                                  text="t", cause="x1"), SYSTEM)
    sender(hub, clock).send_due()
    before = one(hub, first["id"])
    with writing(hub.engine) as conn:
        hub.runner.rebuild(conn, ["channel_deliveries"])
    after = one(hub, first["id"])
    assert {k: after[k] for k in ("state", "attempts", "next_attempt_at")} == {
        k: before[k] for k in ("state", "attempts", "next_attempt_at")}
