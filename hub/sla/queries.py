"""Typed reads of SLA state: a ticket's clocks, the list filters, calendars, reports.

Every read about tickets goes through the tickets' access rule: the ticket dicts
handed to :func:`add_sla_fields` were already filtered by it, and the filters and
the report narrow by ``visible_id_select`` of the viewer.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from hub.actors import Actor
from hub.domain import NotFoundError, PermissionDeniedError, ValidationError
from hub.durations import DurationError, parse_duration
from hub.sla.policy import CLOCKS
from hub.sla.rows import aware, iso, states_of_row
from hub.sla.tables import sla_calendars, sla_clocks, sla_policies
from hub.tickets import queries as tq

__all__ = ["SlaView", "add_sla_fields", "calendar_of", "list_calendars", "list_filter",
           "sla_views", "weekly_report"]


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class SlaView:
    """What a person sees of a ticket's SLA."""

    response_due: dt.datetime | None
    resolve_due: dt.datetime | None
    paused: bool
    breached: tuple[str, ...]
    stopped: dict[str, dt.datetime | None]

    def as_json(self) -> dict[str, Any]:
        def text(value: dt.datetime | None) -> str | None:
            return None if value is None else iso(value.astimezone(dt.UTC))

        return {"response_due": text(self.response_due), "resolve_due": text(self.resolve_due),
                "paused": self.paused, "breached": list(self.breached)}

    @property
    def next_due(self) -> tuple[str, dt.datetime] | None:
        """The running clock due first (the one a list shows)."""
        running = [(due, name) for name, due in (("response", self.response_due),
                                                 ("resolve", self.resolve_due))
                   if due is not None and self.stopped.get(name) is None]
        if not running:
            return None
        due, name = min(running)
        return name, due


def _view(row: Any, now: dt.datetime) -> SlaView | None:
    states = states_of_row(row)
    if not states:
        return None
    breached = tuple(name for name in CLOCKS if name in states and states[name].breached(now))
    return SlaView(aware(row.response_due), aware(row.resolve_due), bool(row.paused), breached,
                   {name: s.stopped for name, s in states.items()})


def sla_views(conn: sa.Connection, ticket_ids: list[int],
              now: dt.datetime | None = None) -> dict[int, SlaView | None]:
    """A system read: the SLA of each ticket (``None``: its queue has no SLA). Callers
    pass ids the viewer may see (see :func:`add_sla_fields`)."""
    now = now or _now()
    out: dict[int, SlaView | None] = dict.fromkeys(ticket_ids)
    if not ticket_ids:
        return out
    rows = conn.execute(sa.select(sla_clocks).where(
        sla_clocks.c.ticket_id.in_(sorted(set(ticket_ids)))))
    for row in rows:
        out[int(row.ticket_id)] = _view(row, now)
    return out


def add_sla_fields(conn: sa.Connection, viewer: Actor, tickets: list[dict[str, Any]]) -> None:
    """The ``tickets.extra_fields`` hook: ``sla`` on ticket dicts the viewer was shown."""
    views = sla_views(conn, [int(t["id"]) for t in tickets])
    for ticket in tickets:
        view = views.get(int(ticket["id"]))
        ticket["sla"] = None if view is None else view.as_json()


def list_filter(value: str, now: dt.datetime | None = None) -> sa.Select[Any]:
    """``sla=breached``, ``sla=due_within:1h``, ``sla=paused``: a select of ticket ids
    (the tickets list narrows it by the access rule)."""
    now = (now or _now()).astimezone(dt.UTC).replace(tzinfo=None)
    c = sla_clocks.c
    if value == "breached":
        condition: Any = sa.or_(*(
            getattr(c, f"{n}_due") < sa.func.coalesce(getattr(c, f"{n}_stopped"), now)
            for n in CLOCKS))
    elif value == "paused":
        condition = c.paused.is_(True)
    elif match := re.fullmatch(r"due_within:(\S+)", value):
        try:
            until = now + parse_duration(match[1])
        except DurationError as exc:
            raise ValidationError(f"sla=due_within: {exc}", field="sla") from exc
        condition = sa.or_(*(sa.and_(getattr(c, f"{n}_stopped").is_(None),
                                     getattr(c, f"{n}_due") >= now,
                                     getattr(c, f"{n}_due") <= until) for n in CLOCKS))
    else:
        raise ValidationError("sla is breached, paused or due_within:<duration> (e.g. 1h)",
                              field="sla")
    return sa.select(c.ticket_id).where(condition)


def calendar_of(conn: sa.Connection, name: str) -> dict[str, Any]:
    row = conn.execute(sa.select(sla_calendars).where(sla_calendars.c.name == name)).first()
    if row is None:
        raise NotFoundError(f"calendar {name} not found")
    queues = conn.execute(sa.select(sla_policies.c.queue).where(
        sla_policies.c.calendar == name).order_by(sla_policies.c.queue)).scalars().all()
    return {"name": row.name, **row.definition, "queues": list(queues),
            "updated_at": iso(row.updated_at)}


def list_calendars(conn: sa.Connection) -> list[dict[str, Any]]:
    names = conn.execute(sa.select(sla_calendars.c.name).order_by(sla_calendars.c.name))
    return [calendar_of(conn, n) for n in names.scalars().all()]


def weekly_report(conn: sa.Connection, viewer: Actor, queue: str, weeks: int = 12,
                  now: dt.datetime | None = None) -> list[dict[str, Any]]:
    """Per ISO week (by the week the clock fell due), met and breached clocks of the
    queue's tickets the viewer may see; staff only. A clock still running and not yet
    due is not counted."""
    if not viewer.is_staff:
        raise PermissionDeniedError("SLA reports are for staff")
    now = (now or _now()).astimezone(dt.UTC)
    first = (now - dt.timedelta(days=now.weekday(), weeks=weeks - 1)).date()
    buckets = {first + dt.timedelta(weeks=i): {"met": 0, "breached": 0} for i in range(weeks)}
    start = dt.datetime.combine(first, dt.time())
    rows = conn.execute(sa.select(sla_clocks).where(
        sla_clocks.c.queue == queue.lower(),
        sa.or_(sla_clocks.c.response_due >= start, sla_clocks.c.resolve_due >= start),
        sla_clocks.c.ticket_id.in_(tq.visible_id_select(viewer))))
    for row in rows:
        for state in states_of_row(row).values():
            if state.due is None or (state.stopped is None and state.due > now):
                continue
            judged = min(state.due, state.stopped or state.due)
            week = (judged - dt.timedelta(days=judged.weekday())).date()
            if week in buckets:
                buckets[week]["breached" if state.breached(now) else "met"] += 1
    return [{"week": week.isoformat(), **counts} for week, counts in sorted(buckets.items())]
