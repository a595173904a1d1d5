"""Ticket lists for the API (filters, ordering, paging), filtered by the access rule."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from hub.actors import Actor
from hub.domain import ValidationError
from hub.tickets.access import visible
from hub.tickets.queue_reads import internal_fields
from hub.tickets.snapshot import public
from hub.tickets.tables import ticket_watchers, tickets

MAX_LIMIT = 1000


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


ORDERS = {"id": tickets.c.id, "priority": tickets.c.priority, "updated": tickets.c.updated_at,
          "created": tickets.c.created_at, "status": tickets.c.status,
          "subject": tickets.c.subject, "owner": tickets.c.owner, "queue": tickets.c.queue}


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
    if f.q:
        for word in f.q.lower().split()[:10]:
            escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            where.append(tickets.c.search_text.like(f"%{escaped}%", escape="\\"))
    if f.updated_after:
        where.append(tickets.c.updated_at >= f.updated_after)
    if f.updated_before:
        where.append(tickets.c.updated_at < f.updated_before)
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
