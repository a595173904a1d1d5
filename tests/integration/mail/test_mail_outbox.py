"""Outgoing mail waits in the outbox while the smarthost is down, then goes out;
the ticket change that caused it is never blocked or undone."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import replace

import sqlalchemy as sa
from mail_support import MailEnv, free_port, make_mail

from hub.db import writing
from hub.mail.outbound import OutboxSender
from hub.mail.tables import mail_outbox
from hub.reactors import run_once


def _rows(mail: MailEnv) -> list[sa.Row[object]]:
    with mail.hub.engine.connect() as conn:
        return list(conn.execute(sa.select(mail_outbox)).all())


def test_smarthost_down_then_up(mail: MailEnv) -> None:
    working = mail.hub.settings.smarthost
    mail.hub.settings = replace(mail.hub.settings, smarthost=f"127.0.0.1:{free_port()}")
    mail.send(make_mail("while down", "x", msgid="<down@example.com>"))
    mail.wait_processed(1)
    assert len(mail.tickets()) == 1  # the change happened regardless
    while run_once(mail.hub, mail.notifier):
        pass
    OutboxSender(mail.hub).send_due()
    # The gateway's own sender thread may have claimed the row first: wait for the try.
    deadline = time.time() + 20
    (row,) = _rows(mail)
    while row.attempts == 0 and time.time() < deadline:
        time.sleep(0.05)
        (row,) = _rows(mail)
    assert row.state == "queued" and row.attempts == 1 and "unreachable" in row.last_error
    assert row.next_attempt_at > dt.datetime.now(dt.UTC).replace(tzinfo=None)
    mail.hub.settings = replace(mail.hub.settings, smarthost=working)
    with writing(mail.hub.engine) as conn:
        conn.execute(sa.update(mail_outbox).values(next_attempt_at=dt.datetime(2000, 1, 1)))
    assert len(mail.flush(expect=1)) == 1
    # The sink has it; the sender that sent it (maybe the gateway's thread) marks it next.
    deadline = time.time() + 20
    (row,) = _rows(mail)
    while row.state == "queued" and time.time() < deadline:
        time.sleep(0.05)
        (row,) = _rows(mail)
    assert row.state == "sent" and row.raw is not None


def test_no_smarthost_holds_mail(mail: MailEnv) -> None:
    mail.hub.settings = replace(mail.hub.settings, smarthost="")
    mail.send(make_mail("no relay", "x", msgid="<norelay@example.com>"))
    mail.wait_processed(1)
    while run_once(mail.hub, mail.notifier):
        pass
    assert OutboxSender(mail.hub).send_due() == 0
    assert [(r.state, r.last_error) for r in _rows(mail)] == [
        ("held", "no smarthost configured (HUB_SMARTHOST)")]
    assert mail.sink.received == []


def test_notifications_are_idempotent_per_event_and_recipient(mail: MailEnv) -> None:
    mail.send(make_mail("once", "x", msgid="<idem@example.com>"))
    mail.wait_processed(1)
    while run_once(mail.hub, mail.notifier):
        pass
    with mail.hub.engine.connect() as conn:
        events = mail.hub.store.read_all(conn, 0, 10_000)
    created = [e for e in events if e.type == "TicketCreated"][-1]
    write = mail.notifier.react(mail.hub, created)  # a retried reaction plans it again
    assert write is not None
    with writing(mail.hub.engine) as conn:
        write(conn)  # and records nothing new: the dedupe key is taken
    assert len(_rows(mail)) == 1
