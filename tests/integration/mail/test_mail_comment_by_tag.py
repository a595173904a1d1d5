"""Comments by mail: the ticket tag in the subject and the queue's comment address.

Staff comment from their own mail client by writing to ``<queue>-comment@`` with the
ticket tag in the subject. The sender's actor must carry the access profile the
desk would give them: the gateway used to build a bare actor from the users table,
so the queue's grants were ignored by mail (a staff member outside the group that
manages a queue could still comment there by mail). A From line alone proves nothing,
so these mails come through a trusted relay that verified the sender's DKIM signature.
"""

from __future__ import annotations

from typing import Any

from mail_support import DOMAIN, MailEnv, add_staff, make_mail, passing_auth, trust_relay

from hub.accounts import commands as ac
from hub.actors import system_actor
from hub.bootstrap import Hub


def _types(hub: Hub, ticket_id: int) -> list[str]:
    with hub.engine.connect() as conn:
        return [e.type for e in hub.store.read_stream(conn, f"ticket-{ticket_id}")]


def _events_of(hub: Hub, ticket_id: int, kind: str) -> list[Any]:
    with hub.engine.connect() as conn:
        return [e for e in hub.store.read_stream(conn, f"ticket-{ticket_id}") if e.type == kind]


def _open_ticket(mail: MailEnv) -> Any:
    mail.send(make_mail("Printer jammed", "paper everywhere", msgid="<p1@example.com>"))
    mail.wait_processed(1)
    (ticket,) = mail.tickets()
    return ticket


def _support_group_manages_general(hub: Hub, member: str) -> None:
    """A group grant makes the queue *managed*: staff hold there only what was granted."""
    bus, cli = hub.bus, system_actor("cli")
    bus.handle(ac.CreateGroup(name="support"), cli)
    bus.handle(ac.ChangeGroupMember(group="support", user=member), cli)
    for right in ("ShowTicket", "CommentOnTicket", "ShowTicketComments"):
        bus.handle(ac.GrantRight(scope="General", principal="group:support", right=right), cli)


def test_staff_tagged_mail_to_comment_address_adds_a_comment(mail: MailEnv) -> None:
    add_staff(mail.hub, "bob", "bob@example.com")
    _support_group_manages_general(mail.hub, "bob")
    trust_relay(mail.hub)
    ticket = _open_ticket(mail)
    mail.send(make_mail(f"[hub #{ticket.id}] Printer jammed", "Toner is empty too",
                        sender="bob@example.com", to=f"general-comment@{DOMAIN}",
                        msgid="<b1@example.com>", headers=passing_auth()),
              rcpts=[f"general-comment@{DOMAIN}"], mail_from="bob@example.com")
    rows = mail.wait_processed(2)
    assert rows[1].state == "processed", rows[1].error
    assert rows[1].result == {"action": "comment", "ticket_id": ticket.id}
    assert _types(mail.hub, ticket.id).count("TicketCommented") == 1


def test_staff_outside_the_managing_group_cannot_comment_by_mail(mail: MailEnv) -> None:
    add_staff(mail.hub, "bob", "bob@example.com")
    add_staff(mail.hub, "carol", "carol@example.com")
    _support_group_manages_general(mail.hub, "bob")
    trust_relay(mail.hub)
    ticket = _open_ticket(mail)
    mail.send(make_mail(f"[hub #{ticket.id}] Printer jammed", "not my queue",
                        sender="carol@example.com", to=f"general-comment@{DOMAIN}",
                        msgid="<k1@example.com>", headers=passing_auth()),
              rcpts=[f"general-comment@{DOMAIN}"], mail_from="carol@example.com")
    rows = mail.wait_processed(2)
    # Kept (never lost after the 250), but only as a marked private comment acting for
    # no user: carol gains nothing on a ticket she may not see.
    assert rows[1].state == "processed", rows[1].error
    assert rows[1].result["unverified"] is True and "not found" in rows[1].result["reason"]
    (note,) = _events_of(mail.hub, ticket.id, "TicketCommented")
    assert note.meta["actor"] == "carol@example.com" and note.data["authenticated"] is False
    assert note.data["body"].startswith("[Mail from <carol@example.com>, who holds no role")


def test_customer_tagged_mail_to_comment_address_adds_no_comment(mail: MailEnv) -> None:
    ticket = _open_ticket(mail)
    mail.send(make_mail(f"[hub #{ticket.id}] Printer jammed", "let me read the notes",
                        to=f"general-comment@{DOMAIN}", msgid="<c2@example.com>"),
              rcpts=[f"general-comment@{DOMAIN}"])
    rows = mail.wait_processed(2)
    # The requestor may not comment: the text is kept as a marked private note instead
    # (no customer actor, nothing they could read back).
    assert rows[1].state == "processed" and rows[1].result["unverified"] is True
    (note,) = _events_of(mail.hub, ticket.id, "TicketCommented")
    assert note.data["body"].startswith("[Mail from an unverified sender <customer@")
    assert note.meta["actor"] == "customer@example.com" and note.data["authenticated"] is False
