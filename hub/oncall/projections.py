"""Read models of schedules, policies and pages, kept by position with the appends.

A page row is its stream replayed with the aggregate's own appliers up to the
event, so the row and a rebuild from position 0 cannot disagree.
"""

from __future__ import annotations

import sqlalchemy as sa

from hub.eventstore import EventStore, StoredEvent
from hub.oncall.model import Page, parse_iso, public
from hub.oncall.tables import oncall_policies, oncall_schedules, pages
from hub.projections import TableProjection


def _upsert(conn: sa.Connection, table: sa.Table, name: str, event: StoredEvent) -> None:
    conn.execute(sa.delete(table).where(table.c.name == name))
    conn.execute(sa.insert(table).values(name=name, document=event.data["document"],
                                         updated_at=event.at))


class OnCallProjection(TableProjection):
    name = "oncall"
    tables = (oncall_schedules, oncall_policies, pages)
    prefixes = ("oncall_schedule-", "oncall_policy-", "page-")

    def __init__(self, store: EventStore) -> None:
        self.store = store

    def on_OnCallScheduleSaved(self, conn: sa.Connection, event: StoredEvent) -> None:
        _upsert(conn, oncall_schedules, event.data["name"], event)

    def on_EscalationPolicySaved(self, conn: sa.Connection, event: StoredEvent) -> None:
        _upsert(conn, oncall_policies, event.data["name"], event)

    def _page(self, conn: sa.Connection, event: StoredEvent) -> None:
        page = Page(event.stream_id.split("-", 1)[1])
        page.replay(self.store.read_stream(conn, event.stream_id, to_position=event.position))
        if page.version < event.version:
            page.replay([event])
        values = {"ticket_id": page.ticket_id, "policy": page.policy, "state": page.state,
                  "step": page.step, "round": page.round, "code": page.code,
                  "next_at": parse_iso(page.next_at) if page.next_at else None,
                  "triggered_at": parse_iso(page.triggered_at), "updated_at": event.at,
                  "data": public(page)}
        if event.type == "PageTriggered":
            conn.execute(sa.delete(pages).where(pages.c.id == page.number))
            conn.execute(sa.insert(pages).values(id=page.number, **values))
        else:
            conn.execute(sa.update(pages).where(pages.c.id == page.number).values(**values))

    on_PageTriggered = _page
    on_PageNotified = _page
    on_PageEscalated = _page
    on_PageExhausted = _page
    on_PageAcknowledged = _page
    on_PageResolved = _page
