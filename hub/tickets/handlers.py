"""Ticket command handlers: load aggregates, grant the actor's rights, call the model."""

from __future__ import annotations

import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa

from hub.accounts.commands import load_user
from hub.accounts.queries import profile_rights, rights_for
from hub.actors import Actor
from hub.db import next_sequence
from hub.domain import (
    NotFoundError,
    PermissionDeniedError,
    StaleVersionError,
    ValidationError,
)
from hub.messagebus import MessageBus, UnitOfWork
from hub.tickets import commands as c
from hub.tickets.model import LINK_KINDS, Ticket
from hub.tickets.queues import Queue, QueueSpec, checked_settings
from hub.tickets.snapshot import from_snapshot
from hub.tickets.tables import tickets

MAX_MERGE_HOPS = 20


def load_queue(uow: UnitOfWork, name: str) -> Queue:
    queue = uow.get(Queue, name.lower(), must_exist=False)
    if not queue.exists or queue.disabled:
        raise NotFoundError(f"queue {name} not found")
    return queue


_SPECS: dict[tuple[int, str], tuple[int, QueueSpec, bool]] = {}
# What queue_spec found in one unit of work, so a command that asks again (an alert's
# "is the ticket active?", then its note) costs no second version query.
_SEEN_SPECS: weakref.WeakKeyDictionary[UnitOfWork, dict[str, tuple[int, QueueSpec, bool]]] = (
    weakref.WeakKeyDictionary())


def queue_spec(uow: UnitOfWork, name: str) -> QueueSpec:
    """A queue's settings, cached per stream version: checking the version is one cheap
    query, while replaying the queue's events (lifecycles, field specs) is not."""
    stream_id = Queue.stream_id_for(name.lower())
    cached = uow.loaded(stream_id)
    if isinstance(cached, Queue):
        if not cached.exists or cached.disabled:
            raise NotFoundError(f"queue {name} not found")
        return cached.spec
    seen = _SEEN_SPECS.setdefault(uow, {})
    hit = seen.get(stream_id)
    if hit is None:
        version = uow.stream_version(stream_id)
        key = (uow.engine_key, stream_id)  # one process may serve several hubs (tests)
        hit = _SPECS.get(key)
        if hit is None or hit[0] != version:
            queue = load_queue(uow, name) if version else None
            if queue is None:
                raise NotFoundError(f"queue {name} not found")
            hit = (version, queue.spec, queue.disabled)
            _SPECS[key] = hit
        seen[stream_id] = hit
    if hit[2]:
        raise NotFoundError(f"queue {name} not found")
    return hit[1]


_SNAPSHOT = sa.select(tickets.c.state).where(tickets.c.id == sa.bindparam("ticket_id"))


def _get_ticket(uow: UnitOfWork, ticket_id: int) -> Ticket:
    """The ticket from its read-model snapshot when that is at the stream's version
    (two cheap queries instead of replaying a long stream), else replayed from events.

    The snapshot is advanced by the same appliers in the same transactions as the
    events, so at equal versions it is exactly the replayed state.
    """
    stream_id = Ticket.stream_id_for(ticket_id)
    cached = uow.loaded(stream_id)
    if isinstance(cached, Ticket):
        return cached
    row = uow.conn.execute(_SNAPSHOT, {"ticket_id": int(ticket_id)}).first()
    if row is not None and row.state["version"] == uow.stream_version(stream_id):
        ticket = from_snapshot(row.state)
        uow.add(ticket)
        return ticket
    return uow.get(Ticket, ticket_id, must_exist=False)


def load_ticket(uow: UnitOfWork, ticket_id: int) -> Ticket:
    """Load a ticket, following merges so an old number reaches the survivor."""
    if not 0 < int(ticket_id) < 2**63:
        raise NotFoundError(f"ticket {ticket_id} not found")
    ticket = _get_ticket(uow, ticket_id)
    hops = 0
    while ticket.merged_into is not None and hops < MAX_MERGE_HOPS:
        ticket = _get_ticket(uow, ticket.merged_into)
        hops += 1
    if not ticket.exists:
        raise NotFoundError(f"ticket {ticket_id} not found")
    return ticket


def load_visible_ticket(uow: UnitOfWork, ticket_id: int, actor: Actor) -> Ticket:
    """Like load_ticket, but a ticket the actor may not see is "not found" (not 403),
    so customers cannot learn which ticket numbers exist."""
    ticket = load_ticket(uow, ticket_id)
    rights = rights_for(actor, ticket_roles=ticket.roles_of(actor), queue=ticket.queue)
    if not actor.is_system and "ShowTicket" not in rights:
        raise NotFoundError(f"ticket {ticket_id} not found")
    return ticket


def acting(actor: Actor, queue: QueueSpec, ticket: Ticket | None = None) -> Actor:
    """The actor with exactly the rights it holds on this queue and ticket.

    The access profile (``acl:`` strings) is carried over so that acting again on
    another queue (a move, a merge) evaluates from the same grants.
    """
    roles = ticket.roles_of(actor) if ticket is not None else set()
    return actor.with_rights(profile_rights(actor) | rights_for(
        actor, ticket_roles=roles, customers_may_create=queue.customers_may_create,
        queue=queue.name))


def _may_own(uow: UnitOfWork, name: str) -> bool:
    user = load_user(uow, name)
    if user is None:
        raise ValidationError(f"unknown user {name!r}")
    return user.is_staff and not user.disabled


def queue_exists(uow: UnitOfWork, key: str) -> bool:
    """Whether a queue stream ``key`` exists (disabled or not): accounts' grant scopes."""
    return uow.get(Queue, key.lower(), must_exist=False).exists


def create_queue(cmd: c.CreateQueue, uow: UnitOfWork, actor: Actor) -> dict[str, Any]:
    queue = uow.get(Queue, cmd.name.lower(), must_exist=False)
    owned = checked_settings(uow.conn, {"sla": cmd.sla,
                                        "escalation_policy": cmd.escalation_policy})
    queue.create(actor, name=cmd.name, description=cmd.description, address=cmd.address,
                 comment_address=cmd.comment_address, lifecycle=cmd.lifecycle,
                 custom_fields=cmd.custom_fields, reopen_policy=cmd.reopen_policy,
                 customers_may_create=cmd.customers_may_create, **owned)
    return {"name": cmd.name}


def change_queue(cmd: c.ChangeQueue, uow: UnitOfWork, actor: Actor) -> None:
    queue = load_queue(uow, cmd.name)
    queue.change(actor, **checked_settings(uow.conn, cmd.changes))


def create_ticket(cmd: c.CreateTicket, uow: UnitOfWork, actor: Actor) -> dict[str, Any]:
    queue = queue_spec(uow, cmd.queue)
    if cmd.owner is not None and not _may_own(uow, cmd.owner):
        raise ValidationError(f"{cmd.owner} may not own tickets")
    number = next_sequence(uow.conn, "ticket")
    ticket = Ticket(str(number))
    ticket.create(acting(actor, queue), queue, subject=cmd.subject, body=cmd.body,
                  requestors=cmd.requestors, cc=cmd.cc, admincc=cmd.admincc,
                  priority=cmd.priority, due=cmd.due, fields=cmd.fields, owner=cmd.owner,
                  status=cmd.status, content_type=cmd.content_type, extra=cmd.extra)
    uow.add(ticket)
    return {"id": number}


def correspond(cmd: c.Correspond, uow: UnitOfWork, actor: Actor) -> dict[str, Any]:
    ticket = load_visible_ticket(uow, cmd.ticket_id, actor)
    queue = queue_spec(uow, ticket.queue)
    ticket.correspond(acting(actor, queue, ticket), queue, cmd.body, cmd.extra)
    return {"id": ticket.number}


def comment(cmd: c.Comment, uow: UnitOfWork, actor: Actor) -> dict[str, Any]:
    ticket = load_visible_ticket(uow, cmd.ticket_id, actor)
    queue = queue_spec(uow, ticket.queue)
    ticket.comment(acting(actor, queue, ticket), cmd.body, cmd.extra)
    return {"id": ticket.number}


def open_dependencies(uow: UnitOfWork, ticket: Ticket) -> list[int]:
    still_open = []
    for other_id in ticket.links["depends_on"]:
        try:
            other = load_ticket(uow, other_id)
        except NotFoundError:
            continue
        if queue_spec(uow, other.queue).lifecycle.is_active(other.status):
            still_open.append(other.number)
    return still_open


def update_ticket(cmd: c.UpdateTicket, uow: UnitOfWork, actor: Actor) -> dict[str, Any]:
    ticket = load_visible_ticket(uow, cmd.ticket_id, actor)
    if cmd.expected_version is not None and ticket.version != cmd.expected_version:
        raise StaleVersionError(
            f"ticket {ticket.number} is at version {ticket.version}",
            version=ticket.version,
        )
    queue = queue_spec(uow, ticket.queue)
    who = acting(actor, queue, ticket)
    if cmd.queue is not None and cmd.queue.lower() != ticket.queue.lower():
        target = queue_spec(uow, cmd.queue)
        with _field("queue"):
            ticket.move(who, target, acting(actor, target).can("CreateTicket"))
        queue = target
        who = acting(actor, queue, ticket)
    if cmd.fields:
        with _field("fields"):
            ticket.set_fields(who, queue, cmd.fields)
    if cmd.owner_set:
        may_own = cmd.owner is None or _may_own(uow, cmd.owner)
        how = "take" if cmd.owner == actor.name else ("untake" if cmd.owner is None else "assign")
        with _field("owner"):
            ticket.set_owner(who, cmd.owner, how=how, new_owner_may_own=may_own)
    if cmd.priority is not None:
        with _field("priority"):
            ticket.set_priority(who, cmd.priority)
    if cmd.subject is not None:
        with _field("subject"):
            ticket.set_subject(who, cmd.subject)
    if cmd.due_set:
        with _field("due"):
            ticket.set_due(who, cmd.due)
    if cmd.status is not None:
        deps = open_dependencies(uow, ticket) if cmd.status == queue.lifecycle.resolved else []
        with _field("status"):
            ticket.change_status(who, queue, cmd.status, open_dependencies=deps,
                                 force=cmd.force)
    return {"id": ticket.number}


@contextmanager
def _field(name: str) -> Iterator[None]:
    """Name the field in a refusal, so the caller learns which change was not allowed."""
    try:
        yield
    except PermissionDeniedError as exc:
        exc.details.setdefault("field", name)
        raise


def change_owner(cmd: c.ChangeOwner, uow: UnitOfWork, actor: Actor) -> dict[str, Any]:
    ticket = load_visible_ticket(uow, cmd.ticket_id, actor)
    queue = queue_spec(uow, ticket.queue)
    new = actor.name if cmd.how in ("take", "steal") else cmd.owner
    if cmd.how == "untake":
        new = None
    may_own = new is None or _may_own(uow, new)
    ticket.set_owner(acting(actor, queue, ticket), new, how=cmd.how, new_owner_may_own=may_own)
    return {"id": ticket.number}


def change_watcher(cmd: c.ChangeWatcher, uow: UnitOfWork, actor: Actor) -> dict[str, Any]:
    ticket = load_visible_ticket(uow, cmd.ticket_id, actor)
    queue = queue_spec(uow, ticket.queue)
    ticket.watch(acting(actor, queue, ticket), cmd.role, cmd.address, cmd.add)
    return {"id": ticket.number}


def link_tickets(cmd: c.LinkTickets, uow: UnitOfWork, actor: Actor) -> dict[str, Any]:
    ticket = load_visible_ticket(uow, cmd.ticket_id, actor)
    other = load_visible_ticket(uow, cmd.target, actor)
    queue = queue_spec(uow, ticket.queue)
    if cmd.kind not in LINK_KINDS:
        raise ValidationError(f"link kind is one of {sorted(LINK_KINDS)}")
    ticket.link(acting(actor, queue, ticket), cmd.kind, other.number, cmd.add)
    other.link(actor, LINK_KINDS[cmd.kind], ticket.number, cmd.add, reverse=True)
    return {"id": ticket.number}


def merge_tickets(cmd: c.MergeTickets, uow: UnitOfWork, actor: Actor) -> dict[str, Any]:
    ticket = load_visible_ticket(uow, cmd.ticket_id, actor)
    survivor = load_visible_ticket(uow, cmd.into, actor)
    queue = queue_spec(uow, ticket.queue)
    target_queue = queue_spec(uow, survivor.queue)
    if not acting(actor, target_queue, survivor).can("ModifyTicket"):
        raise PermissionDeniedError("merging needs ModifyTicket on both tickets")
    ticket.merge_into(acting(actor, queue, ticket), survivor)
    return {"id": survivor.number}


def record_time(cmd: c.RecordTime, uow: UnitOfWork, actor: Actor) -> dict[str, Any]:
    ticket = load_visible_ticket(uow, cmd.ticket_id, actor)
    queue = queue_spec(uow, ticket.queue)
    ticket.record_time(acting(actor, queue, ticket), cmd.minutes, cmd.user)
    return {"id": ticket.number}


def record_delivery_failure(cmd: c.RecordDeliveryFailure, uow: UnitOfWork,
                            actor: Actor) -> dict[str, Any]:
    ticket = load_visible_ticket(uow, cmd.ticket_id, actor)
    ticket.record_delivery_failure(actor, recipient=cmd.recipient, status=cmd.status,
                                   diagnostic=cmd.diagnostic, message_id=cmd.message_id,
                                   permanent=cmd.permanent)
    return {"id": ticket.number}


def record_ticket_activity(cmd: c.RecordTicketActivity, uow: UnitOfWork,
                           actor: Actor) -> dict[str, Any]:
    ticket = load_visible_ticket(uow, cmd.ticket_id, actor)
    ticket.record_activity(actor, kind=cmd.kind, summary=cmd.summary, detail=dict(cmd.detail))
    return {"id": ticket.number}


def register(bus: MessageBus) -> None:
    bus.register(c.RecordDeliveryFailure, record_delivery_failure)
    bus.register(c.RecordTicketActivity, record_ticket_activity)
    bus.register(c.CreateQueue, create_queue)
    bus.register(c.ChangeQueue, change_queue)
    bus.register(c.CreateTicket, create_ticket)
    bus.register(c.Correspond, correspond)
    bus.register(c.Comment, comment)
    bus.register(c.UpdateTicket, update_ticket)
    bus.register(c.ChangeOwner, change_owner)
    bus.register(c.ChangeWatcher, change_watcher)
    bus.register(c.LinkTickets, link_tickets)
    bus.register(c.MergeTickets, merge_tickets)
    bus.register(c.RecordTime, record_time)
