"""Ticket lists for the API (filters, ordering, paging), filtered by the access rule,
and the one ``q=`` word match the API list and the desk's list both use."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from hub.actors import Actor
from hub.db import events
from hub.domain import ValidationError
from hub.tickets.access import visible
from hub.tickets.queue_reads import internal_fields
from hub.tickets.snapshot import public
from hub.tickets.tables import ticket_watchers, tickets

MAX_LIMIT = 1000
MAX_WORDS = 10


@dataclass(frozen=True)
class TicketFilter:
    queue: str | None = None
    status: list[str] | None = None
    owner: str | None = None
    requestor: str | None = None
    q: str | None = None
    limit: int = 50
    offset: int = 0
    order: str = "-id"
    updated_after: dt.datetime | None = None
    updated_before: dt.datetime | None = None
    #: More conditions from other features' list filters (e.g. ``sla=breached``), each
    #: a SQL condition on ``tickets.id``; the access rule still applies.
    extra: tuple[Any, ...] = ()


ORDERS = {"id": tickets.c.id, "priority": tickets.c.priority, "updated": tickets.c.updated_at,
          "created": tickets.c.created_at, "status": tickets.c.status,
          "subject": tickets.c.subject, "owner": tickets.c.owner, "queue": tickets.c.queue}


_COMMENT_BODY = sa.func.lower(events.c.data["body"].as_string())


def _in_comments(pattern: str) -> Any:
    """SQL: a comment on the ticket contains ``pattern`` (read from the ticket's own events,
    through the store's ``(stream_id, version)`` index, one ticket at a time)."""
    stream = sa.literal("ticket-") + sa.cast(tickets.c.id, sa.String)
    return sa.exists().where(events.c.stream_id == stream,
                             events.c.type == "TicketCommented",
                             _COMMENT_BODY.like(pattern, escape="\\"))


def text_match(viewer: Actor, q: str | None) -> list[Any]:
    """``q=``: every word (up to ten) occurs in the subject, the first message or the
    correspondence, or in a comment where ``viewer`` may read comments
    (ShowTicketComments, by the one access rule). The search page finds the same:
    comments are staff-only there too, so a customer never finds a ticket by them."""
    conditions: list[Any] = []
    may_read_comments = visible(viewer, "ShowTicketComments")
    for word in (q or "").lower().split()[:MAX_WORDS]:
        escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        pattern = f"%{escaped}%"
        conditions.append(sa.or_(tickets.c.search_text.like(pattern, escape="\\"),
                                 sa.and_(may_read_comments, _in_comments(pattern))))
    return conditions


def list_tickets(conn: sa.Connection, viewer: Actor, f: TicketFilter) -> dict[str, Any]:
    if not 1 <= f.limit <= MAX_LIMIT or f.offset < 0:
        raise ValidationError(f"limit is 1 to {MAX_LIMIT} and offset at least 0")
    where: list[Any] = [tickets.c.merged_into.is_(None)]
    where.append(visible(viewer))
    if f.queue:
        where.append(sa.func.lower(tickets.c.queue) == f.queue.lower())
    if f.status:
        where.append(tickets.c.status.in_(f.status))
    if f.owner is not None:
        where.append(tickets.c.owner.is_(None) if f.owner in ("", "Nobody")
                     else tickets.c.owner == f.owner)
    if f.requestor:
        where.append(tickets.c.id.in_(sa.select(ticket_watchers.c.ticket_id).where(
            ticket_watchers.c.address == f.requestor.lower(),
            ticket_watchers.c.role == "requestors")))
    where += text_match(viewer, f.q)
    if f.updated_after:
        where.append(tickets.c.updated_at >= f.updated_after)
    if f.updated_before:
        where.append(tickets.c.updated_at < f.updated_before)
    where += [tickets.c.id.in_(ids) for ids in f.extra]
    key = f.order.lstrip("-")
    if key not in ORDERS:
        raise ValidationError(f"order is one of {sorted(ORDERS)} (prefix - for descending)")
    column = ORDERS[key]
    ordering = [column.desc() if f.order.startswith("-") else column.asc(), tickets.c.id.desc()]
    total = conn.execute(sa.select(sa.func.count()).select_from(tickets).where(*where)).scalar()
    rows = conn.execute(
        sa.select(tickets.c.state).where(*where).order_by(*ordering)
        .limit(f.limit).offset(f.offset)
    ).all()
    hidden: dict[str, frozenset[str]] = {}
    out = []
    for row in rows:
        queue = row.state["queue"]
        if queue not in hidden:
            hidden[queue] = internal_fields(conn, queue)
        out.append(public(row.state, internal_fields=hidden[queue], staff=viewer.is_staff))
    return {"tickets": out, "total": int(total or 0)}
