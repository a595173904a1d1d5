"""The desk's ticket search: list columns only (never the JSON state), one page at a time.

Lives with tickets because it is a read of tickets' tables; the desk reaches it
through :mod:`hub.tickets.queries`. Every query is filtered by
:func:`hub.tickets.access.visible`, the condition derived from the one access rule.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from hub.actors import Actor
from hub.domain import ValidationError
from hub.tickets.access import visible
from hub.tickets.lists import text_match
from hub.tickets.queue_reads import find_queue
from hub.tickets.tables import ticket_watchers, tickets

PER_PAGE = 50
MAX_PAGE = 10_000
SEARCH_ORDERS = {
    "id": tickets.c.id, "updated": tickets.c.updated_at, "created": tickets.c.created_at,
    "priority": tickets.c.priority, "status": tickets.c.status, "subject": tickets.c.subject,
    "owner": tickets.c.owner, "queue": tickets.c.queue,
}
COLUMNS = (tickets.c.id, tickets.c.subject, tickets.c.queue, tickets.c.status, tickets.c.owner,
           tickets.c.priority, tickets.c.created_at, tickets.c.updated_at)


@dataclass(frozen=True)
class DeskSearch:
    queue: str | None = None
    status: tuple[str, ...] = ()
    owner: str | None = None          # "" or "Nobody" for unowned
    requestor: str | None = None
    q: str | None = None
    created_after: dt.datetime | None = None
    created_before: dt.datetime | None = None
    updated_after: dt.datetime | None = None
    updated_before: dt.datetime | None = None
    order: str = "-id"
    page: int = 1
    per_page: int = PER_PAGE


def _where(conn: sa.Connection, viewer: Actor, s: DeskSearch) -> list[Any]:
    where: list[Any] = [tickets.c.merged_into.is_(None), visible(viewer)]
    if s.queue:
        found = find_queue(conn, s.queue)
        where.append(tickets.c.queue == (found.name if found is not None else s.queue))
    if s.status:
        where.append(tickets.c.status.in_(list(s.status)))
    if s.owner is not None:
        where.append(tickets.c.owner.is_(None) if s.owner in ("", "Nobody")
                     else tickets.c.owner == s.owner)
    if s.requestor:
        where.append(tickets.c.id.in_(sa.select(ticket_watchers.c.ticket_id).where(
            ticket_watchers.c.address == s.requestor.strip().lower(),
            ticket_watchers.c.role == "requestors")))
    where += text_match(viewer, s.q)  # the same words as the API list's q=
    for column, after, before in ((tickets.c.created_at, s.created_after, s.created_before),
                                  (tickets.c.updated_at, s.updated_after, s.updated_before)):
        if after:
            where.append(column >= after)
        if before:
            where.append(column < before)
    return where


def _ordering(order: str) -> list[Any]:
    """``-priority,-updated``: up to three keys, each ``-`` for descending; ties end by id."""
    keys = [k.strip() for k in order.split(",") if k.strip()][:3] or ["-id"]
    ordering: list[Any] = []
    for key in keys:
        column = SEARCH_ORDERS.get(key.lstrip("-"))
        if column is None:
            raise ValidationError(
                f"order is one of {sorted(SEARCH_ORDERS)} (prefix - for descending, "
                "several separated by commas)")
        ordering.append(column.desc() if key.startswith("-") else column.asc())
    if all(k.lstrip("-") != "id" for k in keys):
        ordering.append(tickets.c.id.desc() if keys[0].startswith("-") else tickets.c.id.asc())
    return ordering


def search_page(conn: sa.Connection, viewer: Actor, s: DeskSearch) -> dict[str, Any]:
    """One page of matching tickets (list columns), the total, and the paging."""
    ordering = _ordering(s.order)
    if not 1 <= s.page <= MAX_PAGE or not 1 <= s.per_page <= 500:
        raise ValidationError("page is 1 to 10000 and per_page 1 to 500")
    where = _where(conn, viewer, s)
    rows = conn.execute(sa.select(*COLUMNS).where(*where).order_by(*ordering)
                        .limit(s.per_page).offset((s.page - 1) * s.per_page)).all()
    total = int(conn.execute(sa.select(sa.func.count()).select_from(tickets)
                             .where(*where)).scalar() or 0)
    pages = max(1, -(-total // s.per_page))
    return {"tickets": [r._asdict() for r in rows], "total": total, "page": s.page,
            "pages": pages, "order": s.order}


def unowned_in(conn: sa.Connection, viewer: Actor, queue_names: Sequence[str],
               statuses: Sequence[str], limit: int = 25) -> dict[str, Any]:
    """Unowned, unmerged tickets in these queues and statuses the viewer may see, newest first."""
    if not queue_names:
        return {"tickets": [], "total": 0}
    where = [tickets.c.merged_into.is_(None), visible(viewer), tickets.c.owner.is_(None),
             tickets.c.status.in_(list(statuses)), tickets.c.queue.in_(list(queue_names))]
    found = conn.execute(sa.select(*COLUMNS).where(*where)
                         .order_by(tickets.c.id.desc()).limit(limit)).all()
    return {"tickets": [r._asdict() for r in found], "total": len(found)}


def status_counts(conn: sa.Connection, viewer: Actor,
                  statuses: Sequence[str]) -> dict[str, dict[str, int]]:
    """``queue -> status -> count`` of unmerged tickets in ``statuses`` the viewer may see
    (the desk's "at a glance" numbers, by the same rule as every list)."""
    if not statuses:
        return {}
    rows = conn.execute(
        sa.select(tickets.c.queue, tickets.c.status, sa.func.count().label("n"))
        .where(tickets.c.merged_into.is_(None), visible(viewer),
               tickets.c.status.in_(list(statuses)))
        .group_by(tickets.c.queue, tickets.c.status))
    out: dict[str, dict[str, int]] = {}
    for row in rows:
        out.setdefault(str(row.queue), {})[str(row.status)] = int(row.n)
    return out
