"""Ticket commands: what a user, a mail, an alert or a runbook asks for."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hub.actors import Actor
    from hub.messagebus import UnitOfWork
    from hub.tickets.model import Ticket
    from hub.tickets.queues import Queue


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
    sla: dict[str, Any] | None = None
    escalation_policy: str | None = None


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
    priority: Any = None
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


# In-transaction functions. Other features (alerts, runbooks) compose ticket changes
# inside THEIR OWN unit of work, so their event and the ticket change commit
# together or not at all. Each runs inside the caller's unit of work with the
# caller's actor, exactly as the bus would run the command.


def create_ticket(cmd: CreateTicket, uow: UnitOfWork, actor: Actor) -> dict[str, Any]:
    """Create a ticket inside the caller's unit of work; returns ``{"id": number}``."""
    from hub.tickets import handlers

    return handlers.create_ticket(cmd, uow, actor)


def correspond(cmd: Correspond, uow: UnitOfWork, actor: Actor) -> dict[str, Any]:
    """Add public correspondence inside the caller's unit of work."""
    from hub.tickets import handlers

    return handlers.correspond(cmd, uow, actor)


def comment(cmd: Comment, uow: UnitOfWork, actor: Actor) -> dict[str, Any]:
    """Add a private comment inside the caller's unit of work."""
    from hub.tickets import handlers

    return handlers.comment(cmd, uow, actor)


def update_ticket(cmd: UpdateTicket, uow: UnitOfWork, actor: Actor) -> dict[str, Any]:
    """Apply an update (status, owner, priority...) inside the caller's unit of work."""
    from hub.tickets import handlers

    return handlers.update_ticket(cmd, uow, actor)


def link_tickets(cmd: LinkTickets, uow: UnitOfWork, actor: Actor) -> dict[str, Any]:
    """Add or remove a link between tickets inside the caller's unit of work."""
    from hub.tickets import handlers

    return handlers.link_tickets(cmd, uow, actor)


def load_ticket(uow: UnitOfWork, ticket_id: int) -> Ticket:
    """The ticket (following merges) as the caller's unit of work sees it; raises
    NotFoundError. The aggregate is for reading (``.queue``, ``.status``,
    ``.priority``, ``.number``): change it only through the functions above."""
    from hub.tickets import handlers

    return handlers.load_ticket(uow, ticket_id)


def load_visible_ticket(uow: UnitOfWork, ticket_id: int, actor: Actor) -> Ticket:
    """Like :func:`load_ticket`, but "not found" when ``actor`` may not see it."""
    from hub.tickets import handlers

    return handlers.load_visible_ticket(uow, ticket_id, actor)


def load_queue(uow: UnitOfWork, name: str) -> Queue:
    """The enabled queue ``name`` (``.lifecycle``, ``.spec``); raises NotFoundError."""
    from hub.tickets import handlers

    return handlers.load_queue(uow, name)


def queue_usable(uow: UnitOfWork, name: str) -> bool:
    """Whether queue ``name`` exists and is enabled, in the caller's unit of work."""
    from hub.tickets.queues import Queue as _Queue

    queue = uow.get(_Queue, name.lower(), must_exist=False)
    return queue.exists and not queue.disabled


def is_active(uow: UnitOfWork, ticket_id: int) -> bool:
    """Whether the ticket exists and is in an active status of its queue's lifecycle
    (the queue's settings from the per-version cache, not a replay of its stream)."""
    from hub.domain import NotFoundError
    from hub.tickets import handlers

    try:
        ticket = load_ticket(uow, ticket_id)
        return handlers.queue_spec(uow, ticket.queue).lifecycle.is_active(ticket.status)
    except NotFoundError:
        return False


@dataclass(frozen=True)
class RecordTicketActivity:
    """Put another feature's doing (an SLA breach, a rule firing, a page) on the ticket.

    Send it with an idempotency key naming the cause, so a retry or a second node
    records it once.
    """

    ticket_id: int
    kind: str
    summary: str
    detail: dict[str, Any] = field(default_factory=dict)


def register_queue_setting(name: str, check: Any) -> None:
    """A feature above tickets owns the queue setting ``name`` (the SLA feature's
    ``sla``): ``check(value, conn)`` returns the stored form or raises ValidationError.
    Registered at bootstrap, so tickets never imports that feature."""
    from hub.tickets.queues import register_queue_setting as register

    register(name, check)
