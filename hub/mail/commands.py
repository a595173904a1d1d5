"""What others may ask of the mail feature: its bus commands and the one outbox.

Bus commands: change or reset an admin-editable template, send a wiki digest,
release or discard held outgoing mail.
Every message the hub sends leaves through one table, ``mail_outbox``, drained by
the outbox sender: :func:`enqueue` (a message planned from a template, rendered
when sent) and :func:`enqueue_message` (a message already composed) insert one row
in the caller's transaction (a unit of work's ``uow.conn``, or a connection in
``begin()``), so mail is queued exactly when the change that causes it commits.
The ``dedupe_key`` is what a retry must repeat: a second row with the same key is
never queued, so the receiver never gets the same message twice.

With no smarthost configured a new message is stored ``held`` (reason
:data:`NO_SMARTHOST`), visible in the outbox: mail never piles up unseen and never
floods out by itself once a smarthost is set; an admin releases it on purpose
(:class:`ReleaseOutgoingMail`, ``hub mail release``).

``Status: resolved`` lines in mail bodies are instructions, parsed in
:mod:`hub.mail.instructions`, not bus commands.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from email import policy
from email.message import EmailMessage
from typing import Any

import sqlalchemy as sa

from hub.config import Settings
from hub.eventstore import utcnow
from hub.mail.tables import mail_outbox

__all__ = [
    "NO_SMARTHOST",
    "OUTBOX_STATES",
    "DiscardOutgoingMail",
    "Outgoing",
    "ReleaseOutgoingMail",
    "ResetMailTemplate",
    "SendWikiDigest",
    "SetMailTemplate",
    "enqueue",
    "enqueue_message",
    "hold_reason",
    "ref_for",
]

#: Why mail is held when ``HUB_SMARTHOST`` is unset (also the outbox row's error).
NO_SMARTHOST = "no smarthost configured (HUB_SMARTHOST)"
#: States of an outbox row: waiting to go, parked until released, delivered, given up on,
#: and dropped by an admin (kept, so the same message is never queued again).
OUTBOX_STATES = ("queued", "held", "sent", "failed", "discarded")


@dataclass(frozen=True)
class SetMailTemplate:
    """Override the default template ``name`` (admins only; it must render)."""

    name: str
    subject: str
    text: str
    html: str | None = None


@dataclass(frozen=True)
class ResetMailTemplate:
    """Drop the override of ``name``; the built-in default applies again."""

    name: str


@dataclass(frozen=True)
class SendWikiDigest:
    """Queue ``username``'s composed digest (``raw``) and record it as sent up to ``upto``.

    ``raw`` is ``None`` when there was nothing to tell: the digest is recorded (so
    the subscriber is not asked about again) and nothing is sent. System actors only.
    """

    username: str
    upto: int
    count: int
    recipient: str = ""
    envelope_from: str = ""
    message_id: str = ""
    raw: bytes | None = None


@dataclass(frozen=True)
class ReleaseOutgoingMail:
    """Let held (or failed) outgoing mail go: the messages ``ids``, or with
    ``all_held`` every held message (only those of ``kind`` when given). Admins only;
    refused while no smarthost is configured, since released mail would only wait."""

    ids: tuple[int, ...] = ()
    all_held: bool = False
    kind: str | None = None


@dataclass(frozen=True)
class DiscardOutgoingMail:
    """Never send the held, queued or failed messages ``ids`` (admins only)."""

    ids: tuple[int, ...]


@dataclass(frozen=True)
class Outgoing:
    """One message for one recipient, ready to store in the outbox.

    ``context`` is the template input (rendered by the sender, so a template fixed
    by an admin applies to mail still queued); ``raw`` a message composed already.
    """

    dedupe_key: str
    kind: str
    ticket_id: int | None
    recipient: str
    envelope_from: str
    message_id: str
    context: dict[str, Any] = field(default_factory=dict)
    raw: bytes | None = None


def ref_for(dedupe_key: str) -> str:
    """Short stable id of an outbox row, used in the VERP return path."""
    return hashlib.sha256(dedupe_key.encode()).hexdigest()[:16]


_EXISTS = sa.select(mail_outbox.c.id).where(mail_outbox.c.dedupe_key == sa.bindparam("key"))
_INSERT = sa.insert(mail_outbox)


def hold_reason(settings: Settings) -> str | None:
    """Why new mail cannot go out now (it is stored ``held``), or None."""
    return None if settings.smarthost.strip() else NO_SMARTHOST


def enqueue(conn: sa.Connection, out: Outgoing, *, settings: Settings,
            held: str | None = None) -> bool:
    """Insert the message unless this key was queued before; True when newly queued.

    ``held`` parks it (state ``held``, the reason as its error) instead of sending it:
    an admin sees it in the outbox, the sender never picks it up. Without a smarthost
    in ``settings`` every message is held so (:data:`NO_SMARTHOST`).
    """
    if conn.execute(_EXISTS, {"key": out.dedupe_key}).first() is not None:
        return False
    held = held or hold_reason(settings)
    now = utcnow()
    conn.execute(_INSERT, {
        "dedupe_key": out.dedupe_key, "ref": ref_for(out.dedupe_key), "kind": out.kind,
        "ticket_id": out.ticket_id, "recipient": out.recipient.lower(),
        "envelope_from": out.envelope_from, "message_id": out.message_id, "raw": out.raw,
        "context": out.context, "state": "held" if held else "queued", "attempts": 0,
        "last_error": held, "next_attempt_at": now, "created_at": now})
    return True


def enqueue_message(conn: sa.Connection, message: EmailMessage, *, settings: Settings,
                    dedupe_key: str, kind: str, recipient: str | None = None,
                    envelope_from: str | None = None, ticket_id: int | None = None) -> bool:
    """Queue a composed message; recipient and envelope default to its To and From."""
    rcpt = recipient or message["To"].addresses[0].addr_spec
    sender = envelope_from if envelope_from is not None else \
        message["From"].addresses[0].addr_spec
    return enqueue(conn, Outgoing(
        dedupe_key=dedupe_key, kind=kind, ticket_id=ticket_id, recipient=rcpt,
        envelope_from=sender, message_id=str(message["Message-ID"]),
        raw=message.as_bytes(policy=policy.SMTP)), settings=settings)
