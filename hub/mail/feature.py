"""Mail feature wiring: handlers, projections, reactions, jobs and routes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hub.bootstrap import Hub


def register(hub: Hub) -> None:
    """Register this feature's command handlers, projections and reactions on the hub."""


def blueprints() -> list[Any]:
    """This feature's Flask blueprints."""
    return []
