"""Durable reactions: event handlers that run after commit, tracked by position.

Sending mail, acknowledging a problem in Nagios or suggesting a runbook must
not undo the change that caused it, and must not be lost if the process stops.
A reactor reads the store after its recorded position, handles each event, and
records the new position; a failure is logged and retried later (with backoff)
without blocking other reactors. After ``max_attempts`` the event is parked in
``reactor_failures`` so one poisoned event cannot stall the reactor forever; a
parked reaction is not forgotten: ``hub reactors failures`` lists it, ``hub reactors
retry`` runs it again, ``GET /healthz`` counts it, and the hooks features register in
``hub.services["reactors.on_park"]`` are told (ops notes it on the ticket).
A reactor may also have a ``tick(hub)`` method for work of its own (the Nagios
acknowledgement queue), called on every step of the worker.

Many nodes, one consumer: a reactor's effects must happen once for the whole cluster,
so on PostgreSQL each node's worker runs a reactor only while it holds that reactor's
session-level advisory lock (``hub.leadership``); followers try again every second,
and a dead leader's session ends with it, freeing the lock. A reactor that keeps
something local to its node (the search index) says ``cluster_wide = False``: every
node runs it, and its position is kept per node name. Effects stay safe across a
hand-over because each carries a stable dedupe key (the outbox's ``ev:<position>:...``),
so a batch replayed after a crash enqueues nothing twice.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import sqlalchemy as sa

from hub.background import BackgroundLoop, Backoff
from hub.db import WRITE, metadata, projection_positions
from hub.eventstore import StoredEvent, utcnow
from hub.leadership import LockSession

if TYPE_CHECKING:
    from hub.bootstrap import Hub

log = logging.getLogger(__name__)

reactor_failures = sa.Table(
    "reactor_failures",
    metadata,
    sa.Column("reactor", sa.String(100), primary_key=True),
    sa.Column("position", sa.BigInteger, primary_key=True),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("error", sa.Text, nullable=False),
    sa.Column("at", sa.DateTime, nullable=False),
)


class Reactor(Protocol):
    """An after-commit consumer; an optional ``cluster_wide = False`` makes it node-local."""

    @property
    def name(self) -> str: ...

    def handles(self, event: StoredEvent) -> bool: ...

    def react(self, hub: Hub, event: StoredEvent) -> None: ...


def is_cluster_wide(reactor: Reactor) -> bool:
    """One consumer for the cluster (the default), or one per node (``cluster_wide = False``)."""
    return bool(getattr(reactor, "cluster_wide", True))


def position_key(hub: Hub, reactor: Reactor) -> str:
    """Where the reactor's position is kept: one row, or one per node name if node-local."""
    if is_cluster_wide(reactor):
        return f"reactor:{reactor.name}"
    return f"reactor:{reactor.name}@{hub.settings.node_name}"


def lock_name(reactor: Reactor) -> str:
    return f"reactor:{reactor.name}"


def reactor_position(conn: sa.Connection, key: str) -> int | None:
    return conn.execute(sa.select(projection_positions.c.position).where(
        projection_positions.c.name == key)).scalar()


def _save(hub: Hub, reactor: Reactor, position: int) -> None:
    """Move the position forward only: a leader that lost its lock mid-batch and saves
    late must not pull back the position its successor has already passed."""
    key = position_key(hub, reactor)
    with hub.engine.connect().execution_options(**WRITE) as conn, conn.begin():
        exists = conn.execute(sa.select(projection_positions.c.position).where(
            projection_positions.c.name == key)).first()
        if exists is not None:
            conn.execute(sa.update(projection_positions).where(
                projection_positions.c.name == key,
                projection_positions.c.position < position).values(position=position))
            return
    try:
        with hub.engine.connect().execution_options(**WRITE) as conn, conn.begin():
            conn.execute(sa.insert(projection_positions).values(name=key, position=position))
    except sa.exc.IntegrityError:
        # Several nodes starting at once all set a new reactor's first position; one wins.
        _save(hub, reactor, position)


def start_position(hub: Hub, reactor: Reactor) -> int:
    """A new reactor starts at the head: it reacts to what happens from now on."""
    with hub.engine.connect() as conn:
        known = reactor_position(conn, position_key(hub, reactor))
        head = hub.store.last_position(conn)
    if known is None:
        _save(hub, reactor, head)  # another node may have set it first: read it back
        with hub.engine.connect() as conn:
            known = reactor_position(conn, position_key(hub, reactor))
        return head if known is None else int(known)
    return int(known)


def run_once(hub: Hub, reactor: Reactor, *, batch: int = 200, max_attempts: int = 5,
             attempts: dict[int, int] | None = None) -> int:
    """Handle the next batch of events; return how many positions were passed."""
    attempts = attempts if attempts is not None else {}
    position = start_position(hub, reactor)
    with hub.engine.connect() as conn:
        events = hub.store.read_all(conn, position, batch)
    done = 0
    reached = position
    for event in events:
        if reactor.handles(event):
            try:
                reactor.react(hub, event)
            except Exception as exc:
                tries = attempts.get(event.position, 0) + 1
                attempts[event.position] = tries
                log.exception("reactor %s failed on event %s (attempt %d)", reactor.name,
                              event.position, tries)
                if tries < max_attempts:
                    break
                _park(hub, reactor, event, tries, repr(exc))
        attempts.pop(event.position, None)
        reached = event.position
        done += 1
    if reached != position:
        # One write per batch: reactions are idempotent per event, so after a crash
        # the few events of an unsaved batch are simply handled again.
        _save(hub, reactor, reached)
    return done


ParkHook = Callable[["Hub", str, StoredEvent, int, str], None]


def _park(hub: Hub, reactor: Reactor, event: StoredEvent, tries: int, error: str) -> None:
    with hub.engine.connect().execution_options(**WRITE) as conn, conn.begin():
        conn.execute(sa.insert(reactor_failures).values(
            reactor=reactor.name, position=event.position, attempts=tries, error=error[:4000],
            at=utcnow()))
    hooks: list[ParkHook] = hub.services.get("reactors.on_park", [])
    for hook in hooks:
        try:
            hook(hub, reactor.name, event, tries, error)
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
        try:
            reactor.react(hub, item.event)
            error = None
        except Exception as exc:
            log.exception("retrying reactor %s on event %s", item.reactor, item.position)
            error = repr(exc)
    key = (reactor_failures.c.reactor == item.reactor) & (
        reactor_failures.c.position == item.position)
    with hub.engine.connect().execution_options(**WRITE) as conn, conn.begin():
        if error is None:
            conn.execute(sa.delete(reactor_failures).where(key))
        else:
            conn.execute(sa.update(reactor_failures).where(key).values(
                attempts=item.attempts + 1, error=error[:4000], at=utcnow()))
    return error


class ReactorWorker:
    """A background loop that keeps a set of reactors at the head of the store.

    Cluster-wide reactors run only while this worker leads them (see the module
    docstring); node-local ones always run. ``retry_every`` is how often a follower
    tries to take over a reactor nobody leads.
    """

    def __init__(self, hub: Hub, reactors: Sequence[Reactor], interval: float = 0.2,
                 retry_every: float = 1.0) -> None:
        self.hub = hub
        self.reactors = list(reactors)
        self.attempts: dict[str, dict[int, int]] = {r.name: {} for r in self.reactors}
        self.locks = LockSession(hub.engine, hub.settings.node_name)
        self.retry_every = retry_every
        self._tried: dict[str, float] = {}
        self._checked = 0.0
        self.loop = BackgroundLoop("hub-reactors", self._step, interval=interval,
                                   join_timeout=10)

    def start(self) -> None:
        if self.reactors:
            self.loop.start()

    def stop(self) -> None:
        self.loop.stop()
        self.locks.close()

    def leads(self, reactor: Reactor) -> bool:
        """Whether this node runs ``reactor`` now, taking it over when nobody does."""
        if not is_cluster_wide(reactor):
            return True
        name = lock_name(reactor)
        if name in self.locks.held:
            return True
        now = time.monotonic()
        if now - self._tried.get(name, -self.retry_every) < self.retry_every:
            return False
        self._tried[name] = now
        if self.locks.try_acquire(name):
            log.info("node %s now runs reactor %s", self.hub.settings.node_name, reactor.name)
            return True
        return False

    def _step(self) -> bool:
        busy = False
        failed = False
        if self.locks.held and time.monotonic() - self._checked >= self.retry_every:
            self._checked = time.monotonic()
            self.locks.check()  # a lost session drops every lead before more runs
        for reactor in self.reactors:
            try:
                if not self.leads(reactor):
                    continue
            except Exception:
                log.exception("reactor %s: could not take the lead", reactor.name)
                continue
            try:
                busy |= run_once(self.hub, reactor, attempts=self.attempts[reactor.name]) > 0
                failed |= bool(self.attempts[reactor.name])
            except Exception:
                log.exception("reactor %s could not run", reactor.name)
                failed = True
            tick = getattr(reactor, "tick", None)
            if tick is not None:
                try:
                    tick(self.hub)
                except Exception:
                    log.exception("reactor %s: its own work failed", reactor.name)
        if failed and not busy:
            raise Backoff
        return busy
