"""Accounts feature wiring."""

from __future__ import annotations

from typing import TYPE_CHECKING

from hub.accounts import handlers
from hub.accounts.projections import AccessProjection, AccountsProjection

if TYPE_CHECKING:
    from hub.bootstrap import Hub


def register(hub: Hub) -> None:
    handlers.register(hub.bus)
    hub.runner.register(AccountsProjection())
    hub.runner.register(AccessProjection())
