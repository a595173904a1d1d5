"""Accounts feature wiring."""

from __future__ import annotations

from typing import TYPE_CHECKING

from hub.accounts import events, handlers
from hub.accounts.projections import AccessProjection, AccountsProjection

#: The features this one uses (checked at start-up).
NEEDS: tuple[str, ...] = ()

if TYPE_CHECKING:
    from hub.bootstrap import Hub


__all__ = ["events", "register"]


def register(hub: Hub) -> None:
    handlers.register(hub.bus)
    hub.runner.register(AccountsProjection())
    hub.runner.register(AccessProjection())
