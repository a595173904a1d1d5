"""Ticket lists for the desk: queue lists, home sections and the search page (no Flask).

Selects only the list columns (never the JSON state) and applies the viewer's
rights through ``hub.tickets.queries._visible_to``, the same condition the API
and search use, so a list never shows a ticket its page would refuse.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from hub.accounts.rights import rights_for
from hub.accounts.tables import users
from hub.actors import Actor
from hub.domain import ValidationError
from hub.tickets.queries import _visible_to
from hub.tickets.tables import queues, ticket_watchers, tickets

PER_PAGE = 50
MAX_PAGE = 10_000
ORDERS = {"id": tickets.c.id, "updated": tickets.c.updated_at, "created": tickets.c.created_at,
          "priority": tickets.c.priority, "status": tickets.c.status,
          "subject": tickets.c.subject, "owner": tickets.c.owner, "queue": tickets.c.queue}
COLUMNS = (tickets.c.id, tickets.c.subject, tickets.c.queue, tickets.c.status, tickets.c.owner,
           tickets.c.priority, tickets.c.created_at, tickets.c.updated_at)
DEFAULT_ACTIVE = ("new", "open", "stalled")
_QUEUES = sa.select(queues.c.key, queues.c.name, queues.c.spec).where(
    queues.c.disabled.is_(False)).order_by(queues.c.name)


@dataclass(frozen=True)
class Search:
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


def parse_date(value: str | None, name: str) -> dt.datetime | None:
    if not value:
        return None
    try:
        moment = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise ValidationError(f"{name} is a date like 2026-01-31") from exc
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC).replace(tzinfo=None)
    return moment


def queue_rows(conn: sa.Connection) -> list[dict[str, Any]]:
    return [{"key": r.key, "name": r.name, "spec": r.spec} for r in conn.execute(_QUEUES)]


def queues_with(conn: sa.Connection, viewer: Actor, right: str) -> list[dict[str, Any]]:
    """Queues in which ``viewer`` holds ``right`` without any ticket role."""
    return [q for q in queue_rows(conn) if right in rights_for(
        viewer, queue=q["name"], customers_may_create=q["spec"].get("customers_may_create", True))]


def active_statuses(rows: list[dict[str, Any]]) -> tuple[str, ...]:
    found: list[str] = []
    for row in rows:
        cycle = row["spec"].get("lifecycle") or {}
        for status in [*(cycle.get("initial") or ()), *(cycle.get("active") or ())]:
            if status not in found:
                found.append(status)
    return tuple(found) or DEFAULT_ACTIVE


def canonical_queue(conn: sa.Connection, name: str) -> str | None:
    return conn.execute(sa.select(queues.c.name).where(
        queues.c.key == name.strip().lower())).scalar()


def _where(conn: sa.Connection, viewer: Actor, s: Search) -> list[Any]:
    where: list[Any] = [tickets.c.merged_into.is_(None), _visible_to(viewer)]
    if s.queue:
        where.append(tickets.c.queue == (canonical_queue(conn, s.queue) or s.queue))
    if s.status:
        where.append(tickets.c.status.in_(list(s.status)))
    if s.owner is not None:
        where.append(tickets.c.owner.is_(None) if s.owner in ("", "Nobody")
                     else tickets.c.owner == s.owner)
    if s.requestor:
        where.append(tickets.c.id.in_(sa.select(ticket_watchers.c.ticket_id).where(
            ticket_watchers.c.address == s.requestor.strip().lower(),
            ticket_watchers.c.role == "requestors")))
    for word in (s.q or "").lower().split()[:10]:
        escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        where.append(tickets.c.search_text.like(f"%{escaped}%", escape="\\"))
    for column, after, before in ((tickets.c.created_at, s.created_after, s.created_before),
                                  (tickets.c.updated_at, s.updated_after, s.updated_before)):
        if after:
            where.append(column >= after)
        if before:
            where.append(column < before)
    return where


def search(conn: sa.Connection, viewer: Actor, s: Search) -> dict[str, Any]:
    """One page of matching tickets, the total, and the paging that goes with it."""
    key = s.order.lstrip("-")
    if key not in ORDERS:
        raise ValidationError(f"order is one of {sorted(ORDERS)} (prefix - for descending)")
    if not 1 <= s.page <= MAX_PAGE or not 1 <= s.per_page <= 500:
        raise ValidationError("page is 1 to 10000 and per_page 1 to 500")
    where = _where(conn, viewer, s)
    column = ORDERS[key]
    descending = s.order.startswith("-")
    ordering = [column.desc() if descending else column.asc()]
    if key != "id":
        ordering.append(tickets.c.id.desc() if descending else tickets.c.id.asc())
    rows = conn.execute(sa.select(*COLUMNS).where(*where).order_by(*ordering)
                        .limit(s.per_page).offset((s.page - 1) * s.per_page)).all()
    total = int(conn.execute(sa.select(sa.func.count()).select_from(tickets)
                             .where(*where)).scalar() or 0)
    pages = max(1, -(-total // s.per_page))
    return {"tickets": [r._asdict() for r in rows], "total": total, "page": s.page,
            "pages": pages, "order": s.order}


def home_sections(conn: sa.Connection, viewer: Actor) -> dict[str, Any]:
    """Staff home: my tickets, unowned in my queues, recently updated."""
    rows = queue_rows(conn)
    active = active_statuses(rows)
    mine = search(conn, viewer, Search(owner=viewer.name, status=active, order="-priority",
                                       per_page=25))
    my_queues = [q["name"] for q in rows
                 if "OwnTicket" in rights_for(viewer, queue=q["name"])]
    unowned: dict[str, Any] = {"tickets": [], "total": 0}
    if my_queues:
        where = [tickets.c.merged_into.is_(None), _visible_to(viewer),
                 tickets.c.owner.is_(None), tickets.c.status.in_(active),
                 tickets.c.queue.in_(my_queues)]
        found = conn.execute(sa.select(*COLUMNS).where(*where)
                             .order_by(tickets.c.id.desc()).limit(25)).all()
        unowned = {"tickets": [r._asdict() for r in found], "total": len(found)}
    recent = search(conn, viewer, Search(order="-updated", per_page=15))
    return {"mine": mine, "unowned": unowned, "recent": recent, "queues": rows}


def owners(conn: sa.Connection) -> list[str]:
    """People who may own tickets (for the owner select)."""
    return list(conn.execute(sa.select(users.c.name).where(
        users.c.role.in_(("admin", "staff")), users.c.disabled.is_(False))
        .order_by(users.c.name)).scalars())
