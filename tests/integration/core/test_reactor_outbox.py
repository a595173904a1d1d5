"""A reactor's recorded effects commit with its position (the transactional outbox).

A probe reactor records one row per event in a table of its own; writes can be made
to fail for chosen positions. On both databases: effects before a failing write are
kept together with the position just before it, the failing event is retried and
recorded exactly once, a poisoned one is parked (with no effect) and the reactor
passes it, and retrying the parked reaction records its effect and clears the row.
"""

from __future__ import annotations

from typing import ClassVar

import sqlalchemy as sa

from hub.bootstrap import Hub
from hub.db import WRITE
from hub.eventstore import NewEvent, StoredEvent
from hub.reactor_failures import parked, reactor_failures, retry_parked
from hub.reactors import Write, position_key, reactor_position, run_once, start_position

probe_metadata = sa.MetaData()
effects = sa.Table(
    "probe_effects", probe_metadata,
    sa.Column("position", sa.BigInteger, primary_key=True),
    sa.Column("stream_id", sa.String(100), nullable=False),
)


class ProbeReactor:
    name = "probe"
    prefix: ClassVar[str] = "probe-"

    def __init__(self) -> None:
        self.fail_at: set[int] = set()
        self.reacted: list[int] = []

    def handles(self, event: StoredEvent) -> bool:
        return event.stream_id.startswith(self.prefix)

    def react(self, hub: Hub, event: StoredEvent) -> Write | None:
        self.reacted.append(event.position)

        def record(conn: sa.Connection) -> None:
            if event.position in self.fail_at:
                raise RuntimeError(f"cannot record {event.position}")
            conn.execute(sa.insert(effects).values(position=event.position,
                                                   stream_id=event.stream_id))

        return record


def _append(hub: Hub, count: int) -> list[int]:
    positions = []
    with hub.engine.connect().execution_options(**WRITE) as conn, conn.begin():
        for n in range(count):
            stored = hub.store.append(conn, f"probe-{n}", [NewEvent("ProbeHappened", {"n": n})], 0)
            positions.append(stored.events[0].position)
    return positions


def _recorded(hub: Hub) -> list[int]:
    with hub.engine.connect() as conn:
        return [int(p) for p in conn.execute(
            sa.select(effects.c.position).order_by(effects.c.position)).scalars()]


def _position(hub: Hub, reactor: ProbeReactor) -> int | None:
    with hub.engine.connect() as conn:
        return reactor_position(conn, position_key(hub, reactor))


def _setup(hub: Hub) -> ProbeReactor:
    probe_metadata.create_all(hub.engine)
    reactor = ProbeReactor()
    start_position(hub, reactor)
    return reactor


def test_effects_commit_with_the_position_and_a_failed_write_stops_the_batch(
        any_hub: Hub) -> None:
    reactor = _setup(any_hub)
    positions = _append(any_hub, 5)
    reactor.fail_at = {positions[2]}
    attempts: dict[int, int] = {}
    assert run_once(any_hub, reactor, attempts=attempts) == 2
    assert _recorded(any_hub) == positions[:2]
    assert _position(any_hub, reactor) == positions[2] - 1
    assert attempts == {positions[2]: 1}

    reactor.fail_at = set()
    assert run_once(any_hub, reactor, attempts=attempts) == 3
    assert _recorded(any_hub) == positions  # each event's effect exactly once
    assert _position(any_hub, reactor) == positions[-1]
    assert attempts == {}
    assert run_once(any_hub, reactor, attempts=attempts) == 0


def test_a_poisoned_write_is_parked_passed_and_recorded_on_retry(any_hub: Hub) -> None:
    reactor = _setup(any_hub)
    positions = _append(any_hub, 3)
    reactor.fail_at = {positions[1]}
    attempts: dict[int, int] = {}
    for _ in range(2):
        run_once(any_hub, reactor, attempts=attempts, max_attempts=2)
    assert _recorded(any_hub) == [positions[0], positions[2]]
    assert _position(any_hub, reactor) == positions[-1]
    with any_hub.engine.connect() as conn:
        rows = conn.execute(sa.select(reactor_failures.c.position).where(
            reactor_failures.c.reactor == "probe")).scalars().all()
    assert rows == [positions[1]]

    any_hub.reactors.append(reactor)
    (item,) = [p for p in parked(any_hub) if p.reactor == "probe"]
    assert retry_parked(any_hub, item) is not None  # still failing: kept, one more attempt
    assert [p.attempts for p in parked(any_hub) if p.reactor == "probe"] == [3]
    reactor.fail_at = set()
    (item,) = [p for p in parked(any_hub) if p.reactor == "probe"]
    assert retry_parked(any_hub, item) is None
    assert _recorded(any_hub) == positions
    assert [p for p in parked(any_hub) if p.reactor == "probe"] == []
