"""Two nodes' workers on one PostgreSQL share the inbox, the outbox and the blob store:
a claim passes over rows another node has locked (``SKIP LOCKED``) instead of waiting,
a lease names its node and expires so a killed node's rows are taken over, and a
node whose lease was taken over can no longer write the row's outcome.

The blob store contract runs on both homes: files on SQLite, the ``blobs`` table on
PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller
from hub_support import free_port, fresh_postgres_db, make_hub

from hub.attachments import BlobStore, DatabaseBlobStore, blob_store, blobs_table
from hub.bootstrap import Hub, bootstrap
from hub.db import make_engine, writing
from hub.eventstore import utcnow
from hub.mail import inbox
from hub.mail.commands import enqueue_message
from hub.mail.outbound import OutboxSender
from hub.mail.tables import mail_inbox, mail_outbox

DEAD = "node-a@gone.example:4242"  # a holder whose node was killed
PAST = dt.timedelta(minutes=5)


@pytest.fixture
def nodes(tmp_path: Path) -> Iterator[tuple[Hub, Hub]]:
    """Two hubs on one fresh database, as two nodes would be (own data dir and name)."""
    url = fresh_postgres_db()
    first = make_hub(tmp_path / "a", url)
    first.settings = replace(first.settings, node_name="node-a")
    settings = replace(first.settings, node_name="node-b", data_dir=tmp_path / "b")
    second = bootstrap(settings, make_engine(url))
    yield first, second
    first.engine.dispose()
    second.engine.dispose()


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_blob_store_contract(tmp_path: Path, dialect: str) -> None:
    hub = make_hub(tmp_path, fresh_postgres_db() if dialect == "postgresql" else None)
    store = blob_store(hub)
    assert isinstance(store, DatabaseBlobStore if dialect == "postgresql" else BlobStore)
    data = b"\x00\xffraw mail\r\n" * 100
    digest = store.put(data)
    assert digest == hashlib.sha256(data).hexdigest()
    assert store.put(data) == digest  # idempotent
    assert store.get(digest) == data and store.exists(digest)
    missing = hashlib.sha256(b"never stored").hexdigest()
    assert not store.exists(missing) and not store.exists("../etc/passwd")
    with pytest.raises(FileNotFoundError):
        store.get(missing)
    with pytest.raises(ValueError):
        store.get("../etc/passwd")
    with hub.engine.connect() as conn:
        rows = conn.execute(sa.select(blobs_table.c.digest, blobs_table.c.size)).all()
    local = list((hub.settings.data_dir / "blobs").glob("*/*"))
    if dialect == "postgresql":
        assert [tuple(r) for r in rows] == [(digest, len(data))] and local == []
    else:
        assert rows == [] and len(local) == 1
    hub.engine.dispose()


def _store(hub: Hub, count: int) -> list[int]:
    return [inbox.store_incoming(hub, f"Subject: {i}\r\n\r\nbody {i}\r\n".encode(),
                                 "c@example.com", ["general@hub.test"]) for i in range(count)]


def test_inbox_claims_skip_rows_another_node_has_locked(nodes: tuple[Hub, Hub]) -> None:
    a, b = nodes
    ids = _store(a, 4)
    locked, release = threading.Event(), threading.Event()

    def hold_first_row() -> None:  # node a, mid-claim, holding row 1's lock
        with a.engine.connect() as conn, conn.begin():
            conn.execute(sa.select(mail_inbox.c.id).where(mail_inbox.c.id == ids[0])
                         .with_for_update())
            locked.set()
            release.wait(30)

    with ThreadPoolExecutor(1) as pool:
        holder = pool.submit(hold_first_row)
        assert locked.wait(10)
        claimed = pool_claim(b)  # returns at once: does not queue behind the lock
        release.set()
        holder.result(10)
    assert [i.id for i in claimed] == ids[1:]
    assert [i.id for i in inbox.claim(a)] == ids[:1]
    assert inbox.claim(a) == [] and inbox.claim(b) == []  # all leased
    with a.engine.connect() as conn:
        holders = set(conn.execute(sa.select(mail_inbox.c.locked_by)).scalars())
    assert {h.split("@")[0] for h in holders} == {"node-a", "node-b"}


def pool_claim(hub: Hub) -> list[inbox.InboxItem]:
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(inbox.claim, hub).result(timeout=5)


def test_a_killed_nodes_inbox_lease_is_taken_over_after_expiry(
        nodes: tuple[Hub, Hub]) -> None:
    a, b = nodes
    ids = _store(a, 3)
    stale = inbox.claim(a)
    assert [i.id for i in stale] == ids and inbox.claim(b) == []
    _expire(a, mail_inbox)  # node a stops renewing: its lease runs out
    taken = inbox.claim(b)
    assert [(i.id, i.attempts) for i in taken] == [(i, 2) for i in ids]
    inbox.finish(a, [(i, "failed", None, "late", None) for i in ids])  # too late: no-op
    assert {r.state for r in _rows(a, mail_inbox)} == {"received"}
    inbox.finish(b, [(i, "processed", {"action": "created"}, None, None) for i in ids])
    assert {(r.state, r.locked_by) for r in _rows(a, mail_inbox)} == {("processed", None)}


def _expire(hub: Hub, table: sa.Table) -> None:
    with writing(hub.engine) as conn:
        conn.execute(sa.update(table).values(locked_until=utcnow() - PAST))


def _rows(hub: Hub, table: sa.Table) -> list[Any]:
    with hub.engine.connect() as conn:
        return list(conn.execute(sa.select(table).order_by(table.c.id)).all())


class Sink:
    def __init__(self) -> None:
        self.rcpts: list[str] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.rcpts.extend(envelope.rcpt_tos)
        return "250 OK"


def _queue(hub: Hub, count: int) -> None:
    with writing(hub.engine) as conn:
        for i in range(count):
            msg = EmailMessage()
            msg["From"], msg["To"] = "hub@hub.test", f"r{i}@example.com"
            msg["Subject"], msg["Message-ID"] = f"n{i}", f"<n{i}@hub.test>"
            msg.set_content("x")
            assert enqueue_message(conn, msg, settings=hub.settings, dedupe_key=f"test:{i}",
                                   kind="notification")


def test_a_killed_nodes_outbox_lease_is_taken_over_and_sent_once(
        nodes: tuple[Hub, Hub]) -> None:
    a, b = nodes
    sink, port = Sink(), free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        b.settings = replace(b.settings, smarthost=f"127.0.0.1:{port}")
        _queue(b, 3)  # queued where a smarthost is set (a has none: it would hold them)
        with writing(a.engine) as conn:  # node a claimed them, then was killed
            conn.execute(sa.update(mail_outbox).values(
                locked_by=DEAD, locked_until=utcnow() + dt.timedelta(minutes=2)))
        sender = OutboxSender(b)
        assert sender.send_due() == 0  # leased to node a: not sent twice
        _expire(a, mail_outbox)
        assert sender.send_due() == 3
        assert sender.send_due() == 0
    finally:
        controller.stop()
    assert sorted(sink.rcpts) == [f"r{i}@example.com" for i in range(3)]
    rows = _rows(a, mail_outbox)
    assert {(r.state, r.locked_by, r.attempts) for r in rows} == {("sent", None, 1)}
