"""SLA command handlers: define a calendar."""

from __future__ import annotations

from typing import Any

from hub.actors import Actor
from hub.messagebus import MessageBus, UnitOfWork
from hub.sla import commands as c
from hub.sla.calendar import check_name
from hub.sla.model import Calendar


def define_calendar(cmd: c.DefineCalendar, uow: UnitOfWork, actor: Actor) -> dict[str, Any]:
    calendar = uow.get(Calendar, check_name(cmd.name), must_exist=False)
    created = not calendar.exists
    changed = calendar.define(actor, cmd.name, dict(cmd.definition))
    return {"name": cmd.name, "created": created, "changed": changed}


def register(bus: MessageBus) -> None:
    bus.register(c.DefineCalendar, define_calendar)
