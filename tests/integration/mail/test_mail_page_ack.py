"""A page acknowledged by replying ``ACK`` to its notification mail, through the real
SMTP gateway: the page mail carries the ticket's tag, comes from the queue's comment
address and has a Reply-To signed for its recipient, so a notified staff member's
reply is a private comment by them and acknowledges the page. The same reply with a
forged envelope, or without the trusted relay's pass once one is required, is kept
as unverified text and acknowledges nothing.
"""

from __future__ import annotations

import datetime as dt
import time
from email.message import EmailMessage
from typing import Any

import sqlalchemy as sa
from mail_support import DOMAIN, MailEnv, add_staff, make_mail, passing_auth, trust_relay

from hub.actors import system_actor
from hub.channels.feature import make_sender
from hub.db import events
from hub.eventstore import utcnow
from hub.mail.outbound import OutboxSender
from hub.oncall import commands as oc
from hub.oncall import queries as oq
from hub.reactors import run_once
from hub.tickets import commands as tc

ALICE = "alice@example.com"
CLI = system_actor("cli")


def drain(mail: MailEnv) -> None:
    reactors = [r for r in mail.hub.reactors if r.name.startswith("oncall_")]
    for _ in range(20):
        if not sum(run_once(mail.hub, r) for r in reactors):
            return


def page_state(mail: MailEnv, page_id: int) -> dict[str, Any]:
    with mail.hub.engine.connect() as conn:
        return oq.page(conn, CLI, page_id)


def ticket_events(mail: MailEnv, ticket_id: int) -> list[Any]:
    with mail.hub.engine.connect() as conn:
        return conn.execute(sa.select(events.c.type, events.c.data, events.c.meta).where(
            events.c.stream_id == f"ticket-{ticket_id}").order_by(events.c.position)).all()


def page_mail(mail: MailEnv) -> tuple[int, dict[str, Any], EmailMessage]:
    """Page alice by mail; deliver the notification to the sink smarthost."""
    add_staff(mail.hub, "alice", ALICE)
    mail.hub.bus.handle(oc.SavePolicy(name="mail-only", document={"steps": [
        {"notify": "user:alice", "via": ["mail"], "wait": "5m"}]}), CLI)
    ticket = int(mail.hub.bus.handle(tc.CreateTicket(
        queue="General", subject="Disk full on web-01", body="97% used",
        requestors=["customer@example.com"]), CLI)["id"])
    drain(mail)  # new reactors start at the head
    page = mail.hub.bus.handle(oc.TriggerPage(ticket_id=ticket, policy="mail-only",
                                              reason="test"), CLI)
    drain(mail)
    sender = make_sender(mail.hub)
    assert sender.send_due() == 1  # handed to the mail outbox: pending, not delivered
    assert page_state(mail, page["id"])["notified"][0]["delivery"] == "queued"
    OutboxSender(mail.hub).send_due()  # (the gateway's own outbox worker may be first)
    deadline = time.monotonic() + 30
    while not (found := [m for m in mail.sink.messages() if m[1] == [ALICE]]):
        assert time.monotonic() < deadline, "the smarthost got no page mail"
        time.sleep(0.05)
    [(_, _, message)] = found
    later = make_sender(mail.hub, now=lambda: utcnow() + dt.timedelta(seconds=30))
    while page_state(mail, page["id"])["notified"][0]["delivery"] != "delivered":
        assert time.monotonic() < deadline, "the page mail never counted as delivered"
        later.send_due()  # asks the outbox again: sent once the smarthost took it
        time.sleep(0.05)
    return ticket, page, message



def test_page_mail_is_tagged_and_replies_go_to_a_signed_comment_address(mail: MailEnv) -> None:
    ticket, page, message = page_mail(mail)
    subject = str(message["Subject"])
    assert subject.count(f"[hub #{ticket}]") == 1 and "PAGE: Disk full on web-01" in subject
    assert f"general-comment@{DOMAIN}" in str(message["From"])
    reply_to = str(message["Reply-To"])
    assert reply_to.startswith(f"general-comment+t{ticket}.") and reply_to.endswith(DOMAIN)
    assert message["Auto-Submitted"] == "auto-generated"
    assert f"ACK {page['code']}" in message.get_content()
    [notified] = page_state(mail, page["id"])["notified"]
    assert (notified["user"], notified["via"], notified["delivery"]) == (
        "alice", "mail", "delivered")


def test_an_ack_reply_from_the_notified_staff_member_acknowledges_only_when_verified(
        mail: MailEnv) -> None:
    ticket, page, message = page_mail(mail)
    reply_to = str(message["Reply-To"])
    # From says alice, the envelope does not: a forgery, kept as unverified text
    mail.send(make_mail(f"Re: {message['Subject']}", "ACK\n", sender=ALICE, to=reply_to,
                        msgid="<forged@example.net>"),
              rcpts=[reply_to], mail_from="attacker@example.net")
    mail.wait_processed(1)
    drain(mail)
    assert page_state(mail, page["id"])["state"] == "triggered"
    # with a trusted relay configured its pass is required: alice's own reply without it
    trust_relay(mail.hub)
    mail.send(make_mail(f"Re: {message['Subject']}", "ACK\n", sender=ALICE, to=reply_to,
                        msgid="<no-pass@example.com>"), rcpts=[reply_to], mail_from=ALICE)
    mail.wait_processed(2)
    drain(mail)
    assert page_state(mail, page["id"])["state"] == "triggered"
    # ... and with it: the reply is alice's private comment and acknowledges the page
    mail.send(make_mail(f"Re: {message['Subject']}", f"ACK {page['code']}\n\non it",
                        sender=ALICE, to=reply_to, msgid="<ack@example.com>",
                        headers=passing_auth()), rcpts=[reply_to], mail_from=ALICE)
    rows = mail.wait_processed(3)
    assert [r.state for r in rows] == ["processed"] * 3, [r.error for r in rows]
    drain(mail)
    shown = page_state(mail, page["id"])
    assert shown["state"] == "acknowledged"
    assert (shown["acknowledged_by"], shown["acknowledged_via"]) == ("alice", "mail")
    replies = [e for e in ticket_events(mail, ticket)
               if e.type in ("TicketCommented", "TicketCorresponded")]
    assert [e.type for e in replies] == ["TicketCommented"] * 3  # all stayed internal
    assert [e.data.get("authenticated") for e in replies] == [False, False, True]
    assert replies[-1].meta["actor"] == "alice"
    kinds = [e.data["kind"] for e in ticket_events(mail, ticket)
             if e.type == "TicketActivityRecorded"]
    assert kinds.count("page.acknowledged") == 1


def test_ticket_mail_to_a_customer_offers_the_correspond_address(mail: MailEnv) -> None:
    """Someone who may not read comments is never handed the comment address."""
    from hub.channels.commands import Notify

    ticket = int(mail.hub.bus.handle(tc.CreateTicket(
        queue="General", subject="Backup failed", body="x",
        requestors=["customer@example.com"]), CLI)["id"])
    mail.hub.bus.handle(Notify(via="mail", address="customer@example.com", ticket_id=ticket,
                               subject="Your ticket waits for you", text="Please reply.",
                               cause="test:customer"), system_actor("system", name="rules"))
    assert make_sender(mail.hub).send_due() == 1
    OutboxSender(mail.hub).send_due()  # (the gateway's own outbox worker may be first)
    deadline = time.monotonic() + 30
    while not (found := [m for m in mail.sink.messages() if m[1] == ["customer@example.com"]
                         and "Your ticket" in str(m[2]["Subject"])]):
        assert time.monotonic() < deadline, "the smarthost got no mail"
        time.sleep(0.05)
    message = found[0][2]
    assert str(message["Subject"]) == f"[hub #{ticket}] Your ticket waits for you"
    assert f"general@{DOMAIN}" in str(message["From"])
    assert str(message["Reply-To"]).startswith(f"general+t{ticket}.")
