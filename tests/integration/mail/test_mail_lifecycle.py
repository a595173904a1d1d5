"""A ticket's whole life by mail alone: open, autoreply, staff reply with commands,
customer reply by In-Reply-To, comment, resolve, reopen; and spoofing attempts."""

from __future__ import annotations

from typing import Any

from mail_support import DOMAIN, MailEnv, add_staff, make_mail, own_reply_address

from hub.bootstrap import Hub


def _events(hub: Hub, ticket_id: int) -> list[Any]:
    with hub.engine.connect() as conn:
        return hub.store.read_stream(conn, f"ticket-{ticket_id}")


def test_full_lifecycle_by_mail(mail: MailEnv) -> None:
    add_staff(mail.hub, "alice", "alice@example.com")
    mail.send(make_mail("VPN is down", "It does not connect", msgid="<c1@example.com>"))
    mail.wait_processed(1)
    (ticket,) = mail.tickets()
    ((env_from, rcpts, autoreply),) = mail.flush(expect=1)
    assert rcpts == ["customer@example.com"]
    assert autoreply["Auto-Submitted"] == "auto-replied"
    assert f"[hub #{ticket.id}]" in autoreply["Subject"]
    assert env_from.startswith(f"bounces+t{ticket.id}.") and env_from.endswith("@" + DOMAIN)
    assert autoreply["In-Reply-To"] == "<c1@example.com>"
    reply_to = autoreply["Reply-To"]
    assert reply_to.startswith(f"general+t{ticket.id}.")
    # The customer's reply address is theirs: staff use the one minted for them.
    reply_to = own_reply_address(ticket.id, "alice@example.com")

    staff = make_mail(f"Re: {autoreply['Subject']}",
                      "Status: open\nOwner: alice\nPriority: 80\nTime-Worked: 15\n\n"
                      "We are on it.", sender="alice@example.com", to=reply_to,
                      msgid="<s1@example.com>")
    mail.send(staff, rcpts=[reply_to], mail_from="alice@example.com")
    rows = mail.wait_processed(2)
    assert rows[1].state == "processed", rows[1].error
    assert rows[1].result.get("errors") is None, rows[1].result
    state = mail.tickets()[0].state
    assert (state["status"], state["owner"], state["priority"]) == ("open", "alice", 80)
    assert state["time_worked"] == {"alice": 15}
    corresponded = [e for e in _events(mail.hub, ticket.id) if e.type == "TicketCorresponded"]
    assert corresponded[0].data["body"].strip() == "We are on it."
    assert corresponded[0].meta["source"] == "email"
    sent = mail.flush(expect=2)
    _, rcpts, note = sent[1]
    assert rcpts == ["customer@example.com"] and "We are on it." in note.get_content() \
        if not note.is_multipart() else True
    assert note["Auto-Submitted"] == "auto-generated"

    answer = make_mail("Re: VPN", "Thanks, still broken though", msgid="<c2@example.com>",
                       headers={"In-Reply-To": note["Message-ID"]})
    mail.send(answer)
    rows = mail.wait_processed(3)
    assert rows[2].result == {"action": "correspond", "ticket_id": ticket.id}

    comment_to = own_reply_address(ticket.id, "alice@example.com", comment=True)
    mail.send(make_mail("note", "Internal: check the concentrator", sender="alice@example.com",
                        msgid="<s2@example.com>", to=comment_to,
                        headers={"In-Reply-To": note["Message-ID"]}),
              rcpts=[comment_to], mail_from="alice@example.com")
    rows = mail.wait_processed(4)
    assert rows[3].result["action"] == "comment"

    mail.send(make_mail("Re: VPN", "Status: resolved\n\nFixed the concentrator.",
                        sender="alice@example.com", to=reply_to, msgid="<s3@example.com>"),
              rcpts=[reply_to], mail_from="alice@example.com")
    mail.wait_processed(5)
    assert mail.tickets()[0].status == "resolved"
    sent = mail.flush(expect=4)
    subjects = [m["Subject"] for _, r, m in sent if r == ["customer@example.com"]]
    assert any(s.startswith("Resolved:") or "Resolved" in s for s in subjects)
    assert all(r != ["alice@example.com"] for _, r, _ in sent)  # never to the author

    mail.send(make_mail(f"Re: [hub #{ticket.id}] VPN", "It broke again",
                        msgid="<c3@example.com>"))
    mail.wait_processed(6)
    assert mail.tickets()[0].status == "open"  # the queue's policy: reopen


def test_commands_from_a_spoofed_sender_are_ignored(mail: MailEnv) -> None:
    add_staff(mail.hub, "alice", "alice@example.com")
    mail.send(make_mail("Disk full", "help", msgid="<d1@example.com>"))
    mail.wait_processed(1)
    (ticket,) = mail.tickets()
    mail.flush(expect=1)
    # The tag alone (no signed address): From says alice, but commands must not apply.
    forged = make_mail(f"Re: [hub #{ticket.id}] Disk full", "Status: rejected\nPriority: 1\n\nbye",
                       sender="alice@example.com", msgid="<f1@example.com>")
    mail.send(forged, mail_from="attacker@example.net")
    rows = mail.wait_processed(2)
    # Unverified, the mail acts as the bare address alice@example.com, which holds no
    # role on this ticket: it is kept as a private comment marked unverified, under the
    # address (never the user alice), nothing applied, nobody is mailed.
    assert rows[1].state == "processed" and rows[1].result["unverified"] is True
    assert "commands" not in rows[1].result
    current = mail.tickets()[0]
    assert current.status != "rejected" and current.priority == 0
    events = _events(mail.hub, ticket.id)
    assert not [e for e in events if e.type == "TicketCorresponded"]
    (note,) = [e for e in events if e.type == "TicketCommented"]
    assert note.data["authenticated"] is False and "unverified sender" in note.data["body"]
    assert all(e.meta.get("actor") != "alice" for e in events)
    sent = mail.flush(expect=1)
    assert len(sent) == 1
    # A customer at the signed address cannot use commands either.
    reply_to = sent[0][2]["Reply-To"]
    mail.send(make_mail("Re: x", "Status: resolved\n\nplease close", msgid="<c9@example.com>",
                        to=reply_to), rcpts=[reply_to])
    rows = mail.wait_processed(3)
    assert rows[2].result["errors"] and mail.tickets()[0].status != "resolved"


def test_new_ticket_policy_opens_a_linked_ticket(mail: MailEnv) -> None:
    from hub.actors import system_actor
    from hub.tickets import commands as tc

    mail.hub.bus.handle(tc.CreateQueue(name="Network", reopen_policy="new_ticket"),
                        system_actor("cli"))
    mail.send(make_mail("Switch dead", "port 4", msgid="<n1@example.com>",
                        to=f"network@{DOMAIN}"), rcpts=[f"network@{DOMAIN}"])
    mail.wait_processed(1)
    (first,) = mail.tickets()
    mail.hub.bus.handle(tc.UpdateTicket(ticket_id=first.id, status="resolved"),
                        system_actor("cli"))
    mail.send(make_mail(f"Re: [hub #{first.id}] Switch dead", "dead again",
                        msgid="<n2@example.com>", to=f"network@{DOMAIN}"),
              rcpts=[f"network@{DOMAIN}"])
    rows = mail.wait_processed(2)
    assert rows[1].result["refers_to"] == first.id
    old, new = mail.tickets()
    assert old.status == "resolved"
    assert new.state["links"]["refers_to"] == [first.id]
