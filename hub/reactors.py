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

Transactional outbox: a reactor whose effect is a row for a sender to deliver (a
notification, an autoreply, a Nagios acknowledgement) does its reading in ``react`` and
returns a :data:`Write`; the worker runs every write of a batch, each in its own
savepoint, in the one transaction that also advances the reactor's position. So an
effect is recorded exactly when its event is passed: a crash before the commit records
neither, a crash after records both, and the sender delivers at least once under the
effect's stable dedupe key. Reactors whose effect is a command (runbook suggestions)
go through the bus with an idempotency key instead.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Protocol

import sqlalchemy as sa

from hub.background import BackgroundLoop, Backoff
from hub.db import WRITE, projection_positions
from hub.eventstore import StoredEvent, utcnow
from hub.leadership import LockSession
from hub.reactor_failures import reactor_failures, tell_parked

if TYPE_CHECKING:
    from hub.bootstrap import Hub

log = logging.getLogger(__name__)

#: An effect to record in the transaction that moves the reactor past its event.
Write = Callable[[sa.Connection], None]


class Reactor(Protocol):
    """An after-commit consumer; an optional ``cluster_wide = False`` makes it node-local.

    ``react`` may return a :data:`Write` (see the module docstring); an optional
    ``committed(hub)`` is called after a batch with writes has committed (to wake a sender).
    """

    @property
    def name(self) -> str: ...

    def handles(self, event: StoredEvent) -> bool: ...

    def react(self, hub: Hub, event: StoredEvent) -> Write | None: ...


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


def _advance(conn: sa.Connection, key: str, position: int) -> bool:
    """Move a position forward only, in the caller's transaction: a leader that lost its
    lock mid-batch and saves late must not pull back what its successor has passed.
    False if there is no row yet."""
    exists = conn.execute(sa.select(projection_positions.c.position).where(
        projection_positions.c.name == key)).first()
    if exists is None:
        return False
    conn.execute(sa.update(projection_positions).where(
        projection_positions.c.name == key,
        projection_positions.c.position < position).values(position=position))
    return True


def _save(hub: Hub, reactor: Reactor, position: int) -> None:
    key = position_key(hub, reactor)
    with hub.engine.connect().execution_options(**WRITE) as conn, conn.begin():
        if _advance(conn, key, position):
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
    reached = position
    writes: list[tuple[StoredEvent, Write]] = []
    to_park: list[tuple[StoredEvent, int, str]] = []
    for event in events:
        if reactor.handles(event):
            try:
                write = reactor.react(hub, event)
            except Exception as exc:
                if not _failed(reactor, event, exc, attempts, max_attempts, to_park):
                    break
            else:
                if write is not None:
                    writes.append((event, write))
        reached = event.position
    if reached == position and not to_park:
        return 0
    reached = _commit(hub, reactor, reached, writes, to_park, attempts, max_attempts)
    return sum(1 for e in events if position < e.position <= reached)


def _failed(reactor: Reactor, event: StoredEvent, exc: Exception, attempts: dict[int, int],
            max_attempts: int, to_park: list[tuple[StoredEvent, int, str]]) -> bool:
    """Count a failed reaction: False to stop the batch before it, True once it is parked."""
    tries = attempts.get(event.position, 0) + 1
    attempts[event.position] = tries
    log.error("reactor %s failed on event %s (attempt %d)", reactor.name, event.position, tries,
              exc_info=exc)
    if tries < max_attempts:
        return False
    attempts.pop(event.position, None)
    to_park.append((event, tries, repr(exc)))
    return True


def _commit(hub: Hub, reactor: Reactor, reached: int, writes: list[tuple[StoredEvent, Write]],
            to_park: list[tuple[StoredEvent, int, str]], attempts: dict[int, int],
            max_attempts: int) -> int:
    """Record the batch's effects, its parked events and the new position in one
    transaction; a write that fails stops the batch just before its event."""
    with hub.engine.connect().execution_options(**WRITE) as conn, conn.begin():
        for event, write in writes:
            try:
                with conn.begin_nested():
                    write(conn)
            except Exception as exc:
                if not _failed(reactor, event, exc, attempts, max_attempts, to_park):
                    reached = event.position - 1
                    break
        parked_now = [item for item in to_park if item[0].position <= reached]
        for event, tries, error in parked_now:
            conn.execute(sa.insert(reactor_failures).values(
                reactor=reactor.name, position=event.position, attempts=tries,
                error=error[:4000], at=utcnow()))
        if not _advance(conn, position_key(hub, reactor), reached):
            conn.execute(sa.insert(projection_positions).values(
                name=position_key(hub, reactor), position=reached))
    for passed in [p for p in attempts if p <= reached]:
        del attempts[passed]
    committed = getattr(reactor, "committed", None)
    if writes and committed is not None:
        committed(hub)
    for event, tries, error in parked_now:
        tell_parked(hub, reactor.name, event, tries, error)
    return reached


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
