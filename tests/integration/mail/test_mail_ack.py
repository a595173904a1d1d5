"""``Ack:`` by mail acknowledges an alert ticket's Nagios problems, with the same rules as
every mail command: a staff member at their own reply address (plus a trusted relay's
pass when relays are configured); anybody else's ``Ack:`` applies nothing."""

from __future__ import annotations

import json
from typing import Any

from mail_support import DOMAIN, MailEnv, add_staff, make_mail, shared_dir

from hub.actors import system_actor
from hub.tickets import commands as tc

ALICE = "alice@example.com"
PROBLEM = "02-service-PROBLEM-web-01-App_Health"


def _events(mail: MailEnv, ticket_id: int) -> list[Any]:
    with mail.hub.engine.connect() as conn:
        return list(mail.hub.store.read_stream(conn, f"ticket-{ticket_id}"))


def _acknowledged(mail: MailEnv, ticket_id: int) -> list[str]:
    return [str(e.data.get("body")) for e in _events(mail, ticket_id)
            if "Acknowledged by" in str(e.data.get("body", ""))]


def test_ack_by_mail_from_staff_at_their_own_address(mail: MailEnv) -> None:
    folder = shared_dir() / "data" / "nagios" / "email"
    mail.hub.bus.handle(tc.CreateQueue(name="Alerts", address=f"alerts@{DOMAIN}"),
                        system_actor("cli"))
    envelope = json.loads((folder / f"{PROBLEM}.envelope.json").read_text())
    mail.send((folder / f"{PROBLEM}.eml").read_bytes(), rcpts=envelope["rcpt_tos"],
              mail_from=envelope["mail_from"])
    (row,) = mail.wait_processed(1)
    assert row.result["action"] == "alert", row.result
    (ticket,) = mail.tickets()
    add_staff(mail.hub, "alice", ALICE)
    mail.hub.bus.handle(tc.ChangeWatcher(ticket.id, "admincc", ALICE), system_actor("cli"))
    mail.hub.bus.handle(tc.Comment(ticket.id, "who takes this?"), system_actor("cli"))
    sent = mail.flush(expect=1)  # the comment notice to alice, the AdminCc
    (own,) = [m["Reply-To"] for _, rcpts, m in sent if rcpts == [ALICE]]

    # From says alice, but the tag alone (no own address, another envelope): nothing.
    mail.send(make_mail(f"Re: [hub #{ticket.id}] alert", "Ack: yes\n", sender=ALICE,
                        to=f"alerts@{DOMAIN}", msgid="<ack-forged@example.net>"),
              rcpts=[f"alerts@{DOMAIN}"], mail_from="attacker@example.net")
    rows = mail.wait_processed(2)
    assert not rows[1].result.get("commands") and _acknowledged(mail, ticket.id) == []

    mail.send(make_mail("Re: alert", "Ack: looking at the disk\n\nthanks", sender=ALICE,
                        to=str(own), msgid="<ack-real@example.com>"),
              rcpts=[str(own)], mail_from=ALICE)
    rows = mail.wait_processed(3)
    assert rows[2].state == "processed", rows[2].error
    assert rows[2].result["commands"] == ["Acknowledge(comment='looking at the disk')"]
    (note,) = _acknowledged(mail, ticket.id)
    assert note.startswith("Acknowledged by alice: looking at the disk")
