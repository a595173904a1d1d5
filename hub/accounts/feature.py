"""Accounts feature wiring."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hub.accounts import events, handlers
from hub.accounts.projections import AccessProjection, AccountsProjection

#: The features this one uses (checked at start-up).
NEEDS: tuple[str, ...] = ()

if TYPE_CHECKING:
    from hub.bootstrap import Hub


__all__ = ["cli_commands", "events", "register"]


def register(hub: Hub) -> None:
    handlers.register(hub.bus)
    hub.runner.register(AccountsProjection())
    hub.runner.register(AccessProjection())


def cli_commands() -> list[Any]:
    """``hub user``, ``hub group``, ``hub grant`` and ``hub revoke``."""
    from hub.accounts.cli import commands

    return commands()
