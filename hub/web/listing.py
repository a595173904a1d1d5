"""Ticket lists for the desk: queue lists, home sections and the search page (no Flask).

The queries themselves live behind tickets' public face
(:func:`hub.tickets.queries.search_page`), filtered by the condition derived from
the one access rule, so a list never shows a ticket its page would refuse. This
module only adds what the desk's pages need around them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from hub.accounts.queries import list_users, rights_for
from hub.actors import Actor
from hub.domain import ValidationError
from hub.tickets import queries as tq

PER_PAGE = tq.PER_PAGE
MAX_PAGE = 10_000
DEFAULT_ACTIVE = ("new", "open", "stalled")
Search = tq.DeskSearch


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
    """Enabled queues as the templates use them: key, name and raw spec."""
    return [{"key": q.key, "name": q.name, "spec": q.spec} for q in tq.list_queues(conn)]


def queues_with(conn: sa.Connection, viewer: Actor, right: str) -> list[dict[str, Any]]:
    """Queues in which ``viewer`` holds ``right`` without any ticket role."""
    return [q for q in queue_rows(conn) if right in rights_for(
        viewer, queue=q["name"], customers_may_create=q["spec"].get("customers_may_create", True))]


def active_statuses(conn: sa.Connection) -> tuple[str, ...]:
    """Initial and active statuses of every enabled queue's lifecycle, in order."""
    found: list[str] = []
    for queue in tq.list_queues(conn):
        cycle = queue.lifecycle
        for status in (*cycle.initial, *cycle.active):
            if status not in found:
                found.append(status)
    return tuple(found) or DEFAULT_ACTIVE


def canonical_queue(conn: sa.Connection, name: str) -> str | None:
    found = tq.find_queue(conn, name)
    return None if found is None else found.name


def search(conn: sa.Connection, viewer: Actor, s: tq.DeskSearch) -> dict[str, Any]:
    """One page of matching tickets, the total, and the paging that goes with it."""
    return tq.search_page(conn, viewer, s)


def home_sections(conn: sa.Connection, viewer: Actor) -> dict[str, Any]:
    """Staff home: my tickets, unowned in my queues, recently updated."""
    rows = queue_rows(conn)
    active = active_statuses(conn)
    mine = search(conn, viewer, Search(owner=viewer.name, status=active, order="-priority",
                                       per_page=25))
    my_queues = [q["name"] for q in rows
                 if "OwnTicket" in rights_for(viewer, queue=q["name"])]
    unowned = tq.unowned_in(conn, viewer, my_queues, active, limit=25)
    recent = search(conn, viewer, Search(order="-updated", per_page=15))
    return {"mine": mine, "unowned": unowned, "recent": recent, "queues": rows}


def owners(conn: sa.Connection) -> list[str]:
    """People who may own tickets (for the owner select)."""
    return [u.name for u in list_users(conn, roles=("admin", "staff"), include_disabled=False)]
