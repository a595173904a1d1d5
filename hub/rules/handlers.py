"""Command handlers of the rules feature: load, check, record."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import TYPE_CHECKING, Any

from hub.actors import Actor
from hub.domain import NotFoundError, PermissionDeniedError, ValidationError
from hub.durations import DurationError, parse_duration
from hub.eventstore import utcnow
from hub.rules import commands as c
from hub.rules.model import Reminder, Rule
from hub.rules.projections import parse_utc
from hub.rules.spec import check_name, merged, normalise
from hub.tickets import commands as tc
from hub.tickets.queries import iso

if TYPE_CHECKING:
    from hub.messagebus import MessageBus, UnitOfWork

MAX_NOTE = 2000
LONGEST_REMINDER = dt.timedelta(days=366)


def _require_admin(actor: Actor) -> None:
    if not (actor.is_system or actor.role == "admin"):
        raise PermissionDeniedError("only admins change rules")


def define_rule(cmd: c.DefineRule, uow: UnitOfWork, actor: Actor) -> dict[str, Any]:
    _require_admin(actor)
    spec = normalise(cmd.body)
    rule = uow.get(Rule, spec["name"], must_exist=False)
    rule.define(actor, spec)
    return {**rule.spec, "version": rule.version + len(rule.pending)}


def change_rule(cmd: c.ChangeRule, uow: UnitOfWork, actor: Actor) -> dict[str, Any]:
    _require_admin(actor)
    rule = uow.get(Rule, check_name(cmd.name), must_exist=False)
    if not rule.live:
        raise NotFoundError(f"rule {cmd.name} not found")
    body = merged(rule.spec, cmd.body) if cmd.patch else cmd.body
    rule.change(actor, normalise(body, name=rule.spec["name"]))
    return {**rule.spec, "version": rule.version + len(rule.pending)}


def delete_rule(cmd: c.DeleteRule, uow: UnitOfWork, actor: Actor) -> dict[str, Any]:
    _require_admin(actor)
    rule = uow.get(Rule, check_name(cmd.name), must_exist=False)
    rule.delete(actor)
    return {"name": rule.spec["name"], "deleted": True}


def _due(cmd: c.SetReminder) -> dt.datetime:
    now = cmd.now or utcnow()
    if (cmd.in_ is None) == (cmd.at is None):
        raise ValidationError("give either 'in' (e.g. 2h) or 'at' (an ISO 8601 time)",
                              field="in")
    if cmd.in_ is not None:
        try:
            due = now + parse_duration(cmd.in_)
        except DurationError as exc:
            raise ValidationError(str(exc), field="in") from exc
    else:
        try:
            due = parse_utc(str(cmd.at))
        except (ValueError, OverflowError) as exc:
            raise ValidationError("'at' is an ISO 8601 time, e.g. 2026-03-01T09:00:00Z",
                                  field="at") from exc
        if due <= now:
            raise ValidationError("'at' is in the past", field="at")
    if due - now > LONGEST_REMINDER:
        raise ValidationError("a reminder is due within a year", field="at" if cmd.at else "in")
    return due


def set_reminder(cmd: c.SetReminder, uow: UnitOfWork, actor: Actor) -> dict[str, Any]:
    ticket = tc.load_visible_ticket(uow, cmd.ticket_id, actor)
    if not actor.is_staff or actor.is_system:
        raise PermissionDeniedError("reminders are for staff")
    if not isinstance(cmd.note, str) or len(cmd.note) > MAX_NOTE:
        raise ValidationError(f"'note' is text of at most {MAX_NOTE} characters", field="note")
    due = _due(cmd)
    reminder = uow.get(Reminder, uuid.uuid4().hex[:16], must_exist=False)
    reminder.set(actor, ticket_id=ticket.number, due=str(iso(due)), note=cmd.note.strip())
    return {"id": reminder.id, "ticket_id": ticket.number, "due": iso(due),
            "note": reminder.note, "by": actor.name, "state": "pending"}


def cancel_reminder(cmd: c.CancelReminder, uow: UnitOfWork, actor: Actor) -> dict[str, Any]:
    ticket = tc.load_visible_ticket(uow, cmd.ticket_id, actor)
    if not actor.is_staff:
        raise PermissionDeniedError("reminders are for staff")
    reminder = uow.get(Reminder, cmd.reminder_id, must_exist=False)
    if not reminder.exists or reminder.ticket_id != ticket.number:
        raise NotFoundError(f"reminder {cmd.reminder_id} not found")
    reminder.cancel(actor)
    return {"id": reminder.id, "state": reminder.state}


def fire_reminder(cmd: c.FireReminder, uow: UnitOfWork, actor: Actor) -> dict[str, Any]:
    reminder = uow.get(Reminder, cmd.reminder_id)
    fired = reminder.fire(actor)
    return {"id": reminder.id, "fired": fired, "ticket_id": reminder.ticket_id}


def register(bus: MessageBus) -> None:
    bus.register(c.DefineRule, define_rule)
    bus.register(c.ChangeRule, change_rule)
    bus.register(c.DeleteRule, delete_rule)
    bus.register(c.SetReminder, set_reminder)
    bus.register(c.CancelReminder, cancel_reminder)
    bus.register(c.FireReminder, fire_reminder)
