"""Ticket documents folded from events: idempotent replays, merges, watchers, fields."""

from __future__ import annotations

import datetime as dt
from typing import Any

from hub.eventstore import StoredEvent
from hub.search.documents import fold_ticket, page_keys_of, ticket_fields_for_index

AT = dt.datetime(2026, 1, 1)


def ev(position: int, type_: str, stream: str = "ticket-7", actor: str = "alice",
       **data: Any) -> StoredEvent:
    return StoredEvent(position, stream, position, type_, 1, data, {"actor": actor}, AT)


def created(position: int = 1) -> StoredEvent:
    return ev(position, "TicketCreated", queue="Ops", subject="Disk full", body="sda1 full",
              status="new", requestors=["carl@example.com"], cc=[], owner=None,
              fields={"Rack": "R1", "Cost": "CC-1"})


def test_fold_builds_and_replays_change_nothing() -> None:
    doc = fold_ticket(None, created())
    events = [ev(2, "TicketCorresponded", body="cleaned /tmp", actor="bob"),
              ev(3, "TicketCommented", body="internal note"),
              ev(4, "TicketStatusChanged", old="new", new="open"),
              ev(5, "TicketFieldChanged", name="Rack", old="R1", new="R2"),
              ev(6, "TicketWatcherAdded", role="cc", address="dora@example.com")]
    for e in events:
        doc = fold_ticket(doc, e)
    assert doc is not None
    snapshot = repr(doc)
    for e in events:  # a replayed batch (crash before the position was saved)
        doc = fold_ticket(doc, e)
    assert repr(doc) == snapshot
    assert doc["body"] == "sda1 full\ncleaned /tmp" and doc["private"] == "internal note"
    assert doc["status"] == "open" and doc["author"] == "alice,bob,carl@example.com"
    written = ticket_fields_for_index(doc, frozenset({"Cost"}))
    assert written["fields"] == "Rack: R2" and written["ifields"] == "Cost: CC-1"
    assert written["readers"] == "carl@example.com,dora@example.com"


def test_unknown_tickets_stay_unknown_and_merged_ones_disappear() -> None:
    assert fold_ticket(None, ev(3, "TicketCorresponded", body="x")) is None
    doc = fold_ticket(None, created())
    assert fold_ticket(doc, ev(2, "TicketMerged", into=9)) is None


def test_renames_touch_both_page_keys() -> None:
    renamed = ev(4, "PageRenamed", stream="page-Ops.Old", to_web="Docs", to_topic="New")
    assert list(page_keys_of(renamed)) == [("Ops", "Old"), ("Docs", "New")]
    revised = ev(5, "PageRevised", stream="page-Ops.Old")
    assert list(page_keys_of(revised)) == [("Ops", "Old")]
