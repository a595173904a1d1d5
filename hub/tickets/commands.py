"""Ticket commands: what a user, a mail, an alert or a runbook asks for."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class CreateQueue:
    name: str
    description: str = ""
    address: str = ""
    comment_address: str = ""
    lifecycle: dict[str, Any] | None = None
    custom_fields: list[dict[str, Any]] | None = None
    reopen_policy: str = "reopen"
    customers_may_create: bool = True


@dataclass(frozen=True)
class ChangeQueue:
    name: str
    changes: dict[str, Any]


@dataclass(frozen=True)
class CreateTicket:
    queue: str
    subject: str
    body: str = ""
    requestors: list[str] | None = None
    cc: list[str] | None = None
    admincc: list[str] | None = None
    priority: Any = 0
    due: str | None = None
    fields: dict[str, Any] | None = None
    owner: str | None = None
    status: str | None = None
    content_type: str = "text/plain"
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Correspond:
    ticket_id: int
    body: str
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Comment:
    ticket_id: int
    body: str
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class UpdateTicket:
    """Several changes applied atomically (the API's PATCH, the web's update form)."""

    ticket_id: int
    expected_version: int | None = None
    status: str | None = None
    owner: str | None = None
    owner_set: bool = False
    priority: Any = None
    queue: str | None = None
    subject: str | None = None
    due: Any = None
    due_set: bool = False
    fields: dict[str, Any] | None = None
    force: bool = False


@dataclass(frozen=True)
class ChangeOwner:
    ticket_id: int
    how: str  # take | untake | steal | assign
    owner: str | None = None


@dataclass(frozen=True)
class ChangeWatcher:
    ticket_id: int
    role: str
    address: str
    add: bool = True


@dataclass(frozen=True)
class LinkTickets:
    ticket_id: int
    kind: str
    target: int
    add: bool = True


@dataclass(frozen=True)
class MergeTickets:
    ticket_id: int
    into: int


@dataclass(frozen=True)
class RecordTime:
    ticket_id: int
    minutes: int
    user: str | None = None


@dataclass(frozen=True)
class RecordDeliveryFailure:
    ticket_id: int
    recipient: str
    status: str
    diagnostic: str = ""
    message_id: str | None = None
    permanent: bool = True
