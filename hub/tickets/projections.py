"""Ticket and queue read models, advanced event by event with the aggregate's appliers."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from hub.eventstore import StoredEvent
from hub.projections import TableProjection
from hub.tickets import written
from hub.tickets.snapshot import advance
from hub.tickets.tables import queues, ticket_watchers, tickets

# Built once: constructing statements per event costs more than running them.
_SELECT_ROW = sa.select(tickets.c.state, tickets.c.search_text).where(
    tickets.c.id == sa.bindparam("ticket_id"))
_INSERT_ROW = sa.insert(tickets)
_UPDATE_ROW = sa.update(tickets).where(tickets.c.id == sa.bindparam("tid"))
_INSERT_WATCHERS = sa.insert(ticket_watchers)


def _dt(value: str | None) -> Any:
    import datetime as dt

    return dt.datetime.fromisoformat(value.replace("Z", "")) if value else None


class TicketsProjection(TableProjection):
    name = "tickets"
    tables = (tickets, ticket_watchers)
    prefixes = ("ticket-",)

    def handles(self, event: StoredEvent) -> bool:
        return event.stream_id.startswith("ticket-")

    def apply(self, conn: sa.Connection, event: StoredEvent) -> None:
        ticket_id = int(event.stream_id.split("-", 1)[1])
        row = None if event.version == 1 else conn.execute(
            _SELECT_ROW, {"ticket_id": ticket_id}).first()
        before = row.state if row else None
        state = advance(before, event)
        text = row.search_text if row else ""
        if event.type == "TicketCreated":
            text = f"{event.data['subject']}\n{event.data.get('body', '')}".lower()
        elif event.type == "TicketCorresponded":
            text = f"{text}\n{event.data.get('body', '')}".lower()
        elif event.type == "TicketSubjectChanged":
            text = f"{text}\n{event.data['new']}".lower()
        values = {
            "version": state["version"], "queue": state["queue"], "subject": state["subject"],
            "status": state["status"], "owner": state["owner"], "priority": state["priority"],
            "created_at": _dt(state["created_at"]), "updated_at": _dt(state["updated_at"]),
            "merged_into": state["merged_into"], "state": state, "search_text": text,
        }
        if row is None:
            conn.execute(_INSERT_ROW, {"id": ticket_id, **values})
        else:
            conn.execute(_UPDATE_ROW, {"tid": ticket_id, **values})
        written.note(ticket_id, state)
        if before is None or before["watchers"] != state["watchers"]:
            self._sync_watchers(conn, ticket_id, state["watchers"], fresh=before is None)

    def _sync_watchers(self, conn: sa.Connection, ticket_id: int,
                       watchers: dict[str, list[str]], fresh: bool) -> None:
        if not fresh:
            conn.execute(
                sa.delete(ticket_watchers).where(ticket_watchers.c.ticket_id == ticket_id))
        rows = [{"ticket_id": ticket_id, "role": role, "address": address}
                for role, people in watchers.items() for address in people]
        if rows:
            conn.execute(_INSERT_WATCHERS, rows)


class QueuesProjection(TableProjection):
    name = "queues"
    tables = (queues,)
    prefixes = ("queue-",)

    def on_QueueCreated(self, conn: sa.Connection, e: StoredEvent) -> None:
        d = e.data
        conn.execute(sa.insert(queues).values(
            key=d["name"].lower(), name=d["name"], address=d.get("address", ""),
            comment_address=d.get("comment_address", ""), disabled=False, spec=d))

    def on_QueueChanged(self, conn: sa.Connection, e: StoredEvent) -> None:
        key = e.stream_id.split("-", 1)[1]
        spec = dict(conn.execute(sa.select(queues.c.spec).where(queues.c.key == key)).scalar_one())
        spec.update(e.data["changes"])
        values: dict[str, Any] = {"spec": spec}
        for column in ("address", "comment_address", "disabled"):
            if column in e.data["changes"]:
                values[column] = e.data["changes"][column]
        conn.execute(sa.update(queues).where(queues.c.key == key).values(**values))
