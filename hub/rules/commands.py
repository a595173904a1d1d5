"""What others may ask of the rules feature: define rules, set and cancel reminders."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class DefineRule:
    """A new rule from its JSON definition (checked by the handler; admins only)."""

    body: dict[str, Any]


@dataclass(frozen=True)
class ChangeRule:
    """Replace rule ``name``'s definition with ``body`` (``patch``: only the keys given)."""

    name: str
    body: dict[str, Any]
    patch: bool = False


@dataclass(frozen=True)
class DeleteRule:
    name: str


@dataclass(frozen=True)
class SetReminder:
    """Remind the actor about a ticket ``in`` a duration (``2h``) or ``at`` an ISO time.

    ``now`` is for tests and replays; the handler uses the clock when it is None.
    """

    ticket_id: int
    in_: str | None = None
    at: str | None = None
    note: str = ""
    now: dt.datetime | None = None


@dataclass(frozen=True)
class CancelReminder:
    ticket_id: int
    reminder_id: str


@dataclass(frozen=True)
class FireReminder:
    """Mark a due reminder as fired (the scheduler's job; system actors only)."""

    reminder_id: str
