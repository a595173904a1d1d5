"""ProjectionRunner.catch_up: one statement when every projection is in step, and
exactly-once application when one lags behind or is new (on both databases)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import sqlalchemy as sa
from hub_support import fresh_postgres_db, postgres_url

from hub.db import WRITE, make_engine, metadata, projection_positions, writing
from hub.eventstore import EventStore, NewEvent, StoredEvent
from hub.projections import ProjectionRunner


class Recorder:
    """A projection that remembers which positions it was given."""

    tables: tuple[sa.Table, ...] = ()

    def __init__(self, name: str) -> None:
        self.name = name
        self.seen: list[int] = []

    def handles(self, event: StoredEvent) -> bool:
        return event.stream_id.startswith("bench-")

    def apply(self, conn: sa.Connection, event: StoredEvent) -> None:
        self.seen.append(event.position)


def _append(engine: sa.Engine, store: EventStore, runner: ProjectionRunner,
            stream: str) -> Sequence[StoredEvent]:
    with engine.connect().execution_options(**WRITE) as conn, conn.begin():
        done = store.append(conn, stream, [NewEvent("Noted", {"n": 1}),
                                           NewEvent("Noted", {"n": 2})], 0)
        runner.catch_up(conn, done.events)
    return done.events


def _positions(engine: sa.Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {r.name: int(r.position) for r in conn.execute(sa.select(projection_positions))}


def _scenario(engine: sa.Engine) -> None:
    metadata.create_all(engine)
    store = EventStore()
    a, b = Recorder("a"), Recorder("b")
    runner = ProjectionRunner(store, [a, b])
    first = _append(engine, store, runner, "bench-1")  # no rows yet: the slow path
    assert a.seen == b.seen == [e.position for e in first]

    statements: list[str] = []

    def record(conn: object, cursor: object, statement: str, *_: object) -> None:
        statements.append(statement)

    sa.event.listen(engine, "before_cursor_execute", record)
    second = _append(engine, store, runner, "bench-2")  # in step: one UPDATE
    sa.event.remove(engine, "before_cursor_execute", record)
    positions_touched = [s for s in statements if "projection_positions" in s]
    assert len(positions_touched) == 1 and positions_touched[0].lstrip().startswith("UPDATE")
    assert a.seen == b.seen == [e.position for e in (*first, *second)]

    # b falls behind (as if its read model had been restored from an older copy) and
    # c is new: both catch up exactly once, and a gets only the new events.
    with writing(engine) as conn:
        conn.execute(sa.update(projection_positions).where(projection_positions.c.name == "b")
                     .values(position=first[-1].position))
    b.seen = [e.position for e in first]
    c = Recorder("c")
    runner.register(c)
    third = _append(engine, store, runner, "bench-3")
    every = [e.position for e in (*first, *second, *third)]
    assert a.seen == every and b.seen == every and c.seen == every
    assert _positions(engine) == {"a": every[-1], "b": every[-1], "c": every[-1]}


def test_catch_up_on_sqlite(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/p.db")
    try:
        _scenario(engine)
    finally:
        engine.dispose()


def test_catch_up_on_postgresql() -> None:
    postgres_url()
    engine = make_engine(fresh_postgres_db())
    try:
        _scenario(engine)
    finally:
        engine.dispose()
