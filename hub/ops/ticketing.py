"""Ticket side of alert handling: open, note, resolve and link, in the alert's unit of work.

Everything here calls the tickets feature's in-transaction functions
(:mod:`hub.tickets.commands`) with the alert's system actor, so the alert event and
the ticket change commit together or not at all.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa

from hub.accounts.queries import user_by_name
from hub.actors import Actor
from hub.messagebus import UnitOfWork
from hub.ops.alerts.routing import Route, default_priority
from hub.ops.alerts.signal import AlertSignal
from hub.ops.tables import alerts
from hub.tickets import commands as tc
from hub.tickets.queries import statuses_of

INACTIVE = ("resolved", "rejected", "deleted")
EXTRA = {"alert": True}


def is_active(uow: UnitOfWork, ticket_id: int) -> bool:
    return tc.is_active(uow, ticket_id)


def subject_for(signal: AlertSignal) -> str:
    if signal.source == "keepalived":
        return f"Failover {signal.service}: {signal.host or 'unknown node'} {signal.state}"
    return signal.title


def body_for(signal: AlertSignal) -> str:
    lines = [signal.output or signal.title, "", f"Source: {signal.source}",
             f"Host: {signal.host}"]
    if signal.service:
        lines.append(f"Service: {signal.service}")
    lines += [f"State: {signal.state} ({signal.severity})", f"Problem: {signal.problem_key}"]
    if signal.occurred_at is not None:
        lines.append(f"At: {signal.occurred_at.isoformat()}")
    return "\n".join(lines)


def open_ticket(uow: UnitOfWork, actor: Actor, signal: AlertSignal, route: Route,
                default_queue: str, parent: int | None) -> int:
    """Create the alert's ticket; a missing queue or owner falls back with a comment."""
    notes: list[str] = []
    queue = route.queue
    if not tc.queue_usable(uow, queue):
        notes.append(f"The routing rule names queue {queue!r}, which does not exist; "
                     f"filed in {default_queue}.")
        queue = default_queue
    owner = route.owner
    if owner is not None:
        user = user_by_name(uow.conn, owner)
        if user is None or user.disabled or user.role not in ("admin", "staff"):
            notes.append(f"The routing rule names owner {owner!r}, who cannot own tickets; "
                         "left unowned.")
            owner = None
    result = tc.create_ticket(tc.CreateTicket(
        queue=queue, subject=subject_for(signal)[:500], body=body_for(signal),
        priority=route.priority, owner=owner, extra=EXTRA), uow, actor)
    number = int(result["id"])
    for note in notes:
        tc.comment(tc.Comment(number, note, EXTRA), uow, actor)
    if parent is not None and is_active(uow, parent):
        tc.link_tickets(tc.LinkTickets(number, "parents", parent), uow, actor)
        tc.comment(tc.Comment(parent, f"Child alert while this incident is open: "
                           f"{signal.title} (ticket #{number})", EXTRA), uow, actor)
    return number


def note(uow: UnitOfWork, actor: Actor, ticket_id: int, text: str) -> None:
    tc.comment(tc.Comment(ticket_id, text[:100_000], EXTRA), uow, actor)


def resolve(uow: UnitOfWork, actor: Actor, ticket_id: int) -> None:
    ticket = tc.load_ticket(uow, ticket_id)
    status = tc.load_queue(uow, ticket.queue).lifecycle.resolved
    tc.update_ticket(tc.UpdateTicket(ticket_id, status=status, force=True), uow, actor)


def retitle(uow: UnitOfWork, actor: Actor, ticket_id: int, subject: str) -> None:
    if tc.load_ticket(uow, ticket_id).subject != subject[:500]:
        tc.update_ticket(tc.UpdateTicket(ticket_id, subject=subject[:500]), uow, actor)


def raise_priority(uow: UnitOfWork, actor: Actor, ticket_id: int, priority: int) -> None:
    if tc.load_ticket(uow, ticket_id).priority < priority:
        tc.update_ticket(tc.UpdateTicket(ticket_id, priority=priority), uow, actor)


def escalation_priority(route: Route, severity: str) -> int:
    return max(route.priority, default_priority(severity))


def parents_of(signal: AlertSignal, topology: dict[str, tuple[str, ...]]) -> list[str]:
    names: Iterable[str] = [*signal.parent_hosts, *topology.get(signal.host, ()),
                            *signal.labels.get("parent", "").replace(",", " ").split(),
                            *signal.labels.get("switch", "").replace(",", " ").split()]
    return [n for n in dict.fromkeys(names) if n and n != signal.host]


_LIVE = sa.select(alerts.c.ticket_id).where(alerts.c.state == "open",
                                             alerts.c.ticket_id.is_not(None))


def _first_live(conn: sa.Connection, query: sa.Select[Any]) -> int | None:
    """The first candidate whose ticket exists and is not closed (tickets' own read)."""
    candidates: list[int] = [int(t) for t in conn.execute(query).scalars() if t is not None]
    statuses = statuses_of(conn, candidates)
    for ticket_id in candidates:
        status = statuses.get(ticket_id)
        if status is not None and status not in INACTIVE:
            return ticket_id
    return None


def find_parent_ticket(conn: sa.Connection, signal: AlertSignal,
                       topology: dict[str, tuple[str, ...]]) -> int | None:
    """The open incident this alert belongs under, if any.

    A parent host that is down (a Nagios host problem, or any critical/unknown alert
    of another source on that host), else the first open alert of the same
    Alertmanager group.
    """
    hosts = parents_of(signal, topology)
    if hosts:
        query = _LIVE.where(
            alerts.c.host.in_(hosts), alerts.c.severity.in_(("critical", "unknown")),
            sa.or_(alerts.c.object_type == "host", alerts.c.source != "nagios"),
        ).order_by(alerts.c.service.is_(None).desc(), alerts.c.first_at)
        found = _first_live(conn, query)
        if found is not None:
            return found
    group = signal.details.get("group_key") if signal.source == "alertmanager" else None
    if group:
        query = _LIVE.where(
            alerts.c.group_key == group, alerts.c.problem_key != signal.problem_key,
            alerts.c.parent_ticket_id.is_(None),
        ).order_by(alerts.c.first_at)
        return _first_live(conn, query)
    return None
