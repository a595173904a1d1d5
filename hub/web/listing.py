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
#: What the desk's lists put first: the most urgent, then the most recently touched
#: (RT's "highest priority tickets I own").
DEFAULT_ORDER = "-priority,-updated"
#: Sortable columns, with the direction a first click on a column's header asks for.
SORT_KEYS = {"id": "desc", "subject": "asc", "queue": "asc", "status": "asc",
             "owner": "asc", "priority": "desc", "created": "desc", "updated": "desc"}
#: Ties of a sort key broken by another before the ticket number.
THEN = {"priority": "-updated", "status": "-priority", "queue": "-priority",
        "owner": "-priority"}
COUNTED = ("new", "open", "stalled")


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


def order_from(sort: str | None, direction: str | None, order: str | None,
               default: str = DEFAULT_ORDER) -> str:
    """The list order a request asks for: ``?sort=priority&dir=desc`` (the column
    headers' links), else the older ``?order=-priority``, else ``default``."""
    if sort:
        if sort not in SORT_KEYS:
            raise ValidationError(f"sort is one of {', '.join(SORT_KEYS)}")
        chosen = direction or SORT_KEYS[sort]
        if chosen not in ("asc", "desc"):
            raise ValidationError("dir is asc or desc")
        key = f"{'-' if chosen == 'desc' else ''}{sort}"
        return f"{key},{THEN[sort]}" if sort in THEN else key
    if direction and direction not in ("asc", "desc"):
        raise ValidationError("dir is asc or desc")
    return order or default


def sorting_of(order: str) -> dict[str, Any]:
    """Which header shows as sorted and how (``key``, ``dir``), and the direction a
    first click on each header asks for (``first``)."""
    first = order.split(",", 1)[0].strip() or "-id"
    return {"key": first.lstrip("-"), "dir": "desc" if first.startswith("-") else "asc",
            "first": SORT_KEYS}


def queue_counts(conn: sa.Connection, viewer: Actor) -> list[dict[str, Any]]:
    """Per queue the viewer works in: how many tickets are new, open and stalled.

    Queues listed are those where the viewer may see tickets, plus any other queue
    where the one access rule shows them some (e.g. a ticket they own there).
    """
    counts = tq.status_counts(conn, viewer, COUNTED)
    shown = {q["name"] for q in queues_with(conn, viewer, "ShowTicket")}
    out = []
    for q in queue_rows(conn):
        numbers = counts.get(q["name"], {})
        if q["name"] not in shown and not numbers:
            continue
        row = {s: numbers.get(s, 0) for s in COUNTED}
        out.append({"name": q["name"], "counts": row, "total": sum(row.values())})
    return out


def home_sections(conn: sa.Connection, viewer: Actor) -> dict[str, Any]:
    """Staff home: counts per queue, my tickets, unowned in my queues, recently updated."""
    rows = queue_rows(conn)
    active = active_statuses(conn)
    mine = search(conn, viewer, Search(owner=viewer.name, status=active, order=DEFAULT_ORDER,
                                       per_page=25))
    my_queues = [q["name"] for q in rows
                 if "OwnTicket" in rights_for(viewer, queue=q["name"])]
    unowned = tq.unowned_in(conn, viewer, my_queues, active, limit=25)
    recent = search(conn, viewer, Search(order="-updated", per_page=10))
    creatable = queues_with(conn, viewer, "CreateTicket")
    return {"mine": mine, "unowned": unowned, "recent": recent, "queues": rows,
            "counts": queue_counts(conn, viewer), "counted": COUNTED,
            "creatable": creatable}


def owners(conn: sa.Connection) -> list[str]:
    """People who may own tickets (for the owner select)."""
    return [u.name for u in list_users(conn, roles=("admin", "staff"), include_disabled=False)]
