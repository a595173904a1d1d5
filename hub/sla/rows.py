"""Between ``sla_clocks`` rows and the pure clock arithmetic: inputs in, columns out.

Used by the projection (one ticket per event), by the recompute after a policy or
calendar change (every open ticket of the queues concerned, in batches) and by
``hub sla replay`` (a proposed policy, nothing written).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from hub.domain import ValidationError
from hub.sla.calendar import ALWAYS, BusinessCalendar, Clock
from hub.sla.clocks import ClockState, TicketInputs, compute
from hub.sla.policy import CLOCKS, SlaPolicy
from hub.sla.tables import sla_calendars, sla_clocks, sla_policies

BATCH = 2000
CLOCK_COLUMNS = tuple(f"{c}_{part}" for c in CLOCKS for part in ("due", "warn", "stopped"))


def iso(value: dt.datetime) -> str:
    return value.replace(tzinfo=None).isoformat() + "Z"


def aware(value: dt.datetime | None) -> dt.datetime | None:
    return None if value is None else value.replace(tzinfo=dt.UTC)


def naive(value: dt.datetime | None) -> dt.datetime | None:
    return None if value is None else value.astimezone(dt.UTC).replace(tzinfo=None)


@dataclass(frozen=True)
class QueuePolicy:
    """A queue's policy with its calendar resolved (``policy`` None: no SLA)."""

    policy: SlaPolicy | None
    calendar: Clock
    inactive: frozenset[str]


NO_POLICY = QueuePolicy(None, ALWAYS, frozenset({"resolved", "rejected", "deleted"}))


def calendar_named(conn: sa.Connection, name: str | None) -> Clock:
    """The stored calendar, or 24x7 when none is named (or it is not defined yet)."""
    if name is None:
        return ALWAYS
    definition = conn.execute(sa.select(sla_calendars.c.definition)
                              .where(sla_calendars.c.name == name)).scalar()
    if definition is None:
        return ALWAYS
    key = repr(sorted(definition.items()))
    cached = _CALENDARS.get(key)
    if cached is not None:
        return cached
    try:
        calendar = BusinessCalendar.from_dict(definition)
    except ValidationError:
        return ALWAYS
    if len(_CALENDARS) > 100:
        _CALENDARS.clear()
    _CALENDARS[key] = calendar  # keeps its per-day interval cache between calls
    return calendar


_POLICY = sa.select(sla_policies).where(sla_policies.c.queue == sa.bindparam("queue"))
_PARSED: dict[str, SlaPolicy] = {}
_CALENDARS: dict[str, BusinessCalendar] = {}


def _parsed(body: dict[str, Any]) -> SlaPolicy:
    """Policies parsed once per process, keyed by their stored JSON."""
    key = repr(sorted(body.items()))
    policy = _PARSED.get(key)
    if policy is None:
        if len(_PARSED) > 1000:
            _PARSED.clear()
        policy = _PARSED[key] = SlaPolicy.from_dict(body)
    return policy


def queue_policy(conn: sa.Connection, queue: str) -> QueuePolicy:
    row = conn.execute(_POLICY, {"queue": queue.lower()}).first()
    if row is None:
        return NO_POLICY
    inactive = frozenset(row.inactive)
    if not row.policy:
        return QueuePolicy(None, ALWAYS, inactive)
    policy = _parsed(row.policy)
    return QueuePolicy(policy, calendar_named(conn, policy.calendar), inactive)


def inputs_of(row: Any, inactive: frozenset[str]) -> TicketInputs:
    statuses = tuple((dt.datetime.fromisoformat(at.rstrip("Z")).replace(tzinfo=dt.UTC), s)
                     for at, s in row.statuses)
    return TicketInputs(created=row.created_at.replace(tzinfo=dt.UTC), priority=row.priority,
                        first_response=aware(row.first_response_at), statuses=statuses,
                        inactive=inactive)


def alarms(states: Mapping[str, ClockState], fired: Iterable[str]) -> list[tuple[dt.datetime,
                                                                                str, str]]:
    """``(when, clock, kind)`` still to fire: warnings and breaches of running clocks."""
    done = set(fired)
    out = []
    for name, state in states.items():
        if state.stopped is not None or state.paused or state.due is None:
            continue
        due = iso(state.due)
        if f"{name}:sla.breach:{due}" in done:
            continue
        out.append((state.due, name, "sla.breach"))
        if state.warn is not None and f"{name}:sla.warning:{due}" not in done:
            out.append((state.warn, name, "sla.warning"))
    return sorted(out)


def clock_values(states: Mapping[str, ClockState], fired: Iterable[str]) -> dict[str, Any]:
    """The computed columns of a row for these clock states."""
    values: dict[str, Any] = {}
    for name in CLOCKS:
        state = states.get(name)
        values[f"{name}_due"] = naive(state.due) if state else None
        values[f"{name}_warn"] = naive(state.warn) if state else None
        values[f"{name}_stopped"] = naive(state.stopped) if state else None
    values["paused"] = any(s.paused for s in states.values())
    pending = alarms(states, fired)
    values["next_alarm"] = naive(pending[0][0]) if pending else None
    return values


def states_for(row: Any, queue: QueuePolicy) -> dict[str, ClockState]:
    if queue.policy is None:
        return {}
    return compute(inputs_of(row, queue.inactive), queue.policy, queue.calendar)


def states_of_row(row: Any) -> dict[str, ClockState]:
    """The stored clock states of a row (no recomputation), for reads and the job."""
    out = {}
    for name in CLOCKS:
        due, warn, stopped = (aware(getattr(row, f"{name}_{p}")) for p in
                              ("due", "warn", "stopped"))
        if due is None and stopped is None and warn is None and not row.paused:
            continue
        out[name] = ClockState(name, due, warn, stopped, bool(row.paused) and stopped is None)
    return out


def recompute(conn: sa.Connection, queues: Iterable[str]) -> int:
    """Apply each queue's current policy and calendar to all its open tickets."""
    count = 0
    for queue in queues:
        policy = queue_policy(conn, queue)
        last = 0
        while True:
            rows = conn.execute(
                sa.select(sla_clocks).where(sla_clocks.c.queue == queue.lower(),
                                            sla_clocks.c.is_open.is_(True),
                                            sla_clocks.c.ticket_id > last)
                .order_by(sla_clocks.c.ticket_id).limit(BATCH)).all()
            if not rows:
                break
            updates = []
            for row in rows:
                values = clock_values(states_for(row, policy), row.fired)
                values["b_id"] = row.ticket_id
                updates.append(values)
            conn.execute(_UPDATE_COMPUTED, updates)
            count += len(rows)
            last = rows[-1].ticket_id
    return count


_UPDATE_COMPUTED = (
    sa.update(sla_clocks).where(sla_clocks.c.ticket_id == sa.bindparam("b_id"))
    .values({name: sa.bindparam(name) for name in (*CLOCK_COLUMNS, "paused", "next_alarm")})
)
