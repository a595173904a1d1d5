"""Append-only event store: one table, optimistic concurrency, idempotent appends.

Appends run inside the caller's write transaction so that projections and the
events they derive from commit together. Appends are serialised (SQLite: ``BEGIN
IMMEDIATE``; PostgreSQL: a transaction-level advisory lock taken at the first append and
held to the commit, so only the append-and-commit moment is serial), which commits
positions in order and keeps the global order free of gaps a tailing reader could skip.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert

from hub.db import events, idempotency_keys

APPEND_LOCK_KEY = 7_204_815_113  # arbitrary constant naming the PostgreSQL append lock


class ConcurrencyError(Exception):
    """The stream moved on since the caller read it (stale expected version)."""

    def __init__(self, stream_id: str, expected: int, actual: int) -> None:
        super().__init__(f"stream {stream_id} is at version {actual}, expected {expected}")
        self.stream_id = stream_id
        self.expected = expected
        self.actual = actual


ANY_VERSION = -1


def utcnow() -> dt.datetime:
    """Naive UTC, the one time representation stored in the database."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


@dataclass(frozen=True)
class NewEvent:
    """An event not yet stored: a past-tense type name and JSON-able data."""

    type: str
    data: dict[str, Any]
    schema_version: int = 1


@dataclass(frozen=True)
class StoredEvent:
    position: int
    stream_id: str
    version: int
    type: str
    schema_version: int
    data: dict[str, Any]
    meta: dict[str, Any]
    at: dt.datetime


@dataclass(frozen=True)
class AppendResult:
    stream_id: str
    version: int
    events: tuple[StoredEvent, ...] = ()
    duplicate: bool = False
    result: Any = None


@dataclass
class Metadata:
    """Who, from where, and why: attached to every event of one command."""

    actor: str = "system"
    source: str = "api"
    correlation_id: str | None = None
    causation_id: str | None = None
    idempotency_key: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"actor": self.actor, "source": self.source}
        if self.correlation_id:
            out["correlation_id"] = self.correlation_id
        if self.causation_id:
            out["causation_id"] = self.causation_id
        if self.idempotency_key:
            out["idempotency_key"] = self.idempotency_key
        out.update(self.extra)
        return out


def _row_to_event(row: sa.Row[Any]) -> StoredEvent:
    return StoredEvent(
        position=int(row.position),
        stream_id=row.stream_id,
        version=int(row.version),
        type=row.type,
        schema_version=int(row.schema_version),
        data=row.data,
        meta=row.meta,
        at=row.at,
    )


_SQLITE_INSERT = (
    "INSERT INTO events (stream_id, version, type, schema_version, data, meta, at)"
    " VALUES (?, ?, ?, ?, ?, ?, ?)"
)
_SQLITE_VERSION = "SELECT max(version) FROM events WHERE stream_id = ?"



def _append_sqlite(conn: sa.Connection, stream_id: str, new_events: Sequence[NewEvent],
                   expected_version: int, meta_dict: dict[str, Any],
                   when: dt.datetime) -> list[StoredEvent]:
    """The hot path on SQLite: one prepared statement per event on the raw connection.

    Building SQLAlchemy statements costs several times the insert itself; the
    rows written are byte-for-byte what the generic path writes. With an
    expected version of 0 the UNIQUE(stream_id, version) constraint alone
    detects a stream that already exists.
    """
    raw = conn.connection.driver_connection
    assert raw is not None
    cursor = raw.cursor()
    try:
        if expected_version == 0:
            current = 0
        else:
            cursor.execute(_SQLITE_VERSION, (stream_id,))
            current = int(cursor.fetchone()[0] or 0)
            if expected_version != ANY_VERSION and current != expected_version:
                raise ConcurrencyError(stream_id, expected_version, current)
        meta_json = json.dumps(meta_dict)
        at_text = when.isoformat(" ", "microseconds")
        stored: list[StoredEvent] = []
        for offset, new in enumerate(new_events, start=1):
            version = current + offset
            try:
                cursor.execute(_SQLITE_INSERT, (stream_id, version, new.type, new.schema_version,
                                                json.dumps(new.data), meta_json, at_text))
            except sqlite3.IntegrityError as exc:
                cursor.execute(_SQLITE_VERSION, (stream_id,))
                actual = int(cursor.fetchone()[0] or 0)
                raise ConcurrencyError(stream_id, expected_version, actual) from exc
            position = cursor.lastrowid
            assert position is not None
            stored.append(StoredEvent(position=position, stream_id=stream_id, version=version,
                                      type=new.type, schema_version=new.schema_version,
                                      data=new.data, meta=meta_dict, at=when))
        return stored
    finally:
        cursor.close()


_FIND_KEY = sa.select(idempotency_keys).where(idempotency_keys.c.key == sa.bindparam("key"))
_REMEMBER_KEY = sa.insert(idempotency_keys)
_STREAM_VERSION = sa.select(sa.func.max(events.c.version)).where(
    events.c.stream_id == sa.bindparam("stream_id"))
_READ_STREAM = (
    sa.select(events).where(events.c.stream_id == sa.bindparam("stream_id"))
    .order_by(events.c.version)
)


class EventStore:
    """Stateless access to the ``events`` table through a caller-owned connection."""

    def lock_for_append(self, conn: sa.Connection) -> None:
        """Serialise writers on PostgreSQL; SQLite already holds the write lock."""
        if conn.dialect.name == "postgresql":
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": APPEND_LOCK_KEY})

    def stream_version(self, conn: sa.Connection, stream_id: str) -> int:
        value = conn.execute(_STREAM_VERSION, {"stream_id": stream_id}).scalar()
        return int(value or 0)

    def find_idempotent(self, conn: sa.Connection, key: str) -> AppendResult | None:
        row = conn.execute(_FIND_KEY, {"key": key}).first()
        if row is None:
            return None
        return AppendResult(row.stream_id, int(row.last_version), duplicate=True, result=row.result)

    def remember(self, conn: sa.Connection, key: str, stream_id: str, version: int,
                 first_position: int | None, result: Any) -> None:
        conn.execute(_REMEMBER_KEY, {
            "key": key, "stream_id": stream_id, "last_version": version,
            "first_position": first_position, "result": result, "at": utcnow(),
        })

    def append(
        self,
        conn: sa.Connection,
        stream_id: str,
        new_events: Sequence[NewEvent],
        expected_version: int,
        meta: Metadata | None = None,
        idempotency_key: str | None = None,
        at: dt.datetime | None = None,
        *,
        locked: bool = False,
    ) -> AppendResult:
        """Append events at ``expected_version`` (``ANY_VERSION`` skips the check).

        With an idempotency key seen before, nothing is appended and the first
        append's result comes back with ``duplicate=True``. ``locked`` says the caller
        already holds the append lock in this transaction.
        """
        if not locked:
            self.lock_for_append(conn)
        if idempotency_key is not None:
            seen = self.find_idempotent(conn, idempotency_key)
            if seen is not None:
                return seen
        meta_dict = (meta or Metadata()).as_dict()
        if idempotency_key is not None:
            meta_dict["idempotency_key"] = idempotency_key
        when = at or utcnow()
        if conn.dialect.name == "sqlite":
            stored = _append_sqlite(conn, stream_id, new_events, expected_version, meta_dict, when)
        else:
            stored = self._append_postgresql(conn, stream_id, new_events, expected_version,
                                          meta_dict, when)
        version = stored[-1].version if stored else self.stream_version(conn, stream_id)
        if idempotency_key is not None:
            first = stored[0].position if stored else None
            self.remember(conn, idempotency_key, stream_id, version, first, None)
        return AppendResult(stream_id, version, tuple(stored))

    def _append_postgresql(self, conn: sa.Connection, stream_id: str,
                        new_events: Sequence[NewEvent], expected_version: int,
                        meta_dict: dict[str, Any], when: dt.datetime) -> list[StoredEvent]:
        # A new stream needs no read: UNIQUE(stream_id, version) refuses one that exists.
        current = 0 if expected_version == 0 else self.stream_version(conn, stream_id)
        if expected_version != ANY_VERSION and current != expected_version:
            raise ConcurrencyError(stream_id, expected_version, current)
        stored: list[StoredEvent] = []
        for offset, new in enumerate(new_events, start=1):
            values = {
                "stream_id": stream_id, "version": current + offset, "type": new.type,
                "schema_version": new.schema_version, "data": new.data, "meta": meta_dict,
                "at": when,
            }
            # ON CONFLICT keeps the transaction usable, so the actual version can be read.
            position = conn.execute(
                pg_insert(events).values(**values).on_conflict_do_nothing(
                    index_elements=["stream_id", "version"]).returning(events.c.position)
            ).scalar()
            if position is None:
                raise ConcurrencyError(stream_id, expected_version,
                                       self.stream_version(conn, stream_id))
            stored.append(StoredEvent(position=int(position), data=new.data, meta=meta_dict,
                                      at=when, stream_id=stream_id, version=current + offset,
                                      type=new.type, schema_version=new.schema_version))
        return stored

    def read_stream(
        self,
        conn: sa.Connection,
        stream_id: str,
        *,
        after_version: int = 0,
        to_position: int | None = None,
        to_time: dt.datetime | None = None,
    ) -> list[StoredEvent]:
        """Events of one stream in version order, optionally only up to a point in time."""
        if after_version == 0 and to_position is None and to_time is None:
            rows = conn.execute(_READ_STREAM, {"stream_id": stream_id}).all()
            return [_row_to_event(r) for r in rows]
        query = sa.select(events).where(
            events.c.stream_id == stream_id, events.c.version > after_version
        )
        if to_position is not None:
            query = query.where(events.c.position <= to_position)
        if to_time is not None:
            query = query.where(events.c.at <= to_time)
        rows = conn.execute(query.order_by(events.c.version)).all()
        return [_row_to_event(r) for r in rows]

    def read_all(
        self, conn: sa.Connection, after_position: int = 0, limit: int = 1000,
        types: Sequence[str] | None = None,
    ) -> list[StoredEvent]:
        """Events of every stream after a global position, in global order."""
        query = sa.select(events).where(events.c.position > after_position)
        if types:
            query = query.where(events.c.type.in_(list(types)))
        rows = conn.execute(query.order_by(events.c.position).limit(limit)).all()
        return [_row_to_event(r) for r in rows]

    def iter_all(self, conn: sa.Connection, after_position: int = 0,
                 batch: int = 2000) -> Iterator[StoredEvent]:
        position = after_position
        while True:
            chunk = self.read_all(conn, position, batch)
            if not chunk:
                return
            yield from chunk
            position = chunk[-1].position

    def last_position(self, conn: sa.Connection) -> int:
        return int(conn.execute(sa.select(sa.func.max(events.c.position))).scalar() or 0)
