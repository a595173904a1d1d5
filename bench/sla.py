"""SLA benchmark: recomputing 100,000 open tickets' clocks after a policy change, and
the per-event cost of the SLA projection on ticket creation.

(a) 100,000 open tickets in a queue with a business-hours policy (the compact inputs
    rows the projection keeps, written in bulk); then ``PATCH``-equivalent
    ``ChangeQueue(sla=...)`` through the bus, which recomputes every one in the same
    transaction. Target: under 60 s. (b) ticket creation through the bus with and
    without the SLA projection registered, alternating rounds in the same run.
    Target: at most 10% more per event.
"""

from __future__ import annotations

import datetime as dt
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

from bench.common import table
from hub.db import WRITE

N_OPEN = 100_000
N_CREATE = 300
ROUNDS = 4
OFFICE = {"timezone": "Europe/Berlin", "hours": {d: ["08:00-18:00"] for d in
                                                  ("mon", "tue", "wed", "thu", "fri")},
          "holidays": ["2026-12-25"], "national": {"country": "DE", "subdiv": "BE"}}


def _hub(path: Path):  # type: ignore[no-untyped-def]
    from hub.bootstrap import bootstrap
    from hub.config import load_settings
    from hub.db import make_engine
    from hub.setup import initialise

    settings = load_settings(env={"HUB_DATA_DIR": str(path), "HUB_DATABASE_URL": "",
                                  "HUB_SECRET_KEY": "bench", "HUB_MAIL_DOMAIN": "hub.test"})
    hub = bootstrap(settings, make_engine(settings.sqlalchemy_url))
    initialise(hub, admin_password="bench-password")
    return hub


def recompute_open(path: Path) -> tuple[float, float]:
    from hub.actors import system_actor
    from hub.sla.commands import DefineCalendar
    from hub.sla.rows import iso
    from hub.sla.tables import sla_clocks
    from hub.tickets.commands import ChangeQueue, CreateQueue

    hub = _hub(path)
    actor = system_actor("bench")
    hub.bus.handle(DefineCalendar("office", OFFICE), actor)
    hub.bus.handle(CreateQueue(name="Bench", sla={
        "calendar": "office", "response": "4h", "resolve": "3d", "pause_on": ["stalled"]}), actor)
    start = dt.datetime(2026, 3, 1)
    rows = []
    for i in range(N_OPEN):
        created = start + dt.timedelta(minutes=7 * i % (60 * 24 * 60))
        statuses = [[iso(created), "new"]]
        if i % 3 == 0:
            statuses += [[iso(created + dt.timedelta(hours=2)), "stalled"],
                         [iso(created + dt.timedelta(hours=5)), "open"]]
        rows.append({"ticket_id": i + 1, "queue": "bench", "priority": i % 100,
                     "created_at": created, "first_response_at": None, "statuses": statuses,
                     "is_open": True, "paused": False, "fired": []})
    with hub.engine.begin() as conn:
        for chunk in range(0, len(rows), 5000):
            conn.execute(sa.insert(sla_clocks), rows[chunk:chunk + 5000])
    began = time.perf_counter()
    hub.bus.handle(ChangeQueue(name="Bench", changes={"sla": {
        "calendar": "office", "response": "2h", "resolve": "2d", "pause_on": ["stalled"],
        "by_priority": {"90": {"response": "30m", "resolve": "4h"}}}}), actor)
    elapsed = time.perf_counter() - began
    with hub.engine.connect() as conn:
        done = conn.execute(sa.select(sa.func.count()).select_from(sla_clocks).where(
            sla_clocks.c.response_due.is_not(None))).scalar()
    assert done == N_OPEN, done
    hub.engine.dispose()
    return elapsed, N_OPEN / elapsed


def create_cost(path: Path) -> tuple[float, float]:
    """Median seconds per created ticket without and with the SLA projection."""
    from hub.actors import system_actor
    from hub.tickets.commands import CreateQueue, CreateTicket

    hub = _hub(path)
    actor = system_actor("bench")
    hub.bus.handle(CreateQueue(name="Bench", sla={"response": "4h", "resolve": "3d"}), actor)
    sla = hub.runner.projections["sla"]
    without: list[float] = []
    with_sla: list[float] = []
    for round_no in range(ROUNDS * 2):
        on = round_no % 2 == 1
        if on:  # catch up on the rounds it missed before timing
            hub.runner.register(sla)
            with hub.engine.connect().execution_options(**WRITE) as conn, conn.begin():
                hub.runner.catch_up(conn)
        else:
            hub.runner.projections.pop("sla", None)
        began = time.perf_counter()
        for i in range(N_CREATE):
            hub.bus.handle(CreateTicket(queue="Bench", subject=f"bench {round_no}/{i}",
                                        body="x" * 200, requestors=["c@example.com"]), actor)
        (with_sla if on else without).append((time.perf_counter() - began) / N_CREATE)
    hub.engine.dispose()
    return sorted(without)[len(without) // 2], sorted(with_sla)[len(with_sla) // 2]


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        elapsed, rate = recompute_open(Path(tmp) / "a")
        base, with_sla = create_cost(Path(tmp) / "b")
    extra = (with_sla / base - 1) * 100
    print(table("SLA clocks", [
        (f"recompute {N_OPEN:,} open tickets after a policy change",
         f"{elapsed:.1f} s ({rate:,.0f} tickets/s)", "under 60 s",
         "ok" if elapsed < 60 else "MISSED"),
        ("ticket create without the SLA projection (baseline)",
         f"{base * 1000:.2f} ms/event", "-", "-"),
        ("ticket create with the SLA projection",
         f"{with_sla * 1000:.2f} ms/event ({extra:+.1f}%)", "at most +10%",
         "ok" if extra <= 10 else "MISSED"),
    ]))


if __name__ == "__main__":
    main()
