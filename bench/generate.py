"""Fill a hub with many tickets fast: batch appends through the event store.

The HTTP path costs a request and a transaction per command; here each batch
of tickets is appended in one write transaction and the registered projections
are brought up to date in that same transaction (``ProjectionRunner.catch_up``),
so the read models are exactly what the commands would have produced.

``HUB_BENCH_TICKETS`` (default 100,000) sets the size; each ticket has 10 events.
Run alone: ``python -m bench.generate DATA_DIR``.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import sys
import time
from pathlib import Path
from typing import Any

from hub.accounts import commands as ac
from hub.actors import system_actor
from hub.bootstrap import Hub, bootstrap
from hub.config import load_settings
from hub.db import WRITE, next_sequence
from hub.eventstore import Metadata, NewEvent
from hub.setup import initialise
from hub.tickets import commands as tc

QUEUES = ("General", "Network", "Hardware", "Software", "Access")
STAFF = ("alice", "bob", "erin", "frank")
SOURCES = ("web", "email", "alert", "runbook", "scheduler", "api")
EVENTS_PER_TICKET = 10
BATCH = 1000


def size() -> int:
    return int(os.environ.get("HUB_BENCH_TICKETS", "100000"))


def open_hub(data_dir: Path) -> Hub:
    settings = load_settings(env={"HUB_DATA_DIR": str(data_dir), "HUB_DATABASE_URL": "",
                                  "HUB_SECRET_KEY": os.environ.get("HUB_SECRET_KEY", "bench")})
    hub = bootstrap(settings)
    initialise(hub, admin_password="benchpw12")
    return hub


def _people(hub: Hub) -> None:
    actor = system_actor("cli", "bench")
    for name in QUEUES[1:]:
        hub.bus.handle(tc.CreateQueue(name=name), actor, idempotency_key=f"bench:q:{name}")
    for name in STAFF:
        hub.bus.handle(ac.CreateUser(name=name, email=f"{name}@example.com", role="staff",
                                     password="benchpw12"), actor,
                       idempotency_key=f"bench:u:{name}")
    hub.bus.handle(ac.CreateUser(name="cust", email="cust@example.com", role="customer",
                                 password="benchpw12"), actor, idempotency_key="bench:u:cust")


def _ticket_events(rng: random.Random, n: int) -> list[tuple[NewEvent, str]]:
    """Ten events per ticket, each with the source it came from."""
    queue = QUEUES[n % len(QUEUES)]
    owner = STAFF[n % len(STAFF)]
    requestor = "cust@example.com" if n % 50 == 0 else f"user{n % 5000}@example.com"
    source = rng.choice(SOURCES)
    created = NewEvent("TicketCreated", {
        "queue": queue, "subject": f"{'Disk' if n % 3 else 'Printer'} problem {n} on host{n % 997}",
        "body": f"Something is wrong with host{n % 997}; ticket {n}.", "content_type": "text/plain",
        "status": "new", "priority": n % 100, "due": None, "requestors": [requestor], "cc": [],
        "admincc": [], "fields": {}, "owner": None})
    out = [(created, source),
           (NewEvent("TicketOwnerChanged", {"old": None, "new": owner, "how": "take"}), "web"),
           (NewEvent("TicketCorresponded", {"body": f"Looking at it ({n})."}), "web"),
           (NewEvent("TicketStatusChanged", {"old": "new", "new": "open",
                                             "reason": "staff replied"}), "web"),
           (NewEvent("TicketCommented", {"body": "Checked the logs."}), "web"),
           (NewEvent("TicketCorresponded", {"body": "Thanks, still broken."}), "email"),
           (NewEvent("TicketPriorityChanged", {"old": n % 100, "new": (n * 7) % 100}), "web"),
           (NewEvent("TicketCommented", {"body": "Vendor called."}), "web"),
           (NewEvent("TicketCorresponded", {"body": "Fixed, please confirm."}), "web")]
    if n % 4:
        out.append((NewEvent("TicketStatusChanged", {"old": "open", "new": "resolved",
                                                     "forced": False}), "web"))
    else:
        out.append((NewEvent("TicketCommented", {"body": "Waiting for parts."}), "scheduler"))
    return out


def generate(hub: Hub, tickets: int, progress: bool = True) -> tuple[int, float]:
    """Append ``tickets`` tickets; return (events written, seconds taken)."""
    _people(hub)
    rng = random.Random(42)
    start_time = dt.datetime(2026, 1, 1)
    written = 0
    began = time.perf_counter()
    with hub.engine.connect().execution_options(**WRITE) as conn:
        done = 0
        while done < tickets:
            count = min(BATCH, tickets - done)
            with conn.begin():
                new: list[Any] = []
                for _ in range(count):
                    number = next_sequence(conn, "ticket")
                    at = start_time + dt.timedelta(seconds=number * 30)
                    for offset, (event, source) in enumerate(_ticket_events(rng, number)):
                        result = hub.store.append(
                            conn, f"ticket-{number}", [event], offset,
                            Metadata(actor=STAFF[number % len(STAFF)] if source == "web"
                                     else source, source=source),
                            at=at + dt.timedelta(minutes=offset * 7))
                        new.extend(result.events)
                hub.runner.catch_up(conn, new)
                written += len(new)
            done += count
            if progress:
                rate = written / (time.perf_counter() - began)
                print(f"\r{done:,} tickets, {written:,} events ({rate:,.0f} events/s)",
                      end="", file=sys.stderr, flush=True)
    if progress:
        print(file=sys.stderr)
    return written, time.perf_counter() - began


def main() -> None:
    data_dir = Path(sys.argv[1] if len(sys.argv) > 1 else "var-bench")
    data_dir.mkdir(parents=True, exist_ok=True)
    hub = open_hub(data_dir)
    events, seconds = generate(hub, size())
    hub.engine.dispose()
    print(f"{events:,} events in {seconds:,.1f} s ({events / seconds:,.0f} events/s)")


if __name__ == "__main__":
    main()
