"""The durable inbox: raw mail is fsynced and its row committed before we say 250.

SMTP and IMAP both end here. Processing reads from this store, never from the
socket, so a crash after the 250 loses nothing: the row stays ``received`` and
the next worker (after restart) picks it up. Rows are claimed with a lease so
two processes on one database never work on the same message at once.

On PostgreSQL several nodes share the inbox: the raw bytes go to the database's blob
store (any node's worker may claim the row), claims take ``FOR UPDATE SKIP LOCKED`` so
concurrent workers pass over each other's rows instead of queueing on them, and a lease
names its holder (``node@host:pid``) and expires, so a killed node's claims are taken
over after ``LEASE`` by whichever node polls next.
"""

from __future__ import annotations

import datetime as dt
import os
import queue
import socket
import threading
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from hub.attachments import Blobs, blob_store
from hub.bootstrap import Hub
from hub.db import WRITE
from hub.eventstore import utcnow
from hub.mail.tables import mail_inbox

LEASE = dt.timedelta(minutes=2)


@dataclass(frozen=True)
class InboxItem:
    id: int
    source: str
    mail_from: str | None
    rcpts: list[str]
    sha256: str
    attempts: int


def blobs(hub: Hub) -> Blobs:
    """Where raw mail lives: shared by every node on PostgreSQL, files on SQLite."""
    return blob_store(hub)


def store_incoming(hub: Hub, raw: bytes, mail_from: str | None, rcpts: Sequence[str],
                   source: str = "smtp") -> int:
    """Store ``raw`` durably and return the inbox id; raises when it cannot (-> 451).

    The blob is fsynced first; the row is committed with ``synchronous=FULL`` on
    SQLite so the commit itself reaches the disk before the caller answers 250.
    """
    digest = blobs(hub).put(raw)
    values = {"received_at": utcnow(), "source": source, "mail_from": mail_from,
              "rcpts": [r.lower() for r in rcpts], "sha256": digest, "size": len(raw),
              "state": "received", "attempts": 0}
    with hub.engine.connect().execution_options(**WRITE) as conn:
        raw_conn = conn.connection.driver_connection if conn.dialect.name == "sqlite" else None
        if raw_conn is not None:
            raw_conn.execute("PRAGMA synchronous=FULL")
        try:
            with conn.begin():
                new_id = conn.execute(sa.insert(mail_inbox).values(**values)
                                      .returning(mail_inbox.c.id)).scalar_one()
        finally:
            if raw_conn is not None:
                raw_conn.execute("PRAGMA synchronous=NORMAL")
    return int(new_id)


class InboxWriter:
    """Group commit for the SMTP gateway: one thread stores what concurrent sessions hand it.

    Sessions store their blobs in parallel (fsyncs overlap), then wait for their row's
    commit; rows arriving together share one transaction and one WAL fsync (the connection
    stays at ``synchronous=FULL``), so the write lock is taken once per batch.
    """

    def __init__(self, hub: Hub, max_batch: int = 64) -> None:
        self.hub = hub
        self.max_batch = max_batch
        self.queue: queue.Queue[tuple[str, int, str | None, list[str], str,
                                      Future[int]] | None] = queue.Queue()
        self.thread = threading.Thread(target=self._loop, name="hub-mail-store", daemon=True)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.queue.put(None)
        self.thread.join(30)

    def submit(self, digest: str, size: int, mail_from: str | None, rcpts: Sequence[str],
               source: str = "smtp") -> Future[int]:
        """Queue the row of a message whose blob is already stored; resolves to its id."""
        future: Future[int] = Future()
        self.queue.put((digest, size, mail_from, [r.lower() for r in rcpts], source, future))
        return future

    def _loop(self) -> None:
        conn = self.hub.engine.connect().execution_options(**WRITE)
        sqlite = conn.dialect.name == "sqlite"
        if sqlite:
            conn.connection.driver_connection.execute("PRAGMA synchronous=FULL")  # type: ignore[union-attr]
        try:
            while True:
                first = self.queue.get()
                if first is None:
                    return
                batch = [first]
                while len(batch) < self.max_batch:
                    try:
                        item = self.queue.get_nowait()
                    except queue.Empty:
                        break
                    if item is None:
                        self.queue.put(None)
                        break
                    batch.append(item)
                self._store(conn, batch)
        finally:
            if sqlite:
                conn.connection.driver_connection.execute("PRAGMA synchronous=NORMAL")  # type: ignore[union-attr]
            conn.close()

    def _store(self, conn: sa.Connection, batch: list[Any]) -> None:
        try:
            now = utcnow()
            rows = [{"received_at": now, "source": source, "mail_from": mail_from,
                     "rcpts": rcpts, "sha256": digest, "size": size,
                     "state": "received", "attempts": 0}
                    for digest, size, mail_from, rcpts, source, _ in batch]
            with conn.begin():
                ids = [int(conn.execute(_INSERT, row).scalar_one()) for row in rows]
        except Exception as exc:
            if conn.in_transaction():
                conn.rollback()
            for *_, future in batch:
                future.set_exception(exc)
            return
        for (*_, future), new_id in zip(batch, ids, strict=True):
            future.set_result(new_id)


_INSERT = sa.insert(mail_inbox).returning(mail_inbox.c.id)


def claim(hub: Hub, limit: int = 50, ids: Sequence[int] | None = None) -> list[InboxItem]:
    """Lease up to ``limit`` received messages (oldest first) to this worker."""
    now = utcnow()
    with hub.engine.connect().execution_options(**WRITE) as conn, conn.begin():
        query = (sa.select(mail_inbox.c.id, mail_inbox.c.source, mail_inbox.c.mail_from,
                           mail_inbox.c.rcpts, mail_inbox.c.sha256, mail_inbox.c.attempts)
                 .where(mail_inbox.c.state == "received",
                        sa.or_(mail_inbox.c.locked_until.is_(None),
                               mail_inbox.c.locked_until < now))
                 .order_by(mail_inbox.c.id).limit(limit))
        if ids is not None:
            query = query.where(mail_inbox.c.id.in_(list(ids)))
        rows = conn.execute(query.with_for_update(skip_locked=True)).all()
        if rows:
            conn.execute(sa.update(mail_inbox).where(mail_inbox.c.id.in_([r.id for r in rows]))
                         .values(locked_until=now + LEASE, locked_by=lease_holder(hub),
                                 attempts=mail_inbox.c.attempts + 1))
    return [InboxItem(r.id, r.source, r.mail_from, list(r.rcpts), r.sha256, r.attempts + 1)
            for r in rows]


def lease_holder(hub: Hub) -> str:
    """``node@host:pid``: the node for people reading the table, host and pid so a
    worker on the same host can tell that the holder is dead (``release_dead_leases``)."""
    return f"{hub.settings.node_name}@{socket.gethostname()}:{os.getpid()}"[-100:]


def _holder_host_pid(holder: str) -> tuple[str, str]:
    """Host and pid of a holder; older rows say ``host:pid`` without the node."""
    where, _, pid = holder.rpartition(":")
    return where.rpartition("@")[2], pid


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def release_dead_leases(hub: Hub) -> int:
    """Free messages leased by a process on this host that no longer runs (killed mid-work).

    Without this a SIGKILLed worker's batch would wait for its lease to expire.
    """
    host = socket.gethostname()
    with hub.engine.connect().execution_options(**WRITE) as conn, conn.begin():
        holders = [r[0] for r in conn.execute(
            sa.select(mail_inbox.c.locked_by).distinct().where(
                mail_inbox.c.state == "received", mail_inbox.c.locked_by.is_not(None))).all()]
        dead = []
        for holder in holders:
            name, pid = _holder_host_pid(str(holder))
            if name == host and pid.isdigit() and int(pid) != os.getpid() and not _alive(
                    int(pid)):
                dead.append(holder)
        if not dead:
            return 0
        return int(conn.execute(sa.update(mail_inbox).where(
            mail_inbox.c.state == "received", mail_inbox.c.locked_by.in_(dead)
        ).values(locked_until=None, locked_by=None)).rowcount)


def finish(hub: Hub, outcomes: Sequence[tuple[int, str, dict[str, Any] | None, str | None,
                                              str | None]]) -> None:
    """Record ``(id, state, result, error, message_id)`` for processed messages in one go.

    Only rows this worker still holds are written: when a lease expired and another
    node took the message over, that node's outcome is the one that counts (the
    ticket's idempotency key makes the work itself count once either way).
    """
    if not outcomes:
        return
    now = utcnow()
    holder = lease_holder(hub)
    with hub.engine.connect().execution_options(**WRITE) as conn, conn.begin():
        for item_id, state, result, error, message_id in outcomes:
            conn.execute(sa.update(mail_inbox).where(
                mail_inbox.c.id == item_id,
                sa.or_(mail_inbox.c.locked_by.is_(None),
                       mail_inbox.c.locked_by == holder)).values(
                state=state, result=result, error=error, processed_at=now, locked_until=None,
                locked_by=None,
                message_id=(message_id or "")[:500] or None))


def retry(hub: Hub, item_id: int | None = None) -> list[int]:
    """Put failed messages (or one) back to ``received`` so a worker processes them again."""
    with hub.engine.connect().execution_options(**WRITE) as conn, conn.begin():
        query = sa.select(mail_inbox.c.id).where(mail_inbox.c.state == "failed")
        if item_id is not None:
            query = query.where(mail_inbox.c.id == item_id)
        ids = [int(r.id) for r in conn.execute(query).all()]
        if ids:
            conn.execute(sa.update(mail_inbox).where(mail_inbox.c.id.in_(ids))
                         .values(state="received", locked_until=None, error=None))
    return ids


def counts(hub: Hub) -> dict[str, int]:
    with hub.engine.connect() as conn:
        rows = conn.execute(sa.select(mail_inbox.c.state, sa.func.count())
                            .group_by(mail_inbox.c.state)).all()
    return {str(r[0]): int(r[1]) for r in rows}
