"""Read side of tickets: lookups, lists, history and "as of" views, filtered by viewer."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from hub.accounts.rights import (
    GLOBAL,
    TICKET_ROLES,
    AccessProfile,
    is_unrestricted,
    profile_of,
    rights_on,
    role_rights,
)
from hub.actors import Actor
from hub.domain import NotFoundError, ValidationError
from hub.eventstore import EventStore, StoredEvent
from hub.tickets.model import Ticket
from hub.tickets.snapshot import iso, public, snapshot
from hub.tickets.tables import queues, ticket_watchers, tickets

MAX_LIMIT = 1000
PRIVATE_EVENTS = frozenset({"TicketCommented", "TimeWorkedRecorded", "TicketDeliveryFailed"})
CUSTOMER_ROLES = ("requestors", "cc")


_QUEUE_SPEC = sa.select(queues.c.spec).where(queues.c.key == sa.bindparam("key"))


def _internal_fields(conn: sa.Connection, queue: str) -> frozenset[str]:
    spec = conn.execute(_QUEUE_SPEC, {"key": queue.lower()}).scalar()
    if not spec:
        return frozenset()
    return frozenset(f["name"] for f in spec.get("custom_fields", []) if f.get("internal"))


def can_see(viewer: Actor, state: dict[str, Any]) -> bool:
    """ShowTicket on this ticket, by the one rights evaluation handlers use too."""
    if is_unrestricted(viewer):
        return True
    return "ShowTicket" in rights_on(viewer, state)


def resolve_id(conn: sa.Connection, ticket_id: int) -> int:
    """Follow merges: an old ticket number keeps working and names the survivor."""
    current = ticket_id
    for _ in range(20):
        row = conn.execute(
            sa.select(tickets.c.merged_into).where(tickets.c.id == current)
        ).first()
        if row is None:
            raise NotFoundError(f"ticket {ticket_id} not found")
        if row.merged_into is None:
            return current
        current = int(row.merged_into)
    return current


_STATE = sa.select(tickets.c.state, tickets.c.merged_into).where(
    tickets.c.id == sa.bindparam("ticket_id"))


def get_state(conn: sa.Connection, viewer: Actor, ticket_id: int) -> dict[str, Any]:
    row = conn.execute(_STATE, {"ticket_id": ticket_id}).first()
    if row is None:
        raise NotFoundError(f"ticket {ticket_id} not found")
    state = row.state
    if row.merged_into is not None:
        real = resolve_id(conn, ticket_id)
        state = conn.execute(_STATE, {"ticket_id": real}).one().state
    if not can_see(viewer, state):
        # Not 403: customers must not learn which ticket numbers exist.
        raise NotFoundError(f"ticket {ticket_id} not found")
    return dict(state)


_STATE_AND_SPEC = (
    sa.select(tickets.c.state, tickets.c.merged_into, queues.c.spec)
    .outerjoin(queues, queues.c.key == sa.func.lower(tickets.c.queue))
    .where(tickets.c.id == sa.bindparam("ticket_id"))
)


def get_ticket(conn: sa.Connection, viewer: Actor, ticket_id: int) -> dict[str, Any]:
    """One query in the common case: the ticket's state and its queue's field specs."""
    row = conn.execute(_STATE_AND_SPEC, {"ticket_id": ticket_id}).first()
    if row is None or row.merged_into is not None or not can_see(viewer, row.state):
        state = get_state(conn, viewer, ticket_id)
        return public(state, internal_fields=_internal_fields(conn, state["queue"]),
                      staff=viewer.is_staff)
    hidden = frozenset(f["name"] for f in (row.spec or {}).get("custom_fields", [])
                       if f.get("internal"))
    return public(row.state, internal_fields=hidden, staff=viewer.is_staff)


def parse_as_of(value: str) -> tuple[int | None, dt.datetime | None]:
    if re.fullmatch(r"[0-9]{1,18}", value):
        return int(value), None
    try:
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as exc:
        raise ValidationError("as_of is an event position or an ISO 8601 time") from exc
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC).replace(tzinfo=None)
    return None, moment


def ticket_as_of(conn: sa.Connection, store: EventStore, viewer: Actor, ticket_id: int,
                 as_of: str) -> dict[str, Any]:
    """Rebuild the ticket from its stream up to a position or a time."""
    position, moment = parse_as_of(as_of)
    current = get_state(conn, viewer, ticket_id)
    real = current["id"]
    ticket = Ticket(str(real))
    ticket.replay(store.read_stream(conn, Ticket.stream_id_for(real), to_position=position,
                                    to_time=moment))
    if ticket.version == 0:
        raise NotFoundError(f"ticket {ticket_id} did not exist then")
    state = snapshot(ticket)
    out = public(state, internal_fields=_internal_fields(conn, state["queue"]),
                 staff=viewer.is_staff)
    out["as_of"] = as_of
    return out


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


def _in_scopes(scopes: frozenset[str] | set[str]) -> Any:
    return sa.func.lower(tickets.c.queue).in_(sorted(scopes))


def _role_clause(viewer: Actor, profile: AccessProfile, role: str) -> Any:
    """Tickets where ``viewer`` holds ``role`` in a queue where that role gives ShowTicket."""
    if role == "owner":
        held: Any = tickets.c.owner == viewer.name
    elif viewer.email:
        held = tickets.c.id.in_(sa.select(ticket_watchers.c.ticket_id).where(
            ticket_watchers.c.address == viewer.email, ticket_watchers.c.role == role))
    else:
        return sa.false()
    if "ShowTicket" in role_rights(profile, None, role):
        everywhere_but = profile.role_managed - {GLOBAL}
        where: Any = sa.not_(_in_scopes(everywhere_but)) if everywhere_but else sa.true()
    else:
        where = sa.false()
    granted = {s for s, per in profile.roles.items()
               if s != GLOBAL and "ShowTicket" in per.get(role, ())}
    if granted:
        where = sa.or_(where, _in_scopes(granted))
    return sa.and_(held, where)


def _visible_to(viewer: Actor) -> Any:
    """A SQL condition selecting the tickets ``viewer`` may see (ShowTicket), for any role.

    Mirrors :func:`hub.accounts.rights.rights_for`: queue-level rights (staff
    defaults outside managed queues, own and group grants) or a ticket role that
    gives ShowTicket in the ticket's queue.
    """
    if is_unrestricted(viewer):
        return sa.true()
    profile = profile_of(viewer)
    own = {s for s, rights in profile.own.items() if "ShowTicket" in rights}
    if GLOBAL in own:
        return sa.true()
    clauses: list[Any] = []
    if viewer.role == "staff":
        if not profile.managed:
            return sa.true()
        clauses.append(sa.not_(_in_scopes(profile.managed)))
    if own:
        clauses.append(_in_scopes(own))
    clauses.extend(_role_clause(viewer, profile, role) for role in TICKET_ROLES)
    return sa.or_(*clauses)


def list_tickets(conn: sa.Connection, viewer: Actor, f: TicketFilter) -> dict[str, Any]:
    if not 1 <= f.limit <= MAX_LIMIT or f.offset < 0:
        raise ValidationError(f"limit is 1 to {MAX_LIMIT} and offset at least 0")
    where: list[Any] = [tickets.c.merged_into.is_(None)]
    where.append(_visible_to(viewer))
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
            hidden[queue] = _internal_fields(conn, queue)
        out.append(public(row.state, internal_fields=hidden[queue], staff=viewer.is_staff))
    return {"tickets": out, "total": int(total or 0)}


def history(conn: sa.Connection, store: EventStore, viewer: Actor,
            ticket_id: int) -> list[dict[str, Any]]:
    """The ticket's event stream (and those of tickets merged into it), as the viewer may see."""
    state = get_state(conn, viewer, ticket_id)
    streams = [state["id"], *state["merged_from"]]
    events: list[StoredEvent] = []
    for number in streams:
        events.extend(store.read_stream(conn, Ticket.stream_id_for(number)))
    events.sort(key=lambda e: e.position)
    hidden = _internal_fields(conn, state["queue"])
    rights = rights_on(viewer, state)
    privileged = is_unrestricted(viewer) or (
        "ShowTicketComments" in rights and "SeeInternalFields" in rights)
    out = []
    for e in events:
        if not privileged and not _customer_may_see(e, hidden):
            continue
        out.append({
            "position": e.position, "version": e.version, "type": e.type,
            "ticket_id": int(e.stream_id.split("-", 1)[1]),
            "actor": e.meta.get("actor"), "source": e.meta.get("source"), "at": iso(e.at),
            "data": e.data if privileged else _redacted(e, hidden),
        })
    return out


def _redacted(event: StoredEvent, hidden: frozenset[str]) -> dict[str, Any]:
    """Event data without AdminCc, internal fields or time worked (for customers)."""
    data = dict(event.data)
    data.pop("admincc", None)
    data.pop("time_worked", None)
    if isinstance(data.get("fields"), dict):
        data["fields"] = {k: v for k, v in data["fields"].items() if k not in hidden}
    if isinstance(data.get("watchers"), dict):
        data["watchers"] = {k: v for k, v in data["watchers"].items() if k != "admincc"}
    return data


def _customer_may_see(event: StoredEvent, hidden: frozenset[str]) -> bool:
    """Whether a viewer without ShowTicketComments/SeeInternalFields sees this event."""
    if event.type in PRIVATE_EVENTS:
        return False
    if event.type in ("TicketWatcherAdded", "TicketWatcherRemoved"):
        return bool(event.data.get("role") != "admincc")
    if event.type == "TicketFieldChanged":
        return event.data.get("name") not in hidden
    return True
