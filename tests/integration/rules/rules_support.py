"""Helpers for the rules tests: tickets through the real bus, the real rule engine."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from hub.actors import Actor, system_actor
from hub.bootstrap import Hub
from hub.reactors import run_once
from hub.rules import commands as rc
from hub.tickets import commands as tc
from hub.tickets import queries as tq

ADMIN = system_actor("cli", "admin-cli")


def engine_of(hub: Hub) -> Any:
    return next(r for r in hub.reactors if r.name == "rules")


def prime(hub: Hub) -> None:
    """Give the rule engine its starting position (a new reactor starts at the head)."""
    run_once(hub, engine_of(hub))


def drain(hub: Hub, reactor: Any | None = None) -> None:
    """Run the engine until it has passed every event (its own firings included)."""
    reactor = reactor or engine_of(hub)
    for _ in range(50):
        if run_once(hub, reactor) == 0:
            return
    raise AssertionError("the rule engine did not settle")


def define(hub: Hub, **body: Any) -> dict[str, Any]:
    return dict(hub.bus.handle(rc.DefineRule(body=body), ADMIN))


def staff(name: str = "alice", source: str = "web") -> Actor:
    return Actor(name=name, email=f"{name}@example.com", role="staff", source=source)


def open_ticket(hub: Hub, subject: str = "Disk full on web-01", *, actor: Actor | None = None,
                **more: Any) -> int:
    more.setdefault("queue", "General")
    more.setdefault("requestors", ["customer@example.com"])
    result = hub.bus.handle(tc.CreateTicket(subject=subject, body="help", **more),
                            actor or system_actor("api", "api-client"))
    return int(result["id"])


def activities(hub: Hub, ticket_id: int, kind: str = "rule.fired") -> list[dict[str, Any]]:
    with hub.engine.connect() as conn:
        events = hub.store.read_stream(conn, f"ticket-{ticket_id}")
    return [dict(e.data) for e in events
            if e.type == "TicketActivityRecorded" and e.data["kind"] == kind]


def events_of(hub: Hub, ticket_id: int, type_name: str) -> list[Any]:
    with hub.engine.connect() as conn:
        return [e for e in hub.store.read_stream(conn, f"ticket-{ticket_id}")
                if e.type == type_name]


def state(hub: Hub, ticket_id: int) -> dict[str, Any]:
    with hub.engine.connect() as conn:
        return tq.get_state(conn, system_actor(), ticket_id)


def deliveries(hub: Hub, ticket_id: int) -> list[dict[str, Any]]:
    from hub.channels.queries import deliveries as read

    with hub.engine.connect() as conn:
        return read(conn, ticket_id=ticket_id)


def count_rows(hub: Hub, table: str) -> int:
    with hub.engine.connect() as conn:
        return int(conn.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar() or 0)
