"""What a ticket is: its state and the appliers that fold events into it.

The commands that decide which events to record live in :mod:`hub.tickets.model`;
this half is all that replaying a stream needs (snapshots, ``as of`` views).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from hub.actors import Actor
from hub.domain import Aggregate
from hub.eventstore import StoredEvent
from hub.tickets.rules import LINK_KINDS, WATCHER_ROLES


class TicketState(Aggregate):
    """A ticket's fields, rebuilt from its events."""

    stream_prefix = "ticket"

    def __init__(self, aggregate_id: str) -> None:
        super().__init__(aggregate_id)
        self.queue = ""
        self.subject = ""
        self.status = ""
        self.owner: str | None = None
        self.priority = 0
        self.due: str | None = None
        self.watchers: dict[str, list[str]] = {r: [] for r in WATCHER_ROLES}
        self.links: dict[str, list[int]] = {k: [] for k in LINK_KINDS}
        self.fields: dict[str, Any] = {}
        self.time_worked: dict[str, int] = {}
        self.merged_into: int | None = None
        self.merged_from: list[int] = []
        self.created_at: dt.datetime | None = None
        self.updated_at: dt.datetime | None = None
        self.resolved_at: dt.datetime | None = None
        self.last_status_change: dt.datetime | None = None

    # -- queries ------------------------------------------------------------------
    @property
    def number(self) -> int:
        return int(self.id)

    @property
    def requestors(self) -> list[str]:
        return self.watchers["requestors"]

    def roles_of(self, actor: Actor) -> set[str]:
        """Ticket roles (RT's Requestor, Cc, AdminCc, Owner) the actor holds here."""
        roles = {role for role, people in self.watchers.items() if actor.email in people}
        if self.owner is not None and self.owner == actor.name:
            roles.add("owner")
        return roles

    # -- appliers -----------------------------------------------------------------
    def _observe(self, event: StoredEvent) -> None:
        if self.created_at is None:
            self.created_at = event.at
        self.updated_at = event.at
        if event.type == "TicketStatusChanged":
            self.last_status_change = event.at
            if event.data["new"] in ("resolved", "rejected", "deleted"):
                self.resolved_at = event.at

    def _on_TicketCreated(self, d: dict[str, Any]) -> None:
        self.queue, self.subject, self.status = d["queue"], d["subject"], d["status"]
        self.priority, self.due, self.owner = d["priority"], d.get("due"), d.get("owner")
        self.watchers = {r: list(d.get(r, [])) for r in WATCHER_ROLES}
        self.fields = dict(d.get("fields", {}))

    def _on_TicketStatusChanged(self, d: dict[str, Any]) -> None:
        self.status = d["new"]

    def _on_TicketOwnerChanged(self, d: dict[str, Any]) -> None:
        self.owner = d["new"]

    def _on_TicketPriorityChanged(self, d: dict[str, Any]) -> None:
        self.priority = d["new"]

    def _on_TicketDueChanged(self, d: dict[str, Any]) -> None:
        self.due = d["new"]

    def _on_TicketSubjectChanged(self, d: dict[str, Any]) -> None:
        self.subject = d["new"]

    def _on_TicketQueueChanged(self, d: dict[str, Any]) -> None:
        self.queue, self.status, self.fields = d["new"], d["status"], dict(d["fields"])

    def _on_TicketFieldChanged(self, d: dict[str, Any]) -> None:
        if d["new"] is None:
            self.fields.pop(d["name"], None)
        else:
            self.fields[d["name"]] = d["new"]

    def _on_TicketWatcherAdded(self, d: dict[str, Any]) -> None:
        self.watchers[d["role"]].append(d["address"])

    def _on_TicketWatcherRemoved(self, d: dict[str, Any]) -> None:
        self.watchers[d["role"]].remove(d["address"])

    def _on_TicketLinked(self, d: dict[str, Any]) -> None:
        self.links[d["kind"]].append(d["target"])

    def _on_TicketUnlinked(self, d: dict[str, Any]) -> None:
        self.links[d["kind"]].remove(d["target"])

    def _on_TicketMerged(self, d: dict[str, Any]) -> None:
        self.merged_into = d["into"]

    def _on_TicketMergeAbsorbed(self, d: dict[str, Any]) -> None:
        self.merged_from.append(d["source"])
        for role, people in d["watchers"].items():
            for person in people:
                if person not in self.watchers[role]:
                    self.watchers[role].append(person)
        for user, minutes in d["time_worked"].items():
            self.time_worked[user] = self.time_worked.get(user, 0) + minutes
        for kind, targets in d.get("links", {}).items():
            for target in targets:
                if target != self.number and target not in self.links[kind]:
                    self.links[kind].append(target)

    def _on_TimeWorkedRecorded(self, d: dict[str, Any]) -> None:
        self.time_worked[d["user"]] = self.time_worked.get(d["user"], 0) + d["minutes"]

