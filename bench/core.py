"""Issue benchmark for the core: event store appends, ticket creation, ticket reads.

(a) baseline: raw SQLite INSERT + COMMIT of one event per transaction, WAL and
    synchronous=NORMAL as the hub uses; (b) appends through the event store;
(c) tickets created through POST /api/v1/tickets by 4 concurrent clients on
    ``hub serve``; (d) GET of a ticket with 200 events.
"""

from __future__ import annotations

import json
import multiprocessing as mp
import sqlite3
import tempfile
import time
from pathlib import Path

from bench.common import Client, ServeProcess, percentile, table

N_APPENDS = 5000
N_TICKETS = 4000
CLIENTS = 4


def raw_sqlite(path: Path, n: int) -> float:
    from hub.db import make_engine, metadata

    engine = make_engine(f"sqlite:///{path}")  # the hub's own events table and indexes
    metadata.create_all(engine, tables=[metadata.tables["events"]])
    engine.dispose()
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    data = json.dumps({"subject": "benchmark event", "body": "x" * 200})
    meta = json.dumps({"actor": "bench", "source": "api"})
    start = time.perf_counter()
    for i in range(n):
        db.execute("BEGIN IMMEDIATE")
        db.execute("INSERT INTO events (stream_id, version, type, schema_version, data, meta, at)"
                   " VALUES (?, 1, 'BenchEvent', 1, ?, ?, '2026-01-01 00:00:00')",
                   (f"bench-{i}", data, meta))
        db.execute("COMMIT")
    elapsed = time.perf_counter() - start
    db.close()
    return n / elapsed


def store_appends(path: Path, n: int) -> float:
    from hub.db import WRITE, make_engine, metadata
    from hub.eventstore import EventStore, NewEvent

    engine = make_engine(f"sqlite:///{path}")
    metadata.create_all(engine)
    store = EventStore()
    event = NewEvent("BenchEvent", {"subject": "benchmark event", "body": "x" * 200})
    # Like the baseline: one connection, one write transaction (BEGIN IMMEDIATE) per event.
    with engine.connect().execution_options(**WRITE) as conn:
        start = time.perf_counter()
        for i in range(n):
            with conn.begin():
                store.append(conn, f"bench-{i}", [event], 0)
        elapsed = time.perf_counter() - start
    engine.dispose()
    return n / elapsed


def _create_many(port: int, token: str, count: int, out: mp.Queue) -> None:  # type: ignore[type-arg]
    client = Client(port, token)
    failures = 0
    for i in range(count):
        status, _ = client.call("POST", "/api/v1/tickets", {
            "queue": "General", "subject": f"bench ticket {i}", "body": "created by the bench",
            "requestors": ["bench@example.com"]})
        failures += status != 201
    client.close()
    out.put(failures)


def api_creates(server: ServeProcess, token: str) -> tuple[float, int]:
    ctx = mp.get_context("spawn")
    out: mp.Queue = ctx.Queue()  # type: ignore[type-arg]
    per = N_TICKETS // CLIENTS
    procs = [ctx.Process(target=_create_many, args=(server.port, token, per, out))
             for _ in range(CLIENTS)]
    start = time.perf_counter()
    for p in procs:
        p.start()
    failures = sum(out.get() for _ in procs)
    for p in procs:
        p.join()
    return per * CLIENTS / (time.perf_counter() - start), failures


def ticket_reads(server: ServeProcess, token: str) -> tuple[float, float, int]:
    client = Client(server.port, token)
    _, ticket = client.call("POST", "/api/v1/tickets", {"queue": "General", "subject": "long"})
    for i in range(199):
        client.call("POST", f"/api/v1/tickets/{ticket['id']}/comment", {"body": f"note {i}"})
    _, current = client.call("GET", f"/api/v1/tickets/{ticket['id']}")
    samples = []
    for _ in range(1000):
        start = time.perf_counter()
        status, _ = client.call("GET", f"/api/v1/tickets/{ticket['id']}")
        samples.append(time.perf_counter() - start)
        assert status == 200
    client.close()
    return percentile(samples, 50) * 1000, percentile(samples, 99) * 1000, current["version"]


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        a = raw_sqlite(root / "raw.db", N_APPENDS)
        b = store_appends(root / "store.db", N_APPENDS)
        server = ServeProcess(root / "var")
        server.data_dir.mkdir()
        server.cli("init")
        token = server.cli("token", "create", "bench").strip().splitlines()[-1]
        server.start()
        try:
            c, failures = api_creates(server, token)
            p50, p99, version = ticket_reads(server, token)
        finally:
            server.stop()
    print(table("core benchmark (2 cores, SQLite WAL, synchronous=NORMAL)", [
        ("(a) raw SQLite insert+commit", f"{a:,.0f} events/s", "baseline", ""),
        ("(b) event store appends", f"{b:,.0f} events/s ({b / a:.0%} of a)", ">= 50% of (a)",
         "ok" if b >= a / 2 else "MISSED"),
        ("(c) POST /api/v1/tickets, 4 clients", f"{c:,.0f} tickets/s ({failures} failed)",
         ">= 500/s", "ok" if c >= 500 and failures == 0 else "MISSED"),
        (f"(d) GET ticket ({version} events) p50", f"{p50:.2f} ms (p99 {p99:.2f} ms)", "< 5 ms",
         "ok" if p50 < 5 else "MISSED"),
    ]))


if __name__ == "__main__":
    main()
