"""The alerts board: open alert episodes grouped by host and service, and incidents.

What an on-call engineer asks of a Nagios "service problems" page, answered from the
``alerts`` read model: what is broken where, since when, what the check said last,
whether it flaps, who is on it, and which ticket tracks it. Only episodes whose
ticket the viewer may open are read (the tickets' one access rule as a SQL filter),
so the board never shows more than the tickets themselves would.

Incidents are the hub's own correlation: an alert filed under a parent ticket (a
parent host or switch down, an Alertmanager group) is that incident's child; a
service alert on a host whose own host alert is open belongs under that host alert.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from hub.accounts.queries import is_unrestricted
from hub.actors import Actor
from hub.domain import DomainError
from hub.ops.alerts.signal import SEVERITIES, SOURCES
from hub.ops.tables import alerts, nagios_acks
from hub.tickets.queries import ticket_brief, visible_id_select, visible_ids

#: The ``state`` filter: what each value shows.
STATES = {
    "open": "Open problems",
    "unhandled": "Open, not acknowledged",
    "acknowledged": "Open, acknowledged",
    "flapping": "Open and flapping",
    "recovered": "Recovered, ticket still open",
}
PROBLEM_SEVERITIES = tuple(s for s in SEVERITIES if s != "ok")
MAX_ROWS = 1000
_RANK = {s: i for i, s in enumerate(SEVERITIES)}
_PENDING = ("pending", "written")


class BoardFilterError(DomainError):
    """A filter value the board does not know: the page answers 400 and names it."""

    status = 400


@dataclass(frozen=True)
class BoardFilter:
    """``source`` and ``severity`` empty mean any; ``state`` is a key of :data:`STATES`."""

    source: str = ""
    state: str = "open"
    severity: str = ""

    def __post_init__(self) -> None:
        if self.source and self.source not in SOURCES:
            raise BoardFilterError(f"source must be one of {', '.join(sorted(SOURCES))}",
                                  field="source")
        if self.state not in STATES:
            raise BoardFilterError(f"state must be one of {', '.join(STATES)}", field="state")
        if self.severity and self.severity not in SEVERITIES:
            raise BoardFilterError(f"severity must be one of {', '.join(SEVERITIES)}",
                                  field="severity")


@dataclass
class BoardAlert:
    """One open episode as the page shows it."""

    problem_key: str
    source: str
    host: str
    service: str | None
    object_type: str
    title: str
    state_word: str
    severity: str
    since: dt.datetime
    last_at: dt.datetime
    output: str
    count: int
    flapping: bool
    ack: str  # none | pending | failed | acknowledged
    ack_by: str | None
    ack_error: str
    ticket_id: int | None
    parent_ticket_id: int | None
    ticket_status: str = ""
    ticket_owner: str | None = None
    may_acknowledge: bool = False

    @property
    def is_host(self) -> bool:
        return self.object_type == "host" or not self.service


@dataclass
class HostGroup:
    """One host's table: its own alerts (host down) first, then its services by name."""

    host: str
    host_alerts: list[BoardAlert] = field(default_factory=list)
    services: list[BoardAlert] = field(default_factory=list)

    @property
    def worst(self) -> str:
        return min((a.severity for a in self.host_alerts + self.services),
                   key=lambda s: _RANK.get(s, 99), default="ok")


@dataclass
class Incident:
    """A ticket with the alerts filed on it (``head``) and the alerts beneath it."""

    ticket_id: int
    subject: str
    status: str
    head: list[BoardAlert] = field(default_factory=list)
    children: list[BoardAlert] = field(default_factory=list)


@dataclass
class Board:
    """What the page shows; ``truncated`` says that more episodes matched than are shown."""

    hosts: list[HostGroup]
    incidents: list[Incident]
    total: int
    truncated: bool
    by_severity: dict[str, int]
    unacknowledged: int


def _condition(flt: BoardFilter) -> sa.ColumnElement[bool]:
    acked = sa.or_(alerts.c.acknowledged.is_(True), alerts.c.ack_sent.is_(True),
                   alerts.c.ack_requested_by.is_not(None),
                   sa.func.coalesce(nagios_acks.c.state, "").in_(_PENDING))  # no NULL logic
    conditions: list[sa.ColumnElement[bool]] = [
        alerts.c.state == ("recovered" if flt.state == "recovered" else "open")]
    if flt.state == "unhandled":
        conditions.append(sa.not_(acked))
    elif flt.state == "acknowledged":
        conditions.append(acked)
    elif flt.state == "flapping":
        conditions.append(sa.or_(alerts.c.flapping.is_(True),
                                 alerts.c.source_flapping.is_(True)))
    if flt.source:
        conditions.append(alerts.c.source == flt.source)
    if flt.severity:
        conditions.append(alerts.c.severity == flt.severity)
    return sa.and_(*conditions)


def _ack(row: Any) -> tuple[str, str | None]:
    """Acknowledged (in the source, or the hub's confirmed by Nagios), failed, asked
    for (waiting for Nagios), or none."""
    if row.acknowledged or row.ack_sent:
        return "acknowledged", row.acknowledged_by or (row.queued_by if row.ack_sent else None)
    if row.queued == "failed" and not row.ack_requested_by:
        return "failed", row.queued_by
    if row.queued in _PENDING or row.ack_requested_by:
        return "pending", row.ack_requested_by or row.queued_by
    return "none", None


def _item(row: Any) -> BoardAlert:
    ack, by = _ack(row)
    return BoardAlert(
        problem_key=row.problem_key, source=row.source, host=row.host, service=row.service,
        object_type=row.object_type, title=row.title,
        state_word=row.last_state or row.severity.upper(), severity=row.severity,
        since=row.state_since or row.first_at, last_at=row.last_at, output=row.output or "",
        count=int(row.count), flapping=bool(row.flapping or row.source_flapping), ack=ack,
        ack_by=by, ack_error=row.queued_error or "",
        ticket_id=None if row.ticket_id is None else int(row.ticket_id),
        parent_ticket_id=None if row.parent_ticket_id is None else int(row.parent_ticket_id))


def _read(conn: sa.Connection, viewer: Actor, flt: BoardFilter) -> list[Any]:
    shown: sa.ColumnElement[bool] = alerts.c.ticket_id.in_(visible_id_select(viewer))
    if is_unrestricted(viewer):  # an episode with no ticket (yet) belongs to no queue
        shown = sa.or_(shown, alerts.c.ticket_id.is_(None))
    joined = alerts.outerjoin(nagios_acks, (nagios_acks.c.problem_key == alerts.c.problem_key)
                              & (nagios_acks.c.episode == alerts.c.episode))
    query = (sa.select(alerts, nagios_acks.c.state.label("queued"),
                       nagios_acks.c.author.label("queued_by"),
                       nagios_acks.c.error.label("queued_error"))
             .select_from(joined).where(shown, _condition(flt))
             .order_by(alerts.c.host, alerts.c.service.is_not(None), alerts.c.service,
                       alerts.c.first_at)
             .limit(MAX_ROWS + 1))
    return list(conn.execute(query).all())


def _annotate(conn: sa.Connection, viewer: Actor, items: list[BoardAlert]) -> None:
    """Ticket status and owner, whether the viewer may acknowledge (ModifyTicket), and
    the parent incident only where the viewer may open it."""
    ids = sorted({a.ticket_id for a in items if a.ticket_id is not None})
    briefs = {i: ticket_brief(conn, i) for i in ids}
    modifiable = visible_ids(conn, viewer, ids, "ModifyTicket") if viewer.is_staff else set()
    parents = visible_ids(conn, viewer, sorted({a.parent_ticket_id for a in items
                                                if a.parent_ticket_id is not None}))
    for item in items:
        if item.parent_ticket_id not in parents:
            item.parent_ticket_id = None
        brief = briefs.get(item.ticket_id) if item.ticket_id is not None else None
        if brief is not None:
            item.ticket_status, item.ticket_owner = brief.status, brief.owner
        item.may_acknowledge = (item.source == "nagios" and item.ack in ("none", "failed")
                                and item.ticket_id in modifiable)


def _sorted(items: list[BoardAlert]) -> list[BoardAlert]:
    return sorted(items, key=lambda a: (_RANK.get(a.severity, 99), a.service or "", a.host))


def _host_groups(items: list[BoardAlert]) -> list[HostGroup]:
    groups: dict[str, HostGroup] = {}
    for item in items:
        group = groups.setdefault(item.host, HostGroup(item.host))
        (group.host_alerts if item.is_host else group.services).append(item)
    for group in groups.values():
        group.services.sort(key=lambda a: (a.service or "").lower())
    return sorted(groups.values(), key=lambda g: (_RANK.get(g.worst, 99), g.host.lower()))


def _incidents(conn: sa.Connection, items: list[BoardAlert],
               hosts: list[HostGroup]) -> list[Incident]:
    found: dict[int, Incident] = {}

    def incident(ticket_id: int) -> Incident:
        if ticket_id not in found:
            brief = ticket_brief(conn, ticket_id)
            found[ticket_id] = Incident(ticket_id, brief.subject if brief else "",
                                        brief.status if brief else "")
            found[ticket_id].head = [a for a in items if a.ticket_id == ticket_id]
        return found[ticket_id]

    placed: set[str] = set()
    for item in items:
        if item.parent_ticket_id is not None:  # only a parent the viewer may open is kept
            incident(item.parent_ticket_id).children.append(item)
            placed.add(item.problem_key)
    for group in hosts:  # a host that is down carries its own service alerts
        down = next((a for a in group.host_alerts if a.ticket_id is not None
                     and a.severity in ("critical", "unknown")), None)
        if down is None or down.ticket_id is None:
            continue
        beneath = [a for a in group.services if a.problem_key not in placed
                   and a.ticket_id != down.ticket_id]
        if beneath:
            incident(down.ticket_id).children.extend(beneath)
    out = [i for i in found.values() if i.children]
    for inc in out:
        inc.children = _sorted(inc.children)
    return sorted(out, key=lambda i: (min((_RANK.get(a.severity, 99) for a in i.head),
                                          default=99), i.ticket_id))


def alert_board(conn: sa.Connection, viewer: Actor, flt: BoardFilter) -> Board:
    """The board for ``viewer``: at most :data:`MAX_ROWS` episodes (``truncated`` if more)."""
    rows = _read(conn, viewer, flt)
    items = [_item(r) for r in rows[:MAX_ROWS]]
    _annotate(conn, viewer, items)
    hosts = _host_groups(items)
    by_severity = {s: 0 for s in PROBLEM_SEVERITIES}
    for item in items:
        if item.severity in by_severity:
            by_severity[item.severity] += 1
    return Board(hosts=hosts, incidents=_incidents(conn, items, hosts),
                 total=len(items), truncated=len(rows) > MAX_ROWS, by_severity=by_severity,
                 unacknowledged=sum(1 for a in items if a.ack in ("none", "failed")))

