"""Ticket state as plain data: the public JSON shape and the read-model snapshot.

The read model stores a snapshot and the projection replays each new event onto
it with the aggregate's own appliers, so the read model and a rebuild from the
stream can never disagree.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from hub.eventstore import StoredEvent
from hub.tickets.model import LINK_KINDS, WATCHER_ROLES, Ticket


def iso(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    return value.replace(tzinfo=dt.UTC).isoformat().replace("+00:00", "Z")


def _parse(value: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value.replace("Z", "")) if value else None


def snapshot(ticket: Ticket) -> dict[str, Any]:
    return {
        "id": ticket.number, "version": ticket.version, "queue": ticket.queue,
        "subject": ticket.subject, "status": ticket.status, "owner": ticket.owner,
        "priority": ticket.priority, "due": ticket.due, "watchers": ticket.watchers,
        "links": ticket.links, "fields": ticket.fields, "time_worked": ticket.time_worked,
        "merged_into": ticket.merged_into, "merged_from": ticket.merged_from,
        "created_at": iso(ticket.created_at), "updated_at": iso(ticket.updated_at),
        "resolved_at": iso(ticket.resolved_at),
    }


def from_snapshot(data: dict[str, Any]) -> Ticket:
    ticket = Ticket(str(data["id"]))
    ticket.version = data["version"]
    ticket.queue, ticket.subject, ticket.status = data["queue"], data["subject"], data["status"]
    ticket.owner, ticket.priority, ticket.due = data["owner"], data["priority"], data["due"]
    ticket.watchers = {r: list(data["watchers"].get(r, [])) for r in WATCHER_ROLES}
    ticket.links = {k: list(data["links"].get(k, [])) for k in LINK_KINDS}
    ticket.fields = dict(data["fields"])
    ticket.time_worked = dict(data["time_worked"])
    ticket.merged_into = data["merged_into"]
    ticket.merged_from = list(data["merged_from"])
    ticket.created_at = _parse(data["created_at"])
    ticket.updated_at = _parse(data["updated_at"])
    ticket.resolved_at = _parse(data["resolved_at"])
    return ticket


def advance(data: dict[str, Any] | None, event: StoredEvent) -> dict[str, Any]:
    """Apply one stored event to a snapshot (None for a ticket not seen yet)."""
    ticket = Ticket(event.stream_id.split("-", 1)[1]) if data is None else from_snapshot(data)
    ticket.replay([event])
    return snapshot(ticket)


def public(data: dict[str, Any], *, internal_fields: frozenset[str] = frozenset(),
           staff: bool = True) -> dict[str, Any]:
    """The contract's ticket object; customers don't see AdminCc or internal fields."""
    out = {
        "id": data["id"], "version": data["version"], "queue": data["queue"],
        "subject": data["subject"], "status": data["status"], "owner": data["owner"],
        "priority": data["priority"], "requestors": data["watchers"]["requestors"],
        "created_at": data["created_at"], "updated_at": data["updated_at"],
        "fields": {k: v for k, v in data["fields"].items()
                   if staff or k not in internal_fields},
        "links": {k: v for k, v in data["links"].items() if v},
        "due": data["due"], "cc": data["watchers"]["cc"],
    }
    if staff:
        out["admincc"] = data["watchers"]["admincc"]
        out["time_worked"] = data["time_worked"]
        out["time_worked_total"] = sum(data["time_worked"].values())
    if data["merged_from"]:
        out["merged_from"] = data["merged_from"]
    return out
