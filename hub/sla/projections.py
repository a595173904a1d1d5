"""The SLA projection: calendars, queue policies and each ticket's clocks from events.

Ticket events update the compact inputs of one ``sla_clocks`` row and recompute
its clocks; a queue's new ``sla`` or lifecycle, or a calendar's new definition,
recomputes every open ticket concerned. ``TicketActivityRecorded`` of kind
``sla.warning``/``sla.breach`` marks that alarm fired, so the job moves on to the
next one and a rebuild from position 0 ends with the same rows.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from hub.eventstore import StoredEvent
from hub.projections import TableProjection
from hub.sla.rows import clock_values, iso, queue_policy, recompute, states_for
from hub.sla.tables import sla_calendars, sla_clocks, sla_policies

ALARM_KINDS = ("sla.warning", "sla.breach")
_INSERT = sa.insert(sla_clocks)
_ROW = sa.select(sla_clocks).where(sla_clocks.c.ticket_id == sa.bindparam("ticket_id"))


def _ticket_id(event: StoredEvent) -> int:
    return int(event.stream_id.split("-", 1)[1])


def staff_reply(event: StoredEvent, row: Any) -> bool:
    """Whether a correspondence came from staff: the event says so (``by_staff``).

    Events written before the flag existed are judged by their actor: a reply by the
    system or by mail from an address is not a staff reply, one by a named account is
    (customers with accounts replied through the web rarely enough that an old clock
    stopping early is the lesser error than every old clock running on).
    """
    flag = event.data.get("by_staff")
    if flag is not None:
        return bool(flag)
    actor = str(event.meta.get("actor") or "")
    return bool(actor) and actor != "system" and "@" not in actor


class SlaProjection(TableProjection):
    name = "sla"
    tables = (sla_clocks, sla_policies, sla_calendars)
    prefixes = ("ticket-", "queue-", "calendar-")

    # -- calendars and policies ------------------------------------------------------

    def on_CalendarDefined(self, conn: sa.Connection, e: StoredEvent) -> None:
        name = e.data["name"]
        definition = {k: v for k, v in e.data.items() if k != "name" and v is not None}
        updated = conn.execute(sa.update(sla_calendars).where(sla_calendars.c.name == name)
                               .values(definition=definition, updated_at=e.at)).rowcount
        if not updated:
            conn.execute(sa.insert(sla_calendars).values(name=name, definition=definition,
                                                         updated_at=e.at))
        queues = conn.execute(sa.select(sla_policies.c.queue)
                              .where(sla_policies.c.calendar == name)).scalars().all()
        recompute(conn, queues)

    def on_QueueCreated(self, conn: sa.Connection, e: StoredEvent) -> None:
        key = e.data["name"].lower()
        conn.execute(sa.delete(sla_policies).where(sla_policies.c.queue == key))
        policy = e.data.get("sla")
        conn.execute(sa.insert(sla_policies).values(
            queue=key, policy=policy, calendar=(policy or {}).get("calendar"),
            inactive=_inactive(e.data.get("lifecycle"))))

    def on_QueueChanged(self, conn: sa.Connection, e: StoredEvent) -> None:
        changes = e.data["changes"]
        if "sla" not in changes and "lifecycle" not in changes:
            return
        key = e.stream_id.split("-", 1)[1]
        values: dict[str, Any] = {}
        if "sla" in changes:
            values["policy"] = changes["sla"]
            values["calendar"] = (changes["sla"] or {}).get("calendar")
        if "lifecycle" in changes:
            values["inactive"] = _inactive(changes["lifecycle"])
        conn.execute(sa.update(sla_policies).where(sla_policies.c.queue == key).values(**values))
        recompute(conn, [key])

    # -- tickets -------------------------------------------------------------------

    def on_TicketCreated(self, conn: sa.Connection, e: StoredEvent) -> None:
        d = e.data
        at = iso(e.at)
        row = {"ticket_id": _ticket_id(e), "queue": d["queue"].lower(),
               "priority": int(d.get("priority") or 0), "created_at": e.at,
               "first_response_at": None, "statuses": [[at, d["status"]]], "fired": []}
        policy = queue_policy(conn, row["queue"])
        row["is_open"] = d["status"] not in policy.inactive
        row.update(clock_values(states_for(_Row(row), policy), []))
        conn.execute(_INSERT, row)

    def on_TicketCorresponded(self, conn: sa.Connection, e: StoredEvent) -> None:
        self._change(conn, e, lambda row: (
            {"first_response_at": e.at}
            if row.first_response_at is None and staff_reply(e, row) else {}))

    def on_TicketStatusChanged(self, conn: sa.Connection, e: StoredEvent) -> None:
        self._change(conn, e, lambda row: {
            "statuses": [*row.statuses, [iso(e.at), e.data["new"]]]})

    def on_TicketPriorityChanged(self, conn: sa.Connection, e: StoredEvent) -> None:
        self._change(conn, e, lambda row: {"priority": int(e.data["new"])})

    def on_TicketQueueChanged(self, conn: sa.Connection, e: StoredEvent) -> None:
        def moved(row: Any) -> dict[str, Any]:
            out: dict[str, Any] = {"queue": e.data["new"].lower()}
            if e.data.get("status") and e.data["status"] != row.statuses[-1][1]:
                out["statuses"] = [*row.statuses, [iso(e.at), e.data["status"]]]
            return out

        self._change(conn, e, moved)

    def on_TicketMerged(self, conn: sa.Connection, e: StoredEvent) -> None:
        """A merged ticket lives on in the survivor: its clocks stop counting."""
        conn.execute(sa.delete(sla_clocks).where(sla_clocks.c.ticket_id == _ticket_id(e)))

    def on_TicketActivityRecorded(self, conn: sa.Connection, e: StoredEvent) -> None:
        kind = e.data.get("kind")
        detail = e.data.get("detail") or {}
        if kind not in ALARM_KINDS or not isinstance(detail, dict):
            return
        marker = f"{detail.get('clock')}:{kind}:{detail.get('due')}"
        self._change(conn, e, lambda row: (
            {} if marker in row.fired else {"fired": [*row.fired, marker]}))

    def _change(self, conn: sa.Connection, e: StoredEvent, change: Any) -> None:
        found = conn.execute(_ROW, {"ticket_id": _ticket_id(e)}).first()
        if found is None:
            return
        values = change(found)
        if not values:
            return
        row = dict(found._mapping) | values
        policy = queue_policy(conn, row["queue"])
        row["is_open"] = row["statuses"][-1][1] not in policy.inactive
        values["is_open"] = row["is_open"]
        values.update(clock_values(states_for(_Row(row), policy), row["fired"]))
        conn.execute(sa.update(sla_clocks).where(sla_clocks.c.ticket_id == found.ticket_id)
                     .values(**values))


class _Row:
    """Attribute access to a row being written (what :func:`states_for` reads)."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.__dict__.update(values)


def _inactive(lifecycle: Any) -> list[str]:
    if isinstance(lifecycle, dict) and isinstance(lifecycle.get("inactive"), list):
        return [str(s) for s in lifecycle["inactive"]]
    return ["resolved", "rejected", "deleted"]
