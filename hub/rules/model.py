"""The Rule and Reminder aggregates: what may happen to a rule or a reminder, as events.

Rules are the hub's configuration for automation, so they are event-sourced like
everything else: who changed a rule and what it said before is in its stream
(``rule-<name>``), and a deleted rule can be defined again under the same name.
"""

from __future__ import annotations

from typing import Any

from hub.actors import Actor
from hub.domain import Aggregate, NotFoundError, PermissionDeniedError, StateConflictError
from hub.rules import events as ev


def _admin(actor: Actor, what: str) -> None:
    if not (actor.is_system or actor.role == "admin"):
        raise PermissionDeniedError(f"only admins may {what}")


class Rule(Aggregate):
    stream_prefix = "rule"

    def __init__(self, aggregate_id: str) -> None:
        super().__init__(aggregate_id.lower())
        self.spec: dict[str, Any] = {}
        self.deleted = False

    @classmethod
    def stream_id_for(cls, aggregate_id: str | int) -> str:
        """Names are unique regardless of case: ``AutoClose`` and ``autoclose`` are one."""
        return f"{cls.stream_prefix}-{str(aggregate_id).lower()}"

    @property
    def live(self) -> bool:
        return self.exists and not self.deleted

    def define(self, actor: Actor, spec: dict[str, Any]) -> None:
        _admin(actor, "define rules")
        if self.live:
            raise StateConflictError(f"rule {spec['name']} already exists", field="name")
        self._record(ev.RuleDefined(name=spec["name"], spec=spec))

    def change(self, actor: Actor, spec: dict[str, Any]) -> bool:
        """Replace the definition; False (nothing recorded) when it is unchanged."""
        _admin(actor, "change rules")
        self._require_live()
        if spec == self.spec:
            return False
        self._record(ev.RuleChanged(name=spec["name"], spec=spec))
        return True

    def delete(self, actor: Actor) -> None:
        _admin(actor, "delete rules")
        self._require_live()
        self._record(ev.RuleDeleted(name=self.spec["name"]))

    def _require_live(self) -> None:
        if not self.live:
            raise NotFoundError(f"rule {self.id} not found")

    def _on_RuleDefined(self, d: dict[str, Any]) -> None:
        self.spec, self.deleted = dict(d["spec"]), False

    def _on_RuleChanged(self, d: dict[str, Any]) -> None:
        self.spec = dict(d["spec"])

    def _on_RuleDeleted(self, d: dict[str, Any]) -> None:
        self.deleted = True


class Reminder(Aggregate):
    """One "remind me" on a ticket: pending until it fires or is cancelled."""

    stream_prefix = "reminder"

    def __init__(self, aggregate_id: str) -> None:
        super().__init__(aggregate_id)
        self.ticket_id = 0
        self.due = ""
        self.note = ""
        self.by = ""
        self.state = "pending"

    def set(self, actor: Actor, *, ticket_id: int, due: str, note: str) -> None:
        if not actor.is_staff:
            raise PermissionDeniedError("reminders are for staff")
        if self.exists:
            raise StateConflictError(f"reminder {self.id} already exists")
        self._record(ev.ReminderSet(reminder_id=self.id, ticket_id=ticket_id, due=due,
                                    note=note, by=actor.name))

    def cancel(self, actor: Actor) -> None:
        if not self.exists:
            raise NotFoundError(f"reminder {self.id} not found")
        if actor.name != self.by and not (actor.is_system or actor.role == "admin"):
            raise PermissionDeniedError("only the one who set a reminder (or an admin) "
                                        "cancels it")
        if self.state != "pending":
            raise StateConflictError(f"reminder {self.id} is {self.state}", state=self.state)
        self._record(ev.ReminderCancelled(reminder_id=self.id, by=actor.name))

    def fire(self, actor: Actor) -> bool:
        """Mark it due; False when it is no longer pending (cancelled or fired before)."""
        if not actor.is_system:
            raise PermissionDeniedError("reminders fire by themselves")
        if self.state != "pending":
            return False
        self._record(ev.ReminderFired(reminder_id=self.id, ticket_id=self.ticket_id))
        return True

    def _on_ReminderSet(self, d: dict[str, Any]) -> None:
        self.ticket_id, self.due, self.note, self.by = d["ticket_id"], d["due"], d["note"], d["by"]

    def _on_ReminderCancelled(self, d: dict[str, Any]) -> None:
        self.state = "cancelled"

    def _on_ReminderFired(self, d: dict[str, Any]) -> None:
        self.state = "fired"
