"""The on-call feature's facts: schedules and policies saved, and each page's life.

Other features may react to these (a rule that notes a page, the web that shows
it). Times are ISO 8601 naive UTC strings, as everywhere in the store. No secret is
ever part of an event: the calendar feed token is derived from the hub's key.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hub.event_registry import Event, event


@event
@dataclass(frozen=True)
class OnCallScheduleSaved(Event):
    """A schedule was created or replaced; ``document`` is its normalised API form."""

    name: str
    document: dict[str, Any]
    by: str


@event
@dataclass(frozen=True)
class EscalationPolicySaved(Event):
    """An escalation policy was created or replaced (normalised API form)."""

    name: str
    document: dict[str, Any]
    by: str


@event
@dataclass(frozen=True)
class PageTriggered(Event):
    """A page opened for a ticket: the policy's steps as they were at that moment (a
    later edit of the policy does not change a page already under way)."""

    page_id: int
    ticket_id: int
    policy: str
    steps: list[dict[str, Any]]
    repeat: int
    code: str
    reason: str
    at: str
    next_at: str


@event
@dataclass(frozen=True)
class PageNotified(Event):
    """The channels feature queued a notification of this page for ``user`` on ``via``."""

    user: str
    via: str
    step: int
    round: int
    at: str
    notification: str | None = None


@event
@dataclass(frozen=True)
class PageEscalated(Event):
    """Nobody acknowledged in time: the page moved on to ``step`` of ``round``."""

    step: int
    round: int
    at: str
    next_at: str


@event
@dataclass(frozen=True)
class PageExhausted(Event):
    """Every step of every round went unacknowledged; the page stays triggered."""

    at: str
    rounds: int


@event
@dataclass(frozen=True)
class PageAcknowledged(Event):
    """``by`` took the page (``via``: web, api, mail, sms, xmpp); escalation stops."""

    by: str
    via: str
    at: str


@event
@dataclass(frozen=True)
class PageResolved(Event):
    """The page ended, usually because its ticket was resolved."""

    by: str
    reason: str
    at: str
