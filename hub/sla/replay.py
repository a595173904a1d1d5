"""What a proposed SLA policy would have done: the same tickets, judged twice.

Reads ``sla_clocks`` (the compact inputs of every ticket) and judges each clock under
the queue's current policy and under the proposed one; writes nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from hub.sla.clocks import ClockState
from hub.sla.policy import CLOCKS, SlaPolicy
from hub.sla.rows import QueuePolicy, calendar_named, queue_policy, states_for
from hub.sla.tables import sla_clocks


def verdict(state: ClockState | None, now: dt.datetime) -> str:
    """``met``, ``breached``, ``running`` (not yet due) or ``none`` (no target)."""
    if state is None:
        return "none"
    if state.breached(now):
        return "breached"
    return "met" if state.stopped is not None else "running"


@dataclass
class QueueReplay:
    queue: str
    tickets: int = 0
    current: dict[str, int] = field(default_factory=lambda: {"met": 0, "breached": 0})
    proposed: dict[str, int] = field(default_factory=lambda: {"met": 0, "breached": 0})
    changed: list[dict[str, Any]] = field(default_factory=list)


def replay(conn: sa.Connection, body: dict[str, Any], *, queue: str | None,
           since: dt.timedelta, now: dt.datetime | None = None) -> list[QueueReplay]:
    now = now or dt.datetime.now(dt.UTC)
    proposed_policy = SlaPolicy.from_dict(body)
    query = sa.select(sla_clocks).where(
        sla_clocks.c.created_at >= (now - since).replace(tzinfo=None)).order_by(
        sla_clocks.c.queue, sla_clocks.c.ticket_id)
    if queue:
        query = query.where(sla_clocks.c.queue == queue.lower())
    out: dict[str, QueueReplay] = {}
    policies: dict[str, tuple[QueuePolicy, QueuePolicy]] = {}
    for row in conn.execute(query):
        if row.queue not in policies:
            current = queue_policy(conn, row.queue)
            policies[row.queue] = (current, QueuePolicy(
                proposed_policy, calendar_named(conn, proposed_policy.calendar),
                current.inactive))
            out[row.queue] = QueueReplay(row.queue)
        current_q, proposed_q = policies[row.queue]
        result = out[row.queue]
        result.tickets += 1
        before, after = states_for(row, current_q), states_for(row, proposed_q)
        changes = {}
        for clock in CLOCKS:
            old, new = verdict(before.get(clock), now), verdict(after.get(clock), now)
            for counts, value in ((result.current, old), (result.proposed, new)):
                if value in counts:
                    counts[value] += 1
            if old != new:
                changes[clock] = f"{old} -> {new}"
        if changes:
            result.changed.append({"ticket_id": int(row.ticket_id), **changes})
    return list(out.values())
