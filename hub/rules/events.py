"""What the rules feature tells the world: rules defined, changed and deleted; reminders.

A rule's whole definition travels in each event (``spec``, already validated and
normalised), so the read model and any past version of a rule are a replay away.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hub.event_registry import Event, event


@event
@dataclass(frozen=True)
class RuleDefined(Event):
    """A new rule; ``spec`` is ``{name, on, for?, if, do, template?, enabled, order}``."""

    name: str
    spec: dict[str, Any]


@event
@dataclass(frozen=True)
class RuleChanged(Event):
    """The rule's definition was replaced by ``spec`` (the whole, normalised definition)."""

    name: str
    spec: dict[str, Any]


@event
@dataclass(frozen=True)
class RuleDeleted(Event):
    name: str


@event
@dataclass(frozen=True)
class ReminderSet(Event):
    """``by`` asked to be reminded about ticket ``ticket_id`` at ``due`` (ISO 8601 UTC)."""

    reminder_id: str
    ticket_id: int
    due: str
    note: str
    by: str


@event
@dataclass(frozen=True)
class ReminderCancelled(Event):
    reminder_id: str
    by: str


@event
@dataclass(frozen=True)
class ReminderFired(Event):
    """The reminder came due and was put on the ticket (``reminder.due``)."""

    reminder_id: str
    ticket_id: int
