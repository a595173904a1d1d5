"""Unit of work and message bus: the one path every change takes.

A command runs in one write transaction: its handler loads aggregates, calls
their methods, and the unit of work appends their pending events and brings the
projections up to date before committing. Reactions run after the commit and
never undo it.

Writers and the global order: on SQLite the transaction begins IMMEDIATE, so one
writer runs at a time. On PostgreSQL the handler runs without any global lock (its
reads, checks and rendering overlap other writers'); the append lock is taken only at
commit, for the append, the projections and the commit itself, which keeps positions
committed in order (no gap a tailing reader could skip). A handler that read a stream
another writer has since moved on is run again from the start (``RETRYABLE``); only a
version the caller named itself (``If-Match``) makes a ``ConcurrencyError`` reach it.
"""

from __future__ import annotations

import logging
import random
import time
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from hub.actors import Actor
from hub.db import WRITE
from hub.domain import Aggregate, NotFoundError
from hub.eventstore import ANY_VERSION, ConcurrencyError, EventStore, Metadata, StoredEvent
from hub.projections import ProjectionRunner

log = logging.getLogger(__name__)
A = TypeVar("A", bound=Aggregate)
ATTEMPTS = 8
#: PostgreSQL's serialization failure and deadlock: the transaction is worth running again.
RETRYABLE_SQLSTATES = frozenset({"40001", "40P01"})


class RaceLostError(Exception):
    """Another writer changed what this command read; running it again will see that."""


def _is_retryable(exc: DBAPIError) -> bool:
    code = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
    return code in RETRYABLE_SQLSTATES


class UnitOfWork:
    """One write transaction holding the loaded aggregates of one command."""

    def __init__(self, engine: Engine, store: EventStore, runner: ProjectionRunner,
                 meta: Metadata) -> None:
        self.engine = engine
        self.store = store
        self.runner = runner
        self.meta = meta
        self.conn: sa.Connection
        self.seen: dict[str, Aggregate] = {}
        self.expected: dict[str, int] = {}
        self.named_versions: set[str] = set()  # versions the caller gave (If-Match)
        self.new_events: list[StoredEvent] = []
        self.extra_writes: list[Callable[[sa.Connection], None]] = []

    def __enter__(self) -> UnitOfWork:
        self.conn = self.engine.connect().execution_options(**WRITE)
        self.tx = self.conn.begin()  # SQLite: IMMEDIATE, the one writer from here on
        return self

    def __exit__(self, *exc: object) -> None:
        if self.tx.is_active:
            self.tx.rollback()
        self.conn.close()

    def get(self, cls: type[A], aggregate_id: str | int, *, must_exist: bool = True,
            expected_version: int | None = None) -> A:
        stream_id = cls.stream_id_for(aggregate_id)
        cached = self.seen.get(stream_id)
        if cached is not None:
            assert isinstance(cached, cls)
            return cached
        aggregate = cls(str(aggregate_id))
        aggregate.replay(self.store.read_stream(self.conn, aggregate.stream_id))
        if must_exist and aggregate.version == 0:
            raise NotFoundError(f"{cls.__name__.lower()} {aggregate_id} not found")
        self.seen[aggregate.stream_id] = aggregate
        self.expected[aggregate.stream_id] = (
            aggregate.version if expected_version is None else expected_version
        )
        if expected_version is not None:
            self.named_versions.add(aggregate.stream_id)
        return aggregate

    def loaded(self, stream_id: str) -> Aggregate | None:
        """The aggregate of ``stream_id`` if this unit of work already holds it."""
        return self.seen.get(stream_id)

    def stream_version(self, stream_id: str) -> int:
        """The stored version of a stream, read inside this transaction."""
        return self.store.stream_version(self.conn, stream_id)

    @property
    def engine_key(self) -> int:
        """Tells engines apart for per-process caches (one process may serve several hubs)."""
        return id(self.engine)

    def write_with_commit(self, write: Callable[[sa.Connection], None]) -> None:
        """Run ``write`` in this transaction just before it commits (e.g. a secret's hash)."""
        self.extra_writes.append(write)

    def record_as(self, source: str) -> None:
        """Record this command's events with ``source``, keeping the original as ``via``."""
        if self.meta.source != source:
            self.meta.extra.setdefault("via", self.meta.source)
            self.meta.source = source

    def add(self, aggregate: Aggregate) -> None:
        self.seen[aggregate.stream_id] = aggregate
        self.expected.setdefault(aggregate.stream_id, aggregate.version)

    def commit(self, idempotency_key: str | None = None, result: Any = None) -> None:
        self.store.lock_for_append(self.conn)  # PostgreSQL: from here to the commit only
        for stream_id, aggregate in self.seen.items():
            if not aggregate.pending:
                continue
            try:
                outcome = self.store.append(
                    self.conn, stream_id, aggregate.pending,
                    self.expected.get(stream_id, ANY_VERSION), self.meta, locked=True,
                )
            except ConcurrencyError as exc:
                if stream_id in self.named_versions:
                    raise
                raise RaceLostError(str(exc)) from exc
            self.new_events.extend(outcome.events)
            aggregate.mark_saved(outcome.version)
            self.expected[stream_id] = outcome.version
        for write in self.extra_writes:
            write(self.conn)
        self.runner.catch_up(self.conn, self.new_events)
        if idempotency_key is not None:
            first = self.new_events[0] if self.new_events else None
            self.store.remember(self.conn, idempotency_key,
                                first.stream_id if first else "", first.version if first else 0,
                                first.position if first else None, result)
        self.tx.commit()


Handler = Callable[[Any, UnitOfWork, Actor], Any]
Reaction = Callable[[StoredEvent], None]


class MessageBus:
    """Routes commands to their handler and committed events to reactions."""

    def __init__(self, engine: Engine, store: EventStore, runner: ProjectionRunner) -> None:
        self.engine = engine
        self.store = store
        self.runner = runner
        self.handlers: dict[type, Handler] = {}
        self.reactions: list[Reaction] = []

    def register(self, command_type: type, handler: Handler) -> None:
        self.handlers[command_type] = handler

    def subscribe(self, reaction: Reaction) -> None:
        self.reactions.append(reaction)

    def handle(self, command: Any, actor: Actor, *, idempotency_key: str | None = None,
               correlation_id: str | None = None, causation_id: str | None = None) -> Any:
        """Run one command in its own transaction and return the handler's result.

        Domain errors propagate to the entrypoint; a retried command with the same
        idempotency key returns the first result and changes nothing.
        """
        handler = self.handlers[type(command)]
        meta = Metadata(actor=actor.name, source=actor.source,
                        correlation_id=correlation_id or uuid.uuid4().hex,
                        causation_id=causation_id)
        for attempt in range(1, ATTEMPTS + 1):
            try:
                return self._run(handler, command, actor, meta, idempotency_key)
            except RaceLostError as exc:
                if attempt == ATTEMPTS:
                    cause = exc.__cause__
                    raise cause if isinstance(cause, ConcurrencyError) else exc from None
            except IntegrityError:
                # PostgreSQL: a concurrent writer stored the same key or row first; run
                # again to see it. SQLite has one writer, so there it is a real error.
                if self.engine.dialect.name == "sqlite" or attempt == ATTEMPTS:
                    raise
            except OperationalError as exc:
                busy = "locked" in str(exc)  # SQLite busy past its timeout
                if not (busy or _is_retryable(exc)) or attempt == ATTEMPTS:
                    raise
                log.warning("database busy, retrying %s", type(command).__name__)
            time.sleep(random.uniform(0, 0.002 * attempt))
        raise AssertionError("unreachable")

    def _run(self, handler: Handler, command: Any, actor: Actor, meta: Metadata,
             idempotency_key: str | None) -> Any:
        with UnitOfWork(self.engine, self.store, self.runner, meta) as uow:
            if idempotency_key is not None:
                seen = self.store.find_idempotent(uow.conn, idempotency_key)
                if seen is not None:
                    return seen.result
            meta.idempotency_key = idempotency_key
            result = handler(command, uow, actor)
            uow.commit(idempotency_key, result)
            committed = list(uow.new_events)
        self._react(committed)
        return result

    def _react(self, events: list[StoredEvent]) -> None:
        for event in events:
            for reaction in self.reactions:
                try:
                    reaction(event)
                except Exception:
                    log.exception("reaction %s failed on event %s", reaction, event.position)
