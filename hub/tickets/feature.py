"""Tickets feature wiring."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hub.tickets import handlers
from hub.tickets.projections import QueuesProjection, TicketsProjection

if TYPE_CHECKING:
    from hub.bootstrap import Hub


def register(hub: Hub) -> None:
    handlers.register(hub.bus)
    hub.runner.register(QueuesProjection())
    hub.runner.register(TicketsProjection())


def blueprints() -> list[Any]:
    from hub.tickets.api import bp

    return [bp]
