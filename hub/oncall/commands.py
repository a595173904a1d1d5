"""On-call commands: what the API, the web, the reactors and the scheduler ask for.

``TriggerPage``, ``AcknowledgePage`` and ``ResolvePage`` are the face other features
(rules, ops) use; the rest carry what the escalation job and the notifier observed
back into a page's stream.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class SaveSchedule:
    """Create or replace a schedule (admins only)."""

    name: str
    document: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SavePolicy:
    """Create or replace an escalation policy (admins only); its targets must exist."""

    name: str
    document: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class TriggerPage:
    """Page a ticket's people: with ``policy``, or one ``target`` (``"schedule:ops"``)
    notified on every channel it has with the default wait. While a page of the same
    ticket and policy is open, triggering again returns it and notifies nobody."""

    ticket_id: int
    policy: str | None = None
    target: str | None = None
    reason: str = ""
    at: dt.datetime | None = None  # naive UTC; tests and replays pass it, else now


@dataclass(frozen=True)
class AcknowledgePage:
    """The actor (staff who may see the ticket) takes the page; ``code`` when the ack came
    with one (a reply ``ACK 4821``) must be the page's; ``via`` defaults to the actor's
    source (web, api, email)."""

    page_id: int
    code: str | None = None
    via: str = ""
    at: dt.datetime | None = None


@dataclass(frozen=True)
class ResolvePage:
    page_id: int
    reason: str = ""
    at: dt.datetime | None = None


@dataclass(frozen=True)
class EscalatePage:
    """The escalation job saw ``page_id`` at ``step``/``round`` past its wait."""

    page_id: int
    step: int
    round: int
    at: dt.datetime | None = None


@dataclass(frozen=True)
class RecordPageNotified:
    """The channels feature queued a notification of the page for ``user`` on ``via``."""

    page_id: int
    user: str
    via: str
    step: int
    round: int
    notification: str | None = None
    at: dt.datetime | None = None
