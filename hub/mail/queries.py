"""Typed reads of the mail feature: what arrived, what is waiting to leave, where mail goes.

The desk, the admin pages, the CLI and ``hub serve`` read mail through these instead of
reading ``mail_inbox``/``mail_outbox`` themselves.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from hub.domain import NotFoundError, ValidationError
from hub.mail.commands import OUTBOX_STATES, hold_reason
from hub.mail.tables import mail_inbox, mail_outbox
from hub.mail.threading import add_tag, reply_address

if TYPE_CHECKING:
    from hub.bootstrap import Hub
    from hub.config import Settings

__all__ = ["OUTBOX_STATES", "InboxEntry", "OutboxEntry", "OutboxMessage", "inbox",
           "inbox_counts", "outbox", "outbox_counts", "outbox_message", "outbox_state",
           "startup_banner", "tagged_subject", "ticket_reply_address"]
MAX_OUTBOX_PAGE = 500


@dataclass(frozen=True)
class InboxEntry:
    id: int
    state: str
    mail_from: str | None
    message_id: str | None
    detail: Any


@dataclass(frozen=True)
class OutboxEntry:
    """One outgoing message as the outbox lists it (``error``: why it waits or failed)."""

    id: int
    to: str
    subject: str
    kind: str
    state: str
    attempts: int
    error: str | None
    ticket_id: int | None
    created_at: dt.datetime
    sent_at: dt.datetime | None
    next_attempt_at: dt.datetime | None

    def document(self) -> dict[str, Any]:
        """The API's shape (times in ISO 8601, UTC)."""
        def iso(value: dt.datetime | None) -> str | None:
            return None if value is None else value.replace(tzinfo=dt.UTC).isoformat()

        return {"id": self.id, "to": self.to, "subject": self.subject, "kind": self.kind,
                "state": self.state, "attempts": self.attempts, "error": self.error,
                "ticket_id": self.ticket_id, "created_at": iso(self.created_at),
                "sent_at": iso(self.sent_at), "next_attempt_at": iso(
                    self.next_attempt_at if self.state == "queued" else None)}


@dataclass(frozen=True)
class OutboxMessage:
    """One outgoing message in full: what was sent, or what would be sent now."""

    entry: OutboxEntry
    envelope_from: str
    headers: list[tuple[str, str]]
    body: str
    parts: list[str]  # the content types of its parts, e.g. text/plain, text/html
    as_sent: bool  # False: rendered now from its template (it has not been sent yet)


def inbox(conn: sa.Connection, *, state: str | None = None, limit: int = 20,
          ids: list[int] | None = None) -> list[InboxEntry]:
    """The newest inbound messages (oldest first), with their result or error."""
    query = sa.select(mail_inbox).order_by(mail_inbox.c.id.desc()).limit(limit)
    if state:
        query = query.where(mail_inbox.c.state == state)
    if ids is not None:
        query = query.where(mail_inbox.c.id.in_(ids))
    rows = list(reversed(conn.execute(query).all()))
    return [InboxEntry(int(r.id), r.state, r.mail_from, r.message_id,
                       r.error if r.state == "failed" else r.result) for r in rows]


def inbox_counts(conn: sa.Connection) -> dict[str, int]:
    rows = conn.execute(sa.select(mail_inbox.c.state, sa.func.count())
                        .group_by(mail_inbox.c.state)).all()
    return {str(r[0]): int(r[1]) for r in rows}


def _message(hub: Hub, conn: sa.Connection, row: Any) -> tuple[EmailMessage | None, str]:
    """The row's message (as sent, else rendered from its template now), or why not."""
    if row.raw is not None:
        parsed = BytesParser(policy=policy.default).parsebytes(bytes(row.raw))
        assert isinstance(parsed, EmailMessage)
        return parsed, ""
    from hub.mail.messages import render

    try:
        return render(hub, conn, kind=row.kind, recipient=row.recipient,
                      message_id=row.message_id, envelope_from=row.envelope_from,
                      context=row.context), ""
    except Exception as exc:  # an admin's broken template: show it, never fail the page
        return None, f"cannot render: {type(exc).__name__}: {exc}"[:300]


def _entry(hub: Hub, conn: sa.Connection, row: Any) -> tuple[OutboxEntry, EmailMessage | None]:
    message, problem = _message(hub, conn, row)
    subject = str(message["Subject"] or "") if message is not None else f"({problem})"
    return OutboxEntry(int(row.id), row.recipient, subject, row.kind, row.state,
                       int(row.attempts), row.last_error, row.ticket_id, row.created_at,
                       row.sent_at, row.next_attempt_at), message


def outbox(hub: Hub, conn: sa.Connection, *, state: str | None = None, kind: str | None = None,
           limit: int = 50, offset: int = 0) -> list[OutboxEntry]:
    """Outgoing messages, newest first, with the subject each has (or will have)."""
    if state and state not in OUTBOX_STATES:
        raise ValidationError(f"state is one of {', '.join(OUTBOX_STATES)}", state=state)
    if not 1 <= limit <= MAX_OUTBOX_PAGE or offset < 0:
        raise ValidationError(f"limit is 1 to {MAX_OUTBOX_PAGE} and offset at least 0")
    query = sa.select(mail_outbox).order_by(mail_outbox.c.id.desc()).limit(limit).offset(offset)
    if state:
        query = query.where(mail_outbox.c.state == state)
    if kind:
        query = query.where(mail_outbox.c.kind == kind)
    return [_entry(hub, conn, r)[0] for r in conn.execute(query).all()]


def outbox_state(conn: sa.Connection, dedupe_key: str) -> tuple[str, str | None] | None:
    """``(state, last error)`` of the message queued under ``dedupe_key``, or ``None``:
    how a feature that queued mail learns whether the smarthost took it."""
    row = conn.execute(sa.select(mail_outbox.c.state, mail_outbox.c.last_error)
                       .where(mail_outbox.c.dedupe_key == dedupe_key)).first()
    return None if row is None else (str(row.state), row.last_error)


def ticket_reply_address(settings: Settings, queue: str, ticket_id: int, recipient: str,
                         *, comment: bool) -> str:
    """The signed per-ticket reply address minted for ``recipient`` (a Reply-To): a reply
    to it threads to the ticket and, from that recipient, counts as coming from them
    (see :mod:`hub.mail.authentication`). ``comment`` gives the private comment form."""
    return reply_address(queue, ticket_id, settings.mail_domain, settings.secret_key,
                         comment=comment, recipient=recipient)


def tagged_subject(settings: Settings, subject: str, ticket_id: int) -> str:
    """``subject`` with the ticket's ``[tag #id]`` (once, after any ``Re:``), so a reply
    threads to the ticket even without our reply address."""
    return add_tag(subject, settings.ticket_tag, ticket_id)


def outbox_counts(conn: sa.Connection) -> dict[str, int]:
    """How many outgoing messages are in each state (every state named, zero or not)."""
    rows = conn.execute(sa.select(mail_outbox.c.state, sa.func.count())
                        .group_by(mail_outbox.c.state)).all()
    found = {str(r[0]): int(r[1]) for r in rows}
    return {state: found.get(state, 0) for state in OUTBOX_STATES}


def outbox_message(hub: Hub, conn: sa.Connection, outbox_id: int) -> OutboxMessage:
    """One message with its headers and text, as sent or as it would be sent now."""
    row = conn.execute(sa.select(mail_outbox).where(mail_outbox.c.id == outbox_id)).first()
    if row is None:
        raise NotFoundError(f"no outgoing message {outbox_id}")
    entry, message = _entry(hub, conn, row)
    if message is None:
        return OutboxMessage(entry, row.envelope_from, [], entry.subject, [], False)
    part = message.get_body(preferencelist=("plain", "html"))
    try:
        body = part.get_content() if part is not None else ""
    except (LookupError, ValueError):  # an unknown charset: show the bytes as they are
        body = (part.get_payload(decode=True) or b"").decode("utf-8", "replace")  # type: ignore[union-attr]
    return OutboxMessage(entry, row.envelope_from,
                         [(name, str(value)) for name, value in message.items()], str(body),
                         [p.get_content_type() for p in message.walk()
                          if not p.is_multipart()], row.raw is not None)


def startup_banner(hub: Hub, smtp_bind: str | None) -> list[str]:
    """What a new admin needs on start: where to send mail, whether mail goes out, and
    where links in mail point (``smtp_bind`` None: the gateway is not started here)."""
    from hub.mail.messages import address_book, own_extra_addresses

    settings = hub.settings
    book = address_book(hub)
    book.refresh(force=True)
    lines = [f"Mail domain: {settings.mail_domain}"]
    for name in sorted(book.queues):
        lines.append(f"  queue {name}: {book.queue_address(name)} (correspond), "
                     f"{book.queue_address(name, comment=True)} (comment)")
    if not book.queues:
        lines.append("  no queues yet: mail is refused until one exists")
    extra = own_extra_addresses(settings.extra)
    if extra:
        lines.append(f"  also ours: {', '.join(extra)}")
    lines.append(f"SMTP gateway: {smtp_bind} (deliver mail for these addresses here)"
                 if smtp_bind else "SMTP gateway: not started here (--no-smtp)")
    with hub.engine.connect() as conn:
        held = outbox_counts(conn)["held"]
    reason = hold_reason(settings)
    if reason:
        lines.append(f"Outgoing mail: held, {reason}; {held} held now "
                     "(hub mail outbox, /admin/mail)")
    else:
        lines.append(f"Outgoing mail: via {settings.smarthost}"
                     + (f"; {held} held (release with hub mail release)" if held else ""))
    lines.append(f"Links in mail: {settings.public_url} (HUB_BASE_URL)")
    return lines
