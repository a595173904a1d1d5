"""Nothing we answered 250 to is lost: oversized text, lossy parses, unprocessable mail.

After the 250 the sender believes the hub has the message, so every outcome must be a
ticket or an update somebody can see:

* text beyond the tickets' limits (``hub.tickets.queries.text_limits``) moves into an
  attachment (``body.txt`` / ``body.html`` with the whole text) and the body keeps its
  start plus a note saying so;
* when parsing was lossy (broken MIME, guessed charsets, unreadable parts) the original
  message is attached as ``message.eml``, so the sender's bytes are one click away;
* mail that cannot be processed at all opens a ticket in the admin queue
  (``[mail] error_queue``, default ``Mail-Errors``, created on demand, customers may not
  create there and no requestor is set, so only staff see it) with the original attached;
* mail to a ticket from a sender without a role on it is kept as a private comment,
  marked as unverified, or, from a stranger, as an admin-queue ticket (see the pipeline).
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

from hub.actors import system_actor
from hub.bootstrap import Hub
from hub.domain import DomainError
from hub.mail.inbox import InboxItem, blobs
from hub.mail.parsing import Attachment, ParsedMail
from hub.tickets import commands as tc
from hub.tickets.queries import text_limits

log = logging.getLogger(__name__)
GATEWAY = system_actor("email", "mail-gateway")
DEFAULT_ERROR_QUEUE = "Mail-Errors"
_NOTE = ("\n\n[The message was longer than a ticket entry can hold: the complete text "
         "is attached as {name} ({size} characters).]")
#: Defects that lose nothing of what the sender wrote.
_HARMLESS = ("Message-ID: missing", "Date: unparseable")
_MARGIN = 2000  # room for the note and for masking that lengthens the text


def _lossy(parsed: ParsedMail) -> bool:
    return any(not d.startswith(_HARMLESS) for d in parsed.defects)


def _file(name: str, content_type: str, content: bytes) -> Attachment:
    return Attachment(name, content_type, content, len(content), None, "attachment")


def fit(parsed: ParsedMail, raw: bytes) -> tuple[ParsedMail, list[str]]:
    """``parsed`` made to fit a ticket event; returns it and what was moved aside."""
    max_subject, max_body = text_limits()
    moved: list[str] = []
    text, html, extra = parsed.text, parsed.html, list(parsed.attachments)
    if len(parsed.subject.strip()) > max_subject:  # the ticket's subject is cut: keep it all
        text += f"\n\n[The subject was cut to {max_subject} characters. In full: " \
                f"{parsed.subject.strip()}]"
        moved.append("subject")
    if len(text) > max_body - _MARGIN:
        extra.append(_file("body.txt", "text/plain; charset=utf-8", text.encode("utf-8")))
        cut = text[:max_body - _MARGIN]
        text = cut + _NOTE.format(name="body.txt", size=f"{len(text):,}")
        moved.append("body.txt")
    if html is not None and len(html) > max_body - _MARGIN:
        extra.append(_file("body.html", "text/html; charset=utf-8", html.encode("utf-8")))
        html = None
        moved.append("body.html")
    if _lossy(parsed):
        extra.append(_file("message.eml", "message/rfc822", raw))
        moved.append("message.eml")
    if not moved:
        return parsed, moved
    return replace(parsed, text=text, html=html, attachments=tuple(extra)), moved


def error_queue(hub: Hub) -> str:
    section = hub.settings.extra.get("mail")
    name = section.get("error_queue") if isinstance(section, dict) else None
    return str(name or DEFAULT_ERROR_QUEUE)


def _ensure_queue(hub: Hub, name: str) -> None:
    """Create the admin queue the first time it is needed (staff only: customers may
    not open tickets there, and the tickets we put there name no requestor)."""
    from hub.mail.messages import address_book

    book = address_book(hub)
    book.refresh(force=True)
    if name in book.queues:
        return
    try:
        hub.bus.handle(tc.CreateQueue(name=name, description="Mail the hub could not process",
                                      customers_may_create=False), GATEWAY,
                       idempotency_key=f"mail:error-queue:{name}")
    except DomainError as exc:  # created meanwhile by another worker
        log.info("admin queue %s: %s", name, exc.message)
    book.refresh(force=True)


def admin_ticket(hub: Hub, item: InboxItem, raw: bytes, parsed: ParsedMail | None,
                 problem: str, key: str, for_ticket: int | None = None) -> int:
    """Open a ticket about this message in the admin queue; returns its id."""
    queue = error_queue(hub)
    _ensure_queue(hub, queue)
    sender = (parsed.from_addr if parsed else None) or item.mail_from or "(null sender)"
    subject = (parsed.subject if parsed else "") or "(no subject)"
    about = f" for ticket #{for_ticket}" if for_ticket is not None else ""
    lines = [f"A message{about} from {sender} was not processed normally: {problem}", "",
             f"Envelope sender: {item.mail_from or '<>'}",
             f"Recipients: {', '.join(item.rcpts)}",
             f"Subject: {subject}", f"Inbox message: {item.id} (via {item.source})", "",
             "The original message is attached as message.eml. Nothing in it was applied."]
    store = blobs(hub)
    extra: dict[str, Any] = {
        "attachments": [{"sha256": store.put(raw), "filename": "message.eml",
                         "content_type": "message/rfc822", "size": len(raw),
                         "content_id": None}],
        "message_id": parsed.message_id if parsed else None,
        "from": sender, "autoreply": False, "autoreply_reason": "held for an administrator",
        "authenticated": False}
    max_subject, _ = text_limits()
    title = f"Mail{about} from {sender}: {subject}"[:max_subject]
    result = hub.bus.handle(tc.CreateTicket(queue=queue, subject=title, body="\n".join(lines),
                                            requestors=[], cc=[], extra=extra),
                            GATEWAY, idempotency_key=f"mail:{key}:admin")
    return int(result["id"])


def unverified_comment(hub: Hub, ticket_id: int, address: str, body: str,
                       extra: dict[str, Any], key: str, verified: bool) -> None:
    """Keep a message as a private comment, clearly marked, applying nothing.

    Recorded with the sender's address as actor (never a user's name) and
    ``"authenticated": false`` (the message acts for no user); a comment is never
    mailed to customers. ``verified``: a trusted relay vouched for the address, which
    simply holds no role on this ticket.
    """
    who = (f"<{address}>, who holds no role on this ticket" if verified
           else f"an unverified sender <{address}>")
    marked = (f"[Mail from {who}. It is kept as a private comment; nothing in it was "
              "applied or sent on.]\n\n" + body)
    _, max_body = text_limits()
    actor = system_actor("email", address)
    hub.bus.handle(tc.Comment(ticket_id=ticket_id, body=marked[:max_body],
                              extra={**extra, "authenticated": False}),
                   actor, idempotency_key=f"mail:{key}:unverified")
