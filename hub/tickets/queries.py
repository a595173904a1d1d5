"""Read side of tickets: lookups, lists, history and "as of" views, filtered by viewer."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from hub.accounts.queries import actor_for_email, is_unrestricted, rights_on
from hub.actors import Actor
from hub.domain import NotFoundError, ValidationError
from hub.eventstore import EventStore, StoredEvent
from hub.tickets.access import can_see, visible
from hub.tickets.desk_search import (
    PER_PAGE,
    DeskSearch,
    search_page,
    status_counts,
    unowned_in,
)
from hub.tickets.lifecycle import DEFAULT_LIFECYCLE, Lifecycle
from hub.tickets.lists import MAX_LIMIT, ORDERS, TicketFilter, list_tickets
from hub.tickets.model import Ticket
from hub.tickets.queue_reads import (
    QueueInfo,
    find_queue,
    internal_fields,
    lifecycle_of,
    list_queues,
    queue_for_address,
    queue_names,
)
from hub.tickets.snapshot import iso, public, snapshot
from hub.tickets.tables import queues, tickets

__all__ = [
    "DEFAULT_LIFECYCLE",
    "MAX_LIMIT",
    "ORDERS",
    "PER_PAGE",
    "DeskSearch",
    "Lifecycle",
    "QueueInfo",
    "TicketBrief",
    "TicketFilter",
    "can_see",
    "escalation_policy_of",
    "find_queue",
    "get_state",
    "get_ticket",
    "history",
    "internal_fields",
    "iso",
    "lifecycle_of",
    "list_queues",
    "list_tickets",
    "may_receive_comments",
    "public_view",
    "queue_for_address",
    "queue_names",
    "resolve_id",
    "search_page",
    "state_at",
    "state_of",
    "status_counts",
    "statuses_of",
    "ticket_as_of",
    "ticket_brief",
    "unowned_in",
    "visible",
    "visible_ids",
]

PRIVATE_EVENTS = frozenset({"TicketCommented", "TimeWorkedRecorded", "TicketDeliveryFailed",
                            "TicketActivityRecorded"})
CUSTOMER_ROLES = ("requestors", "cc")


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
        return public(state, internal_fields=internal_fields(conn, state["queue"]),
                      staff=viewer.is_staff)
    hidden = frozenset(f["name"] for f in (row.spec or {}).get("custom_fields", [])
                       if f.get("internal"))
    return public(row.state, internal_fields=hidden, staff=viewer.is_staff)


def parse_as_of(value: str) -> tuple[int | None, dt.datetime | None]:
    if re.fullmatch(r"[0-9]{1,18}", value):
        return int(value), None
    try:
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        if moment.tzinfo is not None:  # year 1 or 9999 with an offset overflows here
            moment = moment.astimezone(dt.UTC).replace(tzinfo=None)
    except (ValueError, OverflowError) as exc:
        raise ValidationError("as_of is an event position (0 to 18 digits) or an ISO 8601 "
                              "time", field="as_of") from exc
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
    out = public(state, internal_fields=internal_fields(conn, state["queue"]),
                 staff=viewer.is_staff)
    out["as_of"] = as_of
    return out


def history(conn: sa.Connection, store: EventStore, viewer: Actor,
            ticket_id: int) -> list[dict[str, Any]]:
    """The ticket's event stream (and those of tickets merged into it), as the viewer may see."""
    state = get_state(conn, viewer, ticket_id)
    streams = [state["id"], *state["merged_from"]]
    events: list[StoredEvent] = []
    for number in streams:
        events.extend(store.read_stream(conn, Ticket.stream_id_for(number)))
    events.sort(key=lambda e: e.position)
    hidden = internal_fields(conn, state["queue"])
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


@dataclass(frozen=True)
class TicketBrief:
    """The few columns mail, metrics and ops need about a ticket (no access check)."""

    id: int
    queue: str
    status: str
    subject: str
    owner: str | None
    merged_into: int | None


def ticket_brief(conn: sa.Connection, ticket_id: int) -> TicketBrief | None:
    """A system read of one ticket's queue, status and subject (no merge following)."""
    row = conn.execute(sa.select(tickets.c.id, tickets.c.queue, tickets.c.status,
                                 tickets.c.subject, tickets.c.owner, tickets.c.merged_into)
                       .where(tickets.c.id == int(ticket_id))).first()
    if row is None:
        return None
    return TicketBrief(int(row.id), str(row.queue), str(row.status), str(row.subject),
                       row.owner, None if row.merged_into is None else int(row.merged_into))


def statuses_of(conn: sa.Connection, ticket_ids: list[int]) -> dict[int, str]:
    """``ticket id -> status`` for the given ids that exist (a system read)."""
    if not ticket_ids:
        return {}
    rows = conn.execute(sa.select(tickets.c.id, tickets.c.status)
                        .where(tickets.c.id.in_(sorted(set(ticket_ids)))))
    return {int(r.id): str(r.status) for r in rows}


def state_at(conn: sa.Connection, store: EventStore, ticket_id: int,
             to_position: int | None = None) -> dict[str, Any] | None:
    """A system read: the ticket's full snapshot replayed up to an event position
    (reactions use it to see the ticket as it was when their event happened)."""
    ticket = Ticket(str(int(ticket_id)))
    ticket.replay(store.read_stream(conn, Ticket.stream_id_for(int(ticket_id)),
                                    to_position=to_position))
    return snapshot(ticket) if ticket.exists else None


def state_of(stream: Sequence[StoredEvent]) -> dict[str, Any] | None:
    """The snapshot the given events of one ticket's stream (in version order, from
    its first) replay to: :func:`state_at` for a caller that holds them already."""
    if not stream:
        return None
    ticket = Ticket(stream[0].stream_id.split("-", 1)[1])
    ticket.replay(stream)
    return snapshot(ticket) if ticket.exists else None


def public_view(state: Mapping[str, Any], *, staff: bool,
                internal_fields: frozenset[str] = frozenset()) -> dict[str, Any]:
    """A ticket snapshot as a viewer may see it (internal fields and AdminCc removed
    for non-staff), the shape the API and the pages show."""
    return public(dict(state), internal_fields=internal_fields, staff=staff)


def visible_ids(conn: sa.Connection, viewer: Actor, ticket_ids: list[int],
                right: str = "ShowTicket") -> set[int]:
    """Which of ``ticket_ids`` ``viewer`` holds ``right`` on, by :func:`visible` (one query).

    For hits found elsewhere (the search index), so they are filtered by the one rule.
    """
    if not ticket_ids:
        return set()
    rows = conn.execute(sa.select(tickets.c.id).where(
        tickets.c.id.in_(sorted(set(ticket_ids))), visible(viewer, right)))
    return {int(r.id) for r in rows}


def reply_opens_new_ticket(conn: sa.Connection, ticket_id: int) -> bool:
    """Whether a reply to this ticket must open a new (linked) ticket instead of reopening it.

    The queue's ``reopen_policy`` is ``new_ticket`` and the ticket's status is not
    active in its queue's lifecycle. Mail asks before it files a reply; the rule is
    the tickets' own (see ``Ticket.correspond``, which reopens under ``reopen``).
    """
    brief = ticket_brief(conn, ticket_id)
    if brief is None:
        return False
    queue = find_queue(conn, brief.queue)
    if queue is None or queue.spec.get("reopen_policy") != "new_ticket":
        return False
    return not queue.lifecycle.is_active(brief.status)


def may_receive_comments(conn: sa.Connection, state: Mapping[str, Any], address: str) -> bool:
    """Whether mail carrying private comments of this ticket may go to ``address``.

    Only someone holding ShowTicketComments on the ticket, by the one rights
    evaluation every read path uses: an address without an enabled account is
    treated as a customer (who never holds it), so a customer named AdminCc, or an
    outsider, never receives comments by mail.
    """
    clean = address.strip().lower()
    actor = actor_for_email(conn, clean, "email") or Actor(
        name=clean, email=clean, role="customer", source="email")
    return can_see(actor, state, "ShowTicketComments")


def visible_id_select(viewer: Actor, right: str = "ShowTicket") -> sa.Select[Any]:
    """``SELECT id FROM tickets WHERE`` :func:`visible`, for another feature's read model
    to filter by (``column.in_(visible_id_select(actor))``, e.g. ops' alert list), so it
    answers exactly as the ticket would, without a copy of the rule."""
    return sa.select(tickets.c.id).where(visible(viewer, right))


def escalation_policy_of(conn: sa.Connection, queue: str) -> str | None:
    """The on-call escalation policy the queue names (``None``: none), for on-call."""
    value = (conn.execute(_QUEUE_SPEC_OF, {"key": queue.lower()}).scalar() or {}).get(
        "escalation_policy")
    return value if isinstance(value, str) and value else None


_QUEUE_SPEC_OF = sa.select(queues.c.spec).where(queues.c.key == sa.bindparam("key"))


def text_limits() -> tuple[int, int]:
    """``(MAX_SUBJECT, MAX_BODY)``: the longest subject and body a ticket event takes, so
    an entrypoint (mail) can move what is beyond them into an attachment, not lose it."""
    from hub.tickets.rules import MAX_BODY, MAX_SUBJECT

    return MAX_SUBJECT, MAX_BODY
