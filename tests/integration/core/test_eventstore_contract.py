"""One contract for the event store, run against SQLite and a real PostgreSQL.

Every test takes ``any_hub`` (a migrated hub on each database) and talks to the
store through its own connections, the way the unit of work does. The concurrent
tests start writer *processes* (spawn context), each with its own engine built from
the database URL, so they exercise the database's locking rather than Python's.
"""

from __future__ import annotations

import datetime as dt
import itertools
import multiprocessing
import random
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import sqlalchemy as sa

from hub.actors import Actor
from hub.bootstrap import Hub
from hub.db import WRITE, events, make_engine
from hub.eventstore import (
    ANY_VERSION,
    ConcurrencyError,
    EventStore,
    Metadata,
    NewEvent,
    StoredEvent,
)
from hub.tickets import commands as tc

WORKERS = 8
PER_WORKER = 100
JOIN_TIMEOUT = 90.0

store = EventStore()


# -- helpers (module level so that spawned processes can import them) -----------------

def url_of(hub: Hub) -> str:
    return hub.engine.url.render_as_string(hide_password=False)


@contextmanager
def write_tx(engine: sa.Engine) -> Iterator[sa.Connection]:
    """A write transaction as the unit of work opens it (BEGIN IMMEDIATE on SQLite)."""
    with engine.connect().execution_options(**WRITE) as conn, conn.begin():
        yield conn


def read_stream(engine: sa.Engine, stream_id: str, **kwargs: Any) -> list[StoredEvent]:
    with engine.connect() as conn:
        return store.read_stream(conn, stream_id, **kwargs)


def read_all(engine: sa.Engine, after: int = 0, limit: int = 100_000) -> list[StoredEvent]:
    with engine.connect() as conn:
        return store.read_all(conn, after, limit)


def head(engine: sa.Engine) -> int:
    with engine.connect() as conn:
        return store.last_position(conn)


def ev(n: int, **data: Any) -> NewEvent:
    return NewEvent("ThingHappened", {"n": n, **data})


def new_stream() -> str:
    return f"contract-{uuid.uuid4().hex[:10]}"


def _one_stream_writer(url: str, stream_id: str, worker: int, count: int,
                       barrier: Any, results: Any) -> None:
    """Read the version, then append at it; on a stale version read again and retry."""
    engine = make_engine(url)
    retries = 0
    try:
        barrier.wait(60)
        for seq in range(count):
            while True:
                with engine.connect() as conn:
                    version = store.stream_version(conn, stream_id)
                try:
                    with write_tx(engine) as conn:
                        store.append(conn, stream_id, [ev(seq, worker=worker)], version,
                                     Metadata(actor=f"w{worker}", source="api"))
                    break
                except ConcurrencyError:
                    retries += 1
        results.put((worker, retries))
    finally:
        engine.dispose()


def _many_stream_writer(url: str, prefix: str, worker: int, count: int, barrier: Any,
                        hold_seconds: float) -> None:
    """Append to many streams; optionally hold the transaction open after inserting.

    Without a hold the streams are shared by all writers (version races); with one each
    writer has its own streams, so only the order of commits is at stake.
    """
    engine = make_engine(url)
    rng = random.Random(worker)
    try:
        barrier.wait(60)
        seq = 0
        while seq < count:
            owner = f"{worker}-" if hold_seconds else ""
            stream_id = f"{prefix}-{owner}{rng.randrange(10)}"
            size = min(rng.choice((1, 1, 2, 3)), count - seq)
            batch = [ev(seq + i, worker=worker) for i in range(size)]
            with write_tx(engine) as conn:
                store.append(conn, stream_id, batch, ANY_VERSION)
                if hold_seconds:
                    # A late commit: a store that does not serialise appends would let a
                    # later position commit first and a tailing reader skip this one.
                    time.sleep(rng.random() * hold_seconds)
            seq += size
    finally:
        engine.dispose()


def run_processes(target: Any, args_for: Any, results_expected: bool = False) -> list[Any]:
    """Start WORKERS spawned processes released together by a barrier; fail on any error."""
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(WORKERS)
    results = ctx.Queue()
    procs = [ctx.Process(target=target, args=args_for(w, barrier, results), daemon=True)
             for w in range(WORKERS)]
    try:
        for p in procs:
            p.start()
        collected = []
        if results_expected:
            collected = [results.get(timeout=JOIN_TIMEOUT) for _ in procs]
        for p in procs:
            p.join(JOIN_TIMEOUT)
        assert [p.exitcode for p in procs] == [0] * WORKERS
        return collected
    finally:
        for p in procs:
            if p.is_alive():
                p.terminate()
                p.join(5)
            p.close()
        results.close()
        results.join_thread()


# -- single-writer contract ------------------------------------------------------------

def test_append_to_new_stream_at_version_zero(any_hub: Hub) -> None:
    stream = new_stream()
    before = head(any_hub.engine)
    with write_tx(any_hub.engine) as conn:
        result = store.append(conn, stream, [ev(1), ev(2), ev(3)], 0)
    assert result.stream_id == stream
    assert result.version == 3
    assert not result.duplicate
    assert [e.version for e in result.events] == [1, 2, 3]
    positions = [e.position for e in result.events]
    assert positions == sorted(positions) and positions[0] > before
    stored = read_stream(any_hub.engine, stream)
    assert [(e.version, e.type, e.data) for e in stored] == [
        (1, "ThingHappened", {"n": 1}), (2, "ThingHappened", {"n": 2}),
        (3, "ThingHappened", {"n": 3}),
    ]
    assert [e.position for e in stored] == positions
    assert all(e.schema_version == 1 for e in stored)


def test_appending_to_new_stream_at_nonzero_version_fails(any_hub: Hub) -> None:
    stream = new_stream()
    with pytest.raises(ConcurrencyError) as info, write_tx(any_hub.engine) as conn:
        store.append(conn, stream, [ev(1)], 1)
    assert (info.value.expected, info.value.actual) == (1, 0)
    assert read_stream(any_hub.engine, stream) == []


def test_stale_expected_version_raises_and_appends_nothing(any_hub: Hub) -> None:
    stream = new_stream()
    with write_tx(any_hub.engine) as conn:
        store.append(conn, stream, [ev(1), ev(2)], 0)
    before = head(any_hub.engine)
    for stale in (0, 1, 3):
        with pytest.raises(ConcurrencyError) as info, write_tx(any_hub.engine) as conn:
            store.append(conn, stream, [ev(10), ev(11)], stale)
        assert info.value.stream_id == stream
        assert info.value.expected == stale
        assert info.value.actual == 2
    assert [e.data["n"] for e in read_stream(any_hub.engine, stream)] == [1, 2]
    assert head(any_hub.engine) == before
    with write_tx(any_hub.engine) as conn:
        assert store.append(conn, stream, [ev(3)], 2).version == 3


def test_any_version_appends_after_whatever_is_there(any_hub: Hub) -> None:
    stream = new_stream()
    with write_tx(any_hub.engine) as conn:
        first = store.append(conn, stream, [ev(1)], ANY_VERSION)
    with write_tx(any_hub.engine) as conn:
        second = store.append(conn, stream, [ev(2), ev(3)], ANY_VERSION)
    assert (first.version, second.version) == (1, 3)
    assert [e.version for e in second.events] == [2, 3]
    assert [e.version for e in read_stream(any_hub.engine, stream)] == [1, 2, 3]


def test_idempotency_key_makes_a_repeated_append_a_no_op(any_hub: Hub) -> None:
    stream = new_stream()
    key = f"key-{uuid.uuid4().hex}"
    with write_tx(any_hub.engine) as conn:
        first = store.append(conn, stream, [ev(1), ev(2)], 0, idempotency_key=key)
    assert not first.duplicate
    before = head(any_hub.engine)
    # The retry even carries a now stale expected version: the key wins, nothing is added.
    for expected in (0, 2, ANY_VERSION):
        with write_tx(any_hub.engine) as conn:
            again = store.append(conn, stream, [ev(1), ev(2)], expected, idempotency_key=key)
        assert again.duplicate
        assert (again.stream_id, again.version) == (first.stream_id, first.version)
        assert again.events == ()
    assert head(any_hub.engine) == before
    stored = read_stream(any_hub.engine, stream)
    assert [e.data["n"] for e in stored] == [1, 2]
    assert stored[0].meta["idempotency_key"] == key
    # A different key appends normally.
    with write_tx(any_hub.engine) as conn:
        other = store.append(conn, stream, [ev(3)], 2, idempotency_key=key + "-2")
    assert (other.version, other.duplicate) == (3, False)


def test_idempotent_command_through_the_bus_returns_the_first_result(any_hub: Hub) -> None:
    actor = Actor(name="admin", email="admin@hub.test", role="admin", source="api")
    key = f"create-{uuid.uuid4().hex}"
    cmd = tc.CreateTicket(queue="General", subject="only once", body="b")
    first = any_hub.bus.handle(cmd, actor, idempotency_key=key)
    before = head(any_hub.engine)
    second = any_hub.bus.handle(cmd, actor, idempotency_key=key)
    assert second == first
    assert head(any_hub.engine) == before
    created = [e for e in read_all(any_hub.engine) if e.type == "TicketCreated"]
    assert [e.stream_id for e in created] == [f"ticket-{first['id']}"]


def test_read_stream_order_and_cuts(any_hub: Hub) -> None:
    stream, other = new_stream(), new_stream()
    t0 = dt.datetime(2024, 1, 1, 12, 0, 0)
    positions = []
    for i in range(1, 6):
        with write_tx(any_hub.engine) as conn:
            # Interleave another stream so positions of ``stream`` are not contiguous.
            store.append(conn, other, [ev(100 + i)], ANY_VERSION)
            result = store.append(conn, stream, [ev(i)], i - 1,
                                  at=t0 + dt.timedelta(minutes=i))
        positions.append(result.events[0].position)
    everything = read_stream(any_hub.engine, stream)
    assert [e.version for e in everything] == [1, 2, 3, 4, 5]
    assert [e.position for e in everything] == positions
    assert [e.at for e in everything] == [t0 + dt.timedelta(minutes=i) for i in range(1, 6)]

    cut = read_stream(any_hub.engine, stream, to_position=positions[2])
    assert [e.version for e in cut] == [1, 2, 3]
    assert [e.version for e in read_stream(any_hub.engine, stream,
                                           to_position=positions[2] + 1)] == [1, 2, 3]
    assert read_stream(any_hub.engine, stream, to_position=positions[0] - 1) == []

    by_time = read_stream(any_hub.engine, stream, to_time=t0 + dt.timedelta(minutes=2))
    assert [e.version for e in by_time] == [1, 2]
    between = read_stream(any_hub.engine, stream,
                          to_time=t0 + dt.timedelta(minutes=3, seconds=30))
    assert [e.version for e in between] == [1, 2, 3]
    assert read_stream(any_hub.engine, stream, to_time=t0) == []

    after = read_stream(any_hub.engine, stream, after_version=3)
    assert [e.version for e in after] == [4, 5]


def test_read_all_after_a_position_in_global_order_with_limit(any_hub: Hub) -> None:
    start = head(any_hub.engine)
    streams = [new_stream() for _ in range(3)]
    appended: list[tuple[str, int]] = []
    for round_ in range(4):
        for s in streams:
            with write_tx(any_hub.engine) as conn:
                store.append(conn, s, [ev(round_, s=s)], round_)
            appended.append((s, round_ + 1))
    got = read_all(any_hub.engine, start)
    assert [(e.stream_id, e.version) for e in got] == appended
    positions = [e.position for e in got]
    assert all(a < b for a, b in itertools.pairwise(positions))

    page = read_all(any_hub.engine, start, limit=5)
    assert [e.position for e in page] == positions[:5]
    rest = read_all(any_hub.engine, page[-1].position, limit=100)
    assert [e.position for e in rest] == positions[5:]
    assert read_all(any_hub.engine, positions[-1]) == []
    with any_hub.engine.connect() as conn:
        assert [e.position for e in store.iter_all(conn, start, batch=4)] == positions
        assert store.last_position(conn) == positions[-1]
        typed = store.read_all(conn, start, types=["NoSuchType"])
    assert typed == []


def test_metadata_is_stored_with_every_event(any_hub: Hub) -> None:
    stream = new_stream()
    meta = Metadata(actor="alice", source="email", correlation_id="corr-1",
                    causation_id="cause-9", extra={"message_id": "<m1@example.com>"})
    with write_tx(any_hub.engine) as conn:
        store.append(conn, stream, [ev(1), ev(2)], 0, meta)
    stored = read_stream(any_hub.engine, stream)
    expected = {"actor": "alice", "source": "email", "correlation_id": "corr-1",
                "causation_id": "cause-9", "message_id": "<m1@example.com>"}
    assert [e.meta for e in stored] == [expected, expected]
    # Without metadata the store still says who: the system, through the API.
    bare = new_stream()
    with write_tx(any_hub.engine) as conn:
        store.append(conn, bare, [ev(1)], 0)
    assert read_stream(any_hub.engine, bare)[0].meta == {"actor": "system", "source": "api"}


def test_bus_records_actor_source_and_one_correlation_per_command(any_hub: Hub) -> None:
    actor = Actor(name="admin", email="admin@hub.test", role="admin", source="web")
    created = any_hub.bus.handle(tc.CreateTicket(queue="General", subject="meta"), actor)
    any_hub.bus.handle(tc.Correspond(ticket_id=created["id"], body="hello"), actor,
                       correlation_id="corr-reply", causation_id="cause-reply")
    stored = read_stream(any_hub.engine, f"ticket-{created['id']}")
    assert [e.type for e in stored] == ["TicketCreated", "TicketCorresponded",
                                        "TicketStatusChanged"]
    assert all(e.meta["actor"] == "admin" and e.meta["source"] == "web" for e in stored)
    assert stored[0].meta["correlation_id"] not in ("", None, "corr-reply")
    assert {e.meta["correlation_id"] for e in stored[1:]} == {"corr-reply"}
    assert {e.meta["causation_id"] for e in stored[1:]} == {"cause-reply"}


def test_events_table_rejects_a_duplicate_stream_version(any_hub: Hub) -> None:
    """UNIQUE(stream_id, version) is the last line of optimistic concurrency."""
    stream = new_stream()
    with write_tx(any_hub.engine) as conn:
        store.append(conn, stream, [ev(1)], 0)
    row = {"stream_id": stream, "version": 1, "type": "ThingHappened", "schema_version": 1,
           "data": {}, "meta": {}, "at": dt.datetime(2024, 1, 1)}
    with pytest.raises(sa.exc.IntegrityError), write_tx(any_hub.engine) as conn:
        conn.execute(sa.insert(events).values(**row))
    assert len(read_stream(any_hub.engine, stream)) == 1


# -- concurrent writers (processes) ----------------------------------------------------

def test_concurrent_writers_on_one_stream_lose_and_duplicate_nothing(any_hub: Hub) -> None:
    url = url_of(any_hub)
    stream = new_stream()
    outcome = run_processes(
        _one_stream_writer,
        lambda w, barrier, results: (url, stream, w, PER_WORKER, barrier, results),
        results_expected=True)
    stored = read_stream(any_hub.engine, stream)
    total = WORKERS * PER_WORKER
    assert [e.version for e in stored] == list(range(1, total + 1))
    seen = [(e.data["worker"], e.data["n"]) for e in stored]
    assert len(set(seen)) == total
    assert sorted(seen) == [(w, n) for w in range(WORKERS) for n in range(PER_WORKER)]
    for w in range(WORKERS):  # each writer's own events keep its order
        mine = [n for worker, n in seen if worker == w]
        assert mine == list(range(PER_WORKER))
        assert {e.meta["actor"] for e in stored if e.data["worker"] == w} == {f"w{w}"}
    positions = [e.position for e in stored]
    assert all(a < b for a, b in itertools.pairwise(positions))
    # The writers really raced: some read a version another writer then took.
    assert sum(retries for _, retries in outcome) > 0


def test_concurrent_writers_on_many_streams_keep_versions_contiguous(any_hub: Hub) -> None:
    url = url_of(any_hub)
    prefix = new_stream()
    start = head(any_hub.engine)
    run_processes(_many_stream_writer,
                  lambda w, barrier, _results: (url, prefix, w, PER_WORKER, barrier, 0.0))
    got = [e for e in read_all(any_hub.engine, start) if e.stream_id.startswith(prefix)]
    assert len(got) == WORKERS * PER_WORKER
    positions = [e.position for e in got]
    assert all(a < b for a, b in itertools.pairwise(positions))
    versions: dict[str, list[int]] = {}
    for e in got:  # in global order, every stream's versions run 1, 2, 3, ...
        versions.setdefault(e.stream_id, []).append(e.version)
    assert len(versions) > 1
    for stream_id, seen in versions.items():
        assert seen == list(range(1, len(seen) + 1)), stream_id
        assert [e.version for e in read_stream(any_hub.engine, stream_id)] == seen
    for w in range(WORKERS):
        mine = [e.data["n"] for e in got if e.data["worker"] == w]
        assert mine == list(range(PER_WORKER))


def test_tailing_reader_sees_every_event_once_and_in_order(any_hub: Hub) -> None:
    """The "no gap visible to readers" property: poll read_all(after=last) during writes."""
    url = url_of(any_hub)
    prefix = new_stream()
    start = head(any_hub.engine)
    seen: list[StoredEvent] = []
    live_batches: list[int] = []
    done = threading.Event()
    errors: list[BaseException] = []
    reader_engine = make_engine(url)

    def tail() -> None:
        last = start
        try:
            while True:
                finished = done.is_set()
                with reader_engine.connect() as conn:
                    batch = store.read_all(conn, last, 50)
                seen.extend(batch)
                if batch and not finished:
                    live_batches.append(len(batch))
                if batch:
                    last = batch[-1].position
                elif finished:
                    return
                else:
                    time.sleep(0.001)
        except BaseException as exc:  # surfaced by the assertion below
            errors.append(exc)

    reader = threading.Thread(target=tail, daemon=True)
    reader.start()
    try:
        run_processes(_many_stream_writer,
                      lambda w, barrier, _results: (url, prefix, w, PER_WORKER, barrier, 0.002))
    finally:
        done.set()
        reader.join(30)
        reader_engine.dispose()
    assert not reader.is_alive() and errors == []
    truth = read_all(any_hub.engine, start)
    assert len(truth) == WORKERS * PER_WORKER
    assert [e.position for e in seen] == [e.position for e in truth]
    assert len({e.position for e in seen}) == len(seen)
    # The reader really tailed the writers, in many polls, not in one read at the end.
    assert len(live_batches) > 10
