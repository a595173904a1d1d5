"""Bounces are attributed to the exact ticket and recipient (VERP or our Message-ID),
recorded with RecordDeliveryFailure, never open tickets, and stop further mail."""

from __future__ import annotations

from typing import Any

from mail_support import DOMAIN, MailEnv, make_mail

DSN = """\
From: MAILER-DAEMON@mx.example.com (Mail Delivery System)
To: {to}
Subject: Undelivered Mail Returned to Sender
Message-ID: <dsn-{n}@mx.example.com>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B"

--B
Content-Type: text/plain

Your message could not be delivered.

--B
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.com

Final-Recipient: rfc822; {rcpt}
Action: failed
Status: 5.1.1
Diagnostic-Code: smtp; 550 5.1.1 user unknown

--B
Content-Type: text/rfc822-headers

Message-ID: {msgid}
Subject: whatever

--B--
"""


def _failures(mail: MailEnv, ticket_id: int) -> list[Any]:
    with mail.hub.engine.connect() as conn:
        return [e for e in mail.hub.store.read_stream(conn, f"ticket-{ticket_id}")
                if e.type == "TicketDeliveryFailed"]


def test_bounce_to_the_verp_address_lands_on_the_ticket(mail: MailEnv) -> None:
    mail.send(make_mail("hello", "x", sender="gone@example.org", msgid="<b1@example.org>"),
              mail_from="gone@example.org")
    mail.wait_processed(1)
    (ticket,) = mail.tickets()
    ((envelope, _, autoreply),) = mail.flush(expect=1)
    dsn = DSN.format(to=envelope, rcpt="gone@example.org", msgid=autoreply["Message-ID"], n=1)
    mail.send(dsn, rcpts=[envelope], mail_from="")
    rows = mail.wait_processed(2)
    assert rows[1].result["action"] == "bounce", rows[1].result
    (failure,) = _failures(mail, ticket.id)
    assert failure.data["recipient"] == "gone@example.org"
    assert failure.data["status"] == "5.1.1" and failure.data["permanent"] is True
    assert len(mail.tickets()) == 1
    # The same DSN again changes nothing; later mail skips the dead address.
    mail.send(dsn, rcpts=[envelope], mail_from="")
    mail.wait_processed(3)
    assert len(_failures(mail, ticket.id)) == 1
    from hub.actors import system_actor
    from hub.tickets import commands as tc

    mail.hub.bus.handle(tc.Correspond(ticket_id=ticket.id, body="any news?"), system_actor("web"))
    assert len(mail.flush()) == 1  # nothing new for the bounced recipient


def test_bounce_naming_our_message_id_is_attributed(mail: MailEnv) -> None:
    mail.send(make_mail("hello", "x", sender="old@example.org", msgid="<b2@example.org>"),
              mail_from="old@example.org")
    mail.wait_processed(1)
    (ticket,) = mail.tickets()
    ((_, _, autoreply),) = mail.flush(expect=1)
    dsn = DSN.format(to=f"general@{DOMAIN}", rcpt="old@example.org",
                     msgid=autoreply["Message-ID"], n=2)
    mail.send(dsn, mail_from="")
    mail.wait_processed(2)
    assert [f.data["recipient"] for f in _failures(mail, ticket.id)] == ["old@example.org"]
    assert len(mail.tickets()) == 1


def test_forged_bounce_address_is_refused_at_rcpt(mail: MailEnv) -> None:
    import smtplib

    with smtplib.SMTP("127.0.0.1", mail.port, timeout=30) as client:
        client.ehlo()
        client.mail("")
        code, _ = client.rcpt(f"bounces+t1.oabc.aaaaaaaaaa@{DOMAIN}")
        assert code == 550
