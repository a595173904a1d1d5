"""Render one outgoing message about a ticket: template, threading headers, VERP.

Shared by the notifier (mail caused by ticket events) and the inbound pipeline
(the "commands not applied" notice), so every message we send carries the same
loop-safety headers, a signed Message-ID and a signed Reply-To.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from email.message import EmailMessage
from email.utils import formataddr
from typing import Any

import sqlalchemy as sa

from hub.bootstrap import Hub
from hub.mail.addresses import AddressBook
from hub.mail.commands import Outgoing, ref_for
from hub.mail.compose import AutoSubmitted, compose, render_template
from hub.mail.handlers import load_template
from hub.mail.threading import add_tag, bounce_address, make_message_id, reply_address

_KIND_LETTER = {"autoreply": "a", "correspondence": "r", "comment": "c", "resolved": "s",
                "command_refused": "x"}


def address_book(hub: Hub) -> AddressBook:
    """One cached address book per hub (queues change rarely; 2 s staleness is fine)."""
    book = hub.services.get("mail.addresses")
    if book is None:
        book = AddressBook(hub.engine, hub.settings.mail_domain, hub.settings.secret_key,
                           extra=own_extra_addresses(hub.settings.extra))
        hub.services["mail.addresses"] = book
    assert isinstance(book, AddressBook)
    return book


def own_extra_addresses(extra: Mapping[str, Any]) -> list[str]:
    """Addresses of ours the queues do not name: each IMAP account's ``address`` and its
    user name when that is an address (the polled mailbox), and ``[mail] own_addresses``.
    None of them may become a requestor or watcher: mail to them would come back to us."""
    found: list[str] = []
    accounts = extra.get("imap")
    accounts = [accounts] if isinstance(accounts, Mapping) else accounts  # one [imap] table
    for account in accounts if isinstance(accounts, list) else []:
        if isinstance(account, Mapping):
            found += [str(account.get(k) or "") for k in ("address", "mailbox_address", "username")]
    section = extra.get("mail")
    listed = section.get("own_addresses") if isinstance(section, Mapping) else None
    found += [str(a) for a in listed] if isinstance(listed, list) else []
    return [a.strip().lower() for a in found if "@" in a]


def ticket_url(hub: Hub, ticket_id: int) -> str:
    """The ticket's page as the recipient reaches it (``HUB_BASE_URL``)."""
    return f"{hub.settings.public_url}/tickets/{ticket_id}"


def dedupe_key(*parts: object) -> str:
    text = ":".join(str(p) for p in parts)
    return text if len(text) <= 180 else text[:120] + ":" + hashlib.sha256(
        text.encode()).hexdigest()[:40]


def plan(hub: Hub, *, kind: str, key: str, ticket: Mapping[str, Any], recipient: str,
         position: int, context: Mapping[str, Any], in_reply_to: str | None = None,
         references: Sequence[str] = (),
         auto_submitted: AutoSubmitted = "auto-generated") -> Outgoing:
    """Decide one message (ids, envelope, template input); rendering waits for the sender.

    Deferring the rendering keeps the reactor cheap (it runs beside the SMTP gateway) and
    lets a template fixed by an admin apply to mail still queued.
    """
    settings = hub.settings
    domain, secret = settings.mail_domain, settings.secret_key
    ticket_id = int(ticket["id"])
    recipient = recipient.lower()
    recipient_hash = hashlib.sha256(recipient.encode()).hexdigest()[:8]
    part = _KIND_LETTER.get(kind, "m") + recipient_hash
    message_id = make_message_id(ticket_id, position, domain, secret, part=part)
    envelope = bounce_address(ticket_id, ref_for(key), recipient, domain, secret)
    stored = {"ticket": dict(ticket), "vars": dict(context), "in_reply_to": in_reply_to,
              "references": list(references), "auto_submitted": auto_submitted}
    return Outgoing(dedupe_key=key, kind=kind, ticket_id=ticket_id, recipient=recipient,
                    envelope_from=envelope, message_id=message_id, context=stored)


def render(hub: Hub, conn: sa.Connection, *, kind: str, recipient: str, message_id: str,
           envelope_from: str, context: Mapping[str, Any]) -> EmailMessage:
    """The complete message for an outbox row (template, tag, threading, loop headers)."""
    settings = hub.settings
    domain, secret = settings.mail_domain, settings.secret_key
    ticket = context["ticket"]
    ticket_id = int(ticket["id"])
    queue = str(ticket["queue"])
    comment = kind == "comment"
    values = {**context.get("vars", {}), "ticket": {**ticket, "url": ticket_url(hub, ticket_id)},
              "tag": settings.ticket_tag}
    subject, text, html = render_template(load_template(conn, kind), values)
    auto: AutoSubmitted = ("auto-replied" if context.get("auto_submitted") == "auto-replied"
                           else "auto-generated")
    from_addr = address_book(hub).queue_address(queue, comment=comment)
    label = context.get("vars", {}).get("sender_label")
    if isinstance(label, str) and label:
        # An unverified sender is named by their address, never by a user's display name.
        from_addr = formataddr((" ".join(label.split())[:200], from_addr))
    return compose(
        recipient, add_tag(subject, settings.ticket_tag, ticket_id), text, html,
        from_addr=from_addr,
        reply_to=reply_address(queue, ticket_id, domain, secret, comment=comment,
                               recipient=recipient),
        message_id=message_id, in_reply_to=context.get("in_reply_to"),
        references=context.get("references") or (), auto_submitted=auto,
        loop_header_value=domain,
    )
