"""Database engine and the core tables (event store, tracking, credentials, sequences).

Feature packages declare their read-model tables on the same ``metadata`` so that
Alembic and ``hub projections rebuild`` see one schema.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine

from hub.writer_lock import WriterLock

metadata = sa.MetaData()

events = sa.Table(
    "events",
    metadata,
    sa.Column("position", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True,
              autoincrement=True),
    sa.Column("stream_id", sa.String(200), nullable=False),
    sa.Column("version", sa.Integer, nullable=False),
    sa.Column("type", sa.String(100), nullable=False),
    sa.Column("schema_version", sa.Integer, nullable=False, server_default="1"),
    sa.Column("data", sa.JSON, nullable=False),
    sa.Column("meta", sa.JSON, nullable=False),
    sa.Column("at", sa.DateTime, nullable=False),
    sa.UniqueConstraint("stream_id", "version", name="uq_events_stream_version"),
)

idempotency_keys = sa.Table(
    "idempotency_keys",
    metadata,
    sa.Column("key", sa.String(300), primary_key=True),
    sa.Column("stream_id", sa.String(200), nullable=False),
    sa.Column("first_position", sa.BigInteger, nullable=True),
    sa.Column("last_version", sa.Integer, nullable=False),
    sa.Column("result", sa.JSON, nullable=True),
    sa.Column("at", sa.DateTime, nullable=False),
)

projection_positions = sa.Table(
    "projection_positions",
    metadata,
    sa.Column("name", sa.String(100), primary_key=True),
    sa.Column("position", sa.BigInteger, nullable=False),
)

sequences = sa.Table(
    "sequences",
    metadata,
    sa.Column("name", sa.String(100), primary_key=True),
    sa.Column("value", sa.BigInteger, nullable=False),
)

# Secrets live outside the event stream: events only say that a credential exists.
credentials = sa.Table(
    "credentials",
    metadata,
    sa.Column("id", sa.String(100), primary_key=True),
    sa.Column("kind", sa.String(20), nullable=False),  # password | token
    sa.Column("username", sa.String(100), nullable=False, index=True),
    sa.Column("name", sa.String(200), nullable=False, server_default=""),
    sa.Column("secret_hash", sa.String(300), nullable=False),
    sa.Column("created_at", sa.DateTime, nullable=False),
    sa.Column("revoked_at", sa.DateTime, nullable=True),
)

# Failed logins per client address and account, shared by every web process and node
# (the throttle must not grant N times the attempts to a hub running N processes).
login_failures = sa.Table(
    "login_failures",
    metadata,
    sa.Column("key", sa.String(400), primary_key=True),
    sa.Column("failures", sa.Integer, nullable=False),
    sa.Column("last", sa.Float, nullable=False),  # epoch seconds: one clock for all nodes
)

WRITE = {"hub_write": True}


@contextmanager
def writing(engine: Engine) -> Iterator[sa.Connection]:
    """A write transaction that queues with the hub's other writers.

    ``engine.begin()`` opens a deferred transaction: on SQLite one that reads and then
    writes while another writer commits fails at once with "database is locked",
    because a stale snapshot cannot be upgraded. This one starts as a writer.
    """
    with engine.connect().execution_options(**WRITE) as conn, conn.begin():
        yield conn


def make_engine(url: str, **kwargs: Any) -> Engine:
    """Create an engine with the transaction behaviour the event store relies on."""
    if url.startswith("sqlite"):
        engine = sa.create_engine(
            url,
            connect_args={"timeout": 30, "check_same_thread": False},
            pool_size=20,
            max_overflow=20,
            **kwargs,
        )
        _configure_sqlite(engine)
        return engine
    # After a restart or failover every pooled connection is dead: the pre-ping replaces
    # one before use, and a disconnect seen mid-query drops the whole pool (SQLAlchemy's
    # default), so the hub recovers by itself. A server that does not answer at all
    # fails a connection attempt after connect_timeout instead of hanging the request.
    kwargs.setdefault("connect_args", {"connect_timeout": 10})
    return sa.create_engine(url, pool_size=20, max_overflow=20, pool_pre_ping=True, **kwargs)


def _configure_sqlite(engine: Engine) -> None:
    """Take over BEGIN from pysqlite so writers use BEGIN IMMEDIATE (no upgrade deadlocks)."""

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    # Writers of this process queue on a fair in-process lock rather than in SQLite's
    # busy handler, whose sleeps grow to 100 ms and make latency spiky under load.
    # The lock is held from BEGIN IMMEDIATE until the driver's commit or rollback.
    # Other processes (web workers, reactors, the CLI) queue on a file lock likewise.
    writer = threading.Lock()
    holders: set[int] = set()
    database = engine.url.database
    across = WriterLock(Path(database)) if database and database != ":memory:" else None

    @event.listens_for(engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        # Straight to the driver: this runs once per transaction on the hot path.
        raw = conn.connection.driver_connection
        assert raw is not None
        if not conn.get_execution_options().get("hub_write"):
            raw.execute("BEGIN")
            return
        proxied = id(conn.connection)  # what the dialect's commit/rollback receive
        if not writer.acquire(timeout=30):  # same bound as SQLite's busy timeout
            raise sqlite3.OperationalError("database is locked (writer queue timeout)")
        holders.add(proxied)
        try:
            if across is not None:
                across.acquire(timeout=30)
            try:
                raw.execute("BEGIN IMMEDIATE")
            except BaseException:
                if across is not None:
                    across.release()
                raise
        except BaseException:
            holders.discard(proxied)
            writer.release()
            raise

    def _releasing(finish: Any) -> Any:
        def wrapper(dbapi_connection: Any) -> None:
            try:
                finish(dbapi_connection)
            finally:
                if id(dbapi_connection) in holders:
                    holders.discard(id(dbapi_connection))
                    if across is not None:
                        across.release()
                    writer.release()

        return wrapper

    dialect: Any = engine.dialect
    dialect.do_commit = _releasing(dialect.do_commit)
    dialect.do_rollback = _releasing(dialect.do_rollback)


def is_sqlite(engine: Engine | sa.Connection) -> bool:
    return engine.dialect.name == "sqlite"


_NEXT_VALUE = (
    sa.update(sequences)
    .where(sequences.c.name == sa.bindparam("seq_name"))
    .values(value=sequences.c.value + 1)
    .returning(sequences.c.value)
)


def next_sequence(conn: sa.Connection, name: str) -> int:
    """Allocate the next number of a named sequence inside the caller's transaction."""
    row = conn.execute(_NEXT_VALUE, {"seq_name": name}).first()
    if row is not None:
        return int(row[0])
    conn.execute(sa.insert(sequences).values(name=name, value=1))
    return 1
