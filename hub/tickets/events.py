"""What the tickets feature tells the world: every fact about queues and tickets.

The class name is the stored event type and the field names are the JSON keys
stored since the first release, so old databases read unchanged. Keys that mail,
alerts and runbooks add to a ticket's first message, a reply or a comment are
explicit optional fields (left out of the JSON when ``None``), so no entrypoint
can splice arbitrary keys into a ticket's history.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any, TypeVar

from hub.domain import ValidationError
from hub.event_registry import Event, event

M = TypeVar("M", bound="_MessageExtras")

# The sender's address is stored under "from", which is a Python keyword.
_RENAMED = {"from_": "from"}


@dataclass(frozen=True)
class _MessageExtras(Event):
    """Optional keys a message (creation, reply, comment) may carry, by who adds them.

    Mail: ``attachments``, ``message_id``, ``html``, ``from`` (``from_`` here),
    ``autoreply`` (False: never answer this one), ``autoreply_reason``, ``authenticated``
    (False: the hub could not verify the sender; the actor is then their address). Desk:
    ``attachments``. Alerts: ``alert``. Runbooks: ``runbook_run``,
    ``runbook_suggestion``.
    """

    attachments: list[dict[str, Any]] | None = None
    message_id: str | None = None
    html: str | None = None
    from_: str | None = None
    autoreply: bool | None = None
    autoreply_reason: str | None = None
    alert: bool | None = None
    runbook_run: int | None = None
    runbook_suggestion: str | None = None
    authenticated: bool | None = None  # mail: False when the sender was not verified

    def to_data(self) -> dict[str, Any]:
        """The event's own keys first, then the extras that are set."""
        data = super().to_data()
        own = {k: v for k, v in data.items() if k not in _EXTRA_FIELDS}
        return own | {_RENAMED.get(k, k): v for k, v in data.items() if k in _EXTRA_FIELDS}

    @classmethod
    def from_data(cls: type[M], data: Mapping[str, Any]) -> M:
        back = {v: k for k, v in _RENAMED.items()}
        names = {f.name for f in fields(cls)}  # type: ignore[arg-type]
        return cls(**{back.get(k, k): v for k, v in data.items() if back.get(k, k) in names})


_EXTRA_FIELDS = frozenset(f.name for f in fields(_MessageExtras))
EXTRA_KEYS = frozenset(_RENAMED.get(name, name) for name in _EXTRA_FIELDS)


def extras(given: Mapping[str, Any] | None) -> dict[str, Any]:
    """The keyword arguments for a message event from a command's ``extra`` mapping.

    An unknown key is a programming error in the caller, reported as a
    ValidationError rather than stored silently.
    """
    given = dict(given or {})
    unknown = sorted(set(given) - EXTRA_KEYS)
    if unknown:
        raise ValidationError(f"unknown message attributes: {unknown}",
                              allowed=sorted(EXTRA_KEYS))
    back = {v: k for k, v in _RENAMED.items()}
    return {back.get(k, k): v for k, v in given.items()}


@event
@dataclass(frozen=True, kw_only=True)
class TicketCreated(_MessageExtras):
    """A ticket was opened; ``body`` is its first message."""

    queue: str
    subject: str
    body: str
    content_type: str
    status: str
    priority: int
    due: str | None
    requestors: list[str]
    cc: list[str]
    admincc: list[str]
    fields: dict[str, Any]
    owner: str | None


@event
@dataclass(frozen=True, kw_only=True)
class TicketCorresponded(_MessageExtras):
    """A public reply (shown to requestors and Cc, mailed to them). ``by_staff``: written
    by a staff member (what stops an SLA response clock)."""

    body: str
    by_staff: bool | None = None


@event
@dataclass(frozen=True, kw_only=True)
class TicketCommented(_MessageExtras):
    """A private comment (staff only, mailed to AdminCc and the owner)."""

    body: str


@event
@dataclass(frozen=True)
class TicketStatusChanged(Event):
    """``reason`` is set for automatic moves (replies), ``forced`` for explicit ones."""

    old: str
    new: str
    reason: str | None = None
    forced: bool | None = None


@event
@dataclass(frozen=True)
class TicketOwnerChanged(Event):
    """``how``: take, untake, steal or assign; ``None`` is Nobody."""

    old: str | None
    new: str | None
    how: str


@event
@dataclass(frozen=True)
class TicketPriorityChanged(Event):
    old: int
    new: int


@event
@dataclass(frozen=True)
class TicketDueChanged(Event):
    old: str | None
    new: str | None


@event
@dataclass(frozen=True)
class TicketSubjectChanged(Event):
    old: str
    new: str


@event
@dataclass(frozen=True)
class TicketQueueChanged(Event):
    """Moved to another queue; ``status`` and ``fields`` as they fit the new queue."""

    old: str
    new: str
    status: str
    fields: dict[str, Any]


@event
@dataclass(frozen=True)
class TicketFieldChanged(Event):
    """A custom field changed; ``new`` is ``None`` when it was cleared."""

    name: str
    old: Any
    new: Any


@event
@dataclass(frozen=True)
class TicketWatcherAdded(Event):
    role: str
    address: str


@event
@dataclass(frozen=True)
class TicketWatcherRemoved(Event):
    role: str
    address: str


@event
@dataclass(frozen=True)
class TicketLinked(Event):
    """One side of a link; the reverse kind is recorded on the target."""

    kind: str
    target: int


@event
@dataclass(frozen=True)
class TicketUnlinked(Event):
    kind: str
    target: int


@event
@dataclass(frozen=True)
class TicketMerged(Event):
    """This ticket now lives on as ``into``."""

    into: int


@event
@dataclass(frozen=True)
class TicketMergeAbsorbed(Event):
    """The survivor's side of a merge: what it takes over from ``source``."""

    source: int
    watchers: dict[str, list[str]]
    time_worked: dict[str, int]
    links: dict[str, list[int]]


@event
@dataclass(frozen=True)
class TimeWorkedRecorded(Event):
    user: str
    minutes: int


@event
@dataclass(frozen=True)
class TicketDeliveryFailed(Event):
    """A bounce for mail we sent about the ticket (never a reply)."""

    recipient: str
    status: str
    diagnostic: str
    message_id: str | None
    permanent: bool


@event
@dataclass(frozen=True)
class TicketActivityRecorded(Event):
    """Something another feature did about the ticket, kept in the ticket's history.

    ``kind`` names it (``sla.warning``, ``sla.breach``, ``rule.fired``, ``page.triggered``,
    ``page.notified``, ``page.acknowledged``, ``reminder.due`` ...), ``summary`` is one line
    for the history, ``detail`` the facts behind it. Staff see these; customers do not.
    """

    kind: str
    summary: str
    detail: dict[str, Any]


@event
@dataclass(frozen=True)
class QueueCreated(Event):
    name: str
    description: str
    address: str
    comment_address: str
    lifecycle: dict[str, Any]
    custom_fields: list[dict[str, Any]]
    reopen_policy: str
    customers_may_create: bool
    sla: dict[str, Any] | None = None  # the SLA feature's policy body
    escalation_policy: str | None = None  # on-call: the policy paged for this queue


@event
@dataclass(frozen=True)
class QueueChanged(Event):
    """Only the settings that changed, by name (see ``Queue.change``)."""

    changes: dict[str, Any]
