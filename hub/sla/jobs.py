"""The SLA alarm job: record warnings and breaches on the ticket when they fall due.

Runs every ``FIRE_SECONDS`` in the one process that runs the scheduler. Each alarm
goes through the bus as ``RecordTicketActivity`` with the idempotency key
``sla:<ticket>:<clock>:<kind>:<due>``, so a retry, a restart or a second node records
it once; the projection then marks it fired and the row's ``next_alarm`` moves on.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import sqlalchemy as sa

from hub.actors import system_actor
from hub.bootstrap import Hub
from hub.durations import format_duration
from hub.sla.rows import alarms, iso, states_of_row
from hub.sla.tables import sla_clocks
from hub.tickets.commands import RecordTicketActivity

log = logging.getLogger(__name__)
FIRE_SECONDS = 5
BATCH = 500


def _summary(clock: str, kind: str, due: dt.datetime, now: dt.datetime) -> str:
    name = "Response" if clock == "response" else "Resolution"
    if kind == "sla.breach":
        return f"{name} SLA breached (was due {iso(due)})"
    left = due - now
    soon = format_duration(left) if left.total_seconds() >= 1 else "moments"
    return f"{name} SLA due in {soon} (at {iso(due)})"


def fire_due(hub: Hub, now: dt.datetime | None = None) -> list[dict[str, Any]]:
    """Record every warning and breach due by ``now``; returns what was recorded."""
    now = now or dt.datetime.now(dt.UTC)
    with hub.engine.connect() as conn:
        rows = conn.execute(sa.select(sla_clocks).where(
            sla_clocks.c.next_alarm <= now.replace(tzinfo=None))
            .order_by(sla_clocks.c.next_alarm).limit(BATCH)).all()
    actor = system_actor("scheduler", "sla")
    fired = []
    for row in rows:
        states = states_of_row(row)
        for when, clock, kind in alarms(states, row.fired):
            due = states[clock].due
            if when > now or due is None or (kind == "sla.warning" and due <= now):
                continue
            detail = {"clock": clock, "due": iso(due)}
            key = f"sla:{row.ticket_id}:{clock}:{kind}:{iso(due)}"
            try:
                hub.bus.handle(RecordTicketActivity(
                    ticket_id=int(row.ticket_id), kind=kind,
                    summary=_summary(clock, kind, due, now), detail=detail),
                    actor, idempotency_key=key)
            except Exception:
                log.exception("recording %s on ticket %s failed; retrying", kind, row.ticket_id)
                continue
            fired.append({"ticket_id": int(row.ticket_id), "kind": kind, **detail})
    return fired


def _run(hub: Hub) -> None:
    try:
        fire_due(hub)
    except Exception:
        log.exception("SLA alarms failed; retrying at the next run")


def add_jobs(hub: Hub, scheduler: Any) -> None:
    """The JobFactory registered with hub.scheduler.register_jobs."""
    scheduler.add_job(_run, "interval", seconds=FIRE_SECONDS, args=[hub], id="sla-alarms",
                      replace_existing=True)
