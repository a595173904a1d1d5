"""Tickets feature wiring."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hub.accounts.commands import register_scope_check
from hub.tickets import events, handlers
from hub.tickets.projections import QueuesProjection, TicketsProjection

#: The features this one uses (checked at start-up).
NEEDS: tuple[str, ...] = ("accounts",)

if TYPE_CHECKING:
    from hub.bootstrap import Hub


__all__ = ["blueprints", "events", "register"]


def register(hub: Hub) -> None:
    handlers.register(hub.bus)
    register_scope_check(handlers.queue_exists)
    hub.runner.register(QueuesProjection())
    hub.runner.register(TicketsProjection())


def blueprints() -> list[Any]:
    from hub.tickets.api import bp

    return [bp]
