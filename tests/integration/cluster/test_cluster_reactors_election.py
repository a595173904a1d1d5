"""The pieces under the cluster's one-consumer rule, on a real PostgreSQL and on SQLite:
the advisory-lock session, per-node positions of node-local reactors, and a position
that only moves forward."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
import sqlalchemy as sa
from hub_support import fresh_postgres_db, make_hub

from hub.bootstrap import Hub
from hub.db import projection_positions
from hub.eventstore import StoredEvent
from hub.leadership import LockSession, leader_of
from hub.reactors import ReactorWorker, _save, position_key, start_position


class Local:
    name = "local-thing"
    cluster_wide = False

    def handles(self, event: StoredEvent) -> bool:
        return False

    def react(self, hub: Hub, event: StoredEvent) -> None:
        raise AssertionError("handles nothing")


class Shared(Local):
    name = "shared-thing"
    cluster_wide = True


def soon(session: LockSession, name: str) -> bool:
    """A closed or killed session's backend releases its locks as it exits: a moment later."""
    deadline = time.time() + 5
    while not session.try_acquire(name):
        if time.time() > deadline:
            return False
        time.sleep(0.05)
    return True


@pytest.fixture
def pg_hub(tmp_path: Path) -> Iterator[Hub]:
    hub = make_hub(tmp_path, fresh_postgres_db())
    yield hub
    hub.engine.dispose()


def test_one_session_leads_and_its_end_frees_the_lock(pg_hub: Hub) -> None:
    first, second = LockSession(pg_hub.engine, "n1"), LockSession(pg_hub.engine, "n2")
    try:
        assert first.try_acquire("work") and first.try_acquire("work")
        assert not second.try_acquire("work")
        with pg_hub.engine.connect() as conn:
            assert leader_of(conn, "work") == "n1"
        assert first.check()
        first.close()  # what a dying node's session does
        assert soon(second, "work")
        with pg_hub.engine.connect() as conn:
            assert leader_of(conn, "work") == "n2"
    finally:
        first.close()
        second.close()


def test_a_broken_session_drops_every_lead(pg_hub: Hub) -> None:
    session = LockSession(pg_hub.engine, "n1")
    try:
        assert session.try_acquire("a") and session.try_acquire("b")
        with pg_hub.engine.connect() as conn:
            conn.execute(sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                 "WHERE application_name = 'hub-leader:n1'"))
            conn.commit()
        assert not session.check()
        assert session.held == set()
        assert soon(session, "a")  # a fresh session takes it again
    finally:
        session.close()


def test_workers_on_two_nodes_share_a_reactor_but_not_a_node_local_one(pg_hub: Hub) -> None:
    second_hub = replace(pg_hub, settings=replace(pg_hub.settings, node_name="node-2"))
    one = ReactorWorker(pg_hub, [Shared(), Local()])
    two = ReactorWorker(second_hub, [Shared(), Local()])
    try:
        assert one.leads(Shared()) and not two.leads(Shared())
        assert one.leads(Local()) and two.leads(Local())
        assert position_key(pg_hub, Local()) != position_key(second_hub, Local())
        assert position_key(pg_hub, Shared()) == position_key(second_hub, Shared())
    finally:
        one.stop()
        two.stop()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_positions_only_move_forward(tmp_path: Path, backend: str) -> None:
    hub = make_hub(tmp_path, fresh_postgres_db() if backend == "postgresql" else None)
    try:
        reactor = Shared()
        head = start_position(hub, reactor)
        _save(hub, reactor, head + 10)
        _save(hub, reactor, head + 4)  # a deposed leader saving late
        with hub.engine.connect() as conn:
            assert conn.execute(sa.select(projection_positions.c.position).where(
                projection_positions.c.name == position_key(hub, reactor))).scalar() == head + 10
        if backend == "sqlite":
            assert LockSession(hub.engine).try_acquire("x")  # one node: always granted
    finally:
        hub.engine.dispose()
