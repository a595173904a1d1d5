"""Typed reads of the mail feature: what arrived, what is waiting to leave.

The desk, the admin pages and the CLI list mail through these instead of reading
``mail_inbox``/``mail_outbox`` themselves.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from hub.mail.tables import mail_inbox, mail_outbox

__all__ = ["InboxEntry", "OutboxEntry", "inbox", "inbox_counts", "outbox"]


@dataclass(frozen=True)
class InboxEntry:
    id: int
    state: str
    mail_from: str | None
    message_id: str | None
    detail: Any


@dataclass(frozen=True)
class OutboxEntry:
    id: int
    recipient: str
    kind: str
    state: str
    attempts: int
    ticket_id: int | None
    created_at: dt.datetime


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


def outbox(conn: sa.Connection, *, state: str | None = None, limit: int = 50) -> list[OutboxEntry]:
    """Outgoing messages, newest first."""
    query = sa.select(mail_outbox).order_by(mail_outbox.c.id.desc()).limit(limit)
    if state:
        query = query.where(mail_outbox.c.state == state)
    return [OutboxEntry(int(r.id), r.recipient, r.kind, r.state, int(r.attempts), r.ticket_id,
                        r.created_at) for r in conn.execute(query).all()]
