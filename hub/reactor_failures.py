"""Parked reactions: events a reactor failed on ``max_attempts`` times.

One poisoned event must not stall its reactor forever, and must not be forgotten
either: it is parked here, ``hub reactors failures`` lists it, ``hub reactors retry``
runs it again (recording its effect as the worker would), and ``GET /healthz`` counts it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from hub.db import WRITE, metadata
from hub.eventstore import StoredEvent, utcnow

if TYPE_CHECKING:
    from hub.bootstrap import Hub

log = logging.getLogger(__name__)
Write = Callable[[sa.Connection], None]

reactor_failures = sa.Table(
    "reactor_failures",
    metadata,
    sa.Column("reactor", sa.String(100), primary_key=True),
    sa.Column("position", sa.BigInteger, primary_key=True),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("error", sa.Text, nullable=False),
    sa.Column("at", sa.DateTime, nullable=False),
)


ParkHook = Callable[["Hub", str, StoredEvent, int, str], None]


def tell_parked(hub: Hub, reactor: str, event: StoredEvent, tries: int, error: str) -> None:
    """Tell the features' hooks (ops notes it on the ticket) that a reaction is parked."""
    hooks: list[ParkHook] = hub.services.get("reactors.on_park", [])
    for hook in hooks:
        try:
            hook(hub, reactor, event, tries, error)
        except Exception:
            log.exception("telling of the parked event %s failed", event.position)


@dataclass(frozen=True)
class Parked:
    """One parked reaction, with the event it failed on (None if that is gone)."""

    reactor: str
    position: int
    attempts: int
    error: str
    at: Any
    event: StoredEvent | None

    @property
    def ticket_id(self) -> int | None:
        return ticket_of(self.event) if self.event is not None else None


def ticket_of(event: StoredEvent) -> int | None:
    """The ticket an event's effect belongs to: its stream, or a ``ticket_id`` field."""
    if event.stream_id.startswith("ticket-"):
        tail = event.stream_id.split("-", 1)[1]
        return int(tail) if tail.isdigit() else None
    value = event.data.get("ticket_id")
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def parked_count(conn: sa.Connection) -> int:
    return int(conn.execute(sa.select(sa.func.count()).select_from(reactor_failures)).scalar()
               or 0)


def _event_at(hub: Hub, conn: sa.Connection, position: int) -> StoredEvent | None:
    found = hub.store.read_all(conn, position - 1, 1)
    return found[0] if found and found[0].position == position else None


def parked(hub: Hub) -> list[Parked]:
    with hub.engine.connect() as conn:
        rows = conn.execute(sa.select(reactor_failures).order_by(
            reactor_failures.c.at, reactor_failures.c.position)).all()
        return [Parked(r.reactor, int(r.position), int(r.attempts), r.error, r.at,
                       _event_at(hub, conn, int(r.position))) for r in rows]


def retry_parked(hub: Hub, item: Parked) -> str | None:
    """Run the parked reaction now: None on success (the row goes), else the error."""
    reactor = next((r for r in hub.reactors if r.name == item.reactor), None)
    error: str | None
    if reactor is None:
        error = f"no reactor named {item.reactor!r} in this hub"
    elif item.event is None:
        error = f"event {item.position} is not in the store"
    else:
        write: Write | None = None
        try:
            write = reactor.react(hub, item.event)
            error = None
        except Exception as exc:
            log.exception("retrying reactor %s on event %s", item.reactor, item.position)
            error = repr(exc)
    key = (reactor_failures.c.reactor == item.reactor) & (
        reactor_failures.c.position == item.position)
    with hub.engine.connect().execution_options(**WRITE) as conn, conn.begin():
        if error is None and write is not None:
            try:
                with conn.begin_nested():
                    write(conn)
            except Exception as exc:
                log.exception("retrying reactor %s on event %s", item.reactor, item.position)
                error = repr(exc)
        if error is None:
            conn.execute(sa.delete(reactor_failures).where(key))
        else:
            conn.execute(sa.update(reactor_failures).where(key).values(
                attempts=item.attempts + 1, error=error[:4000], at=utcnow()))
    return error


