"""Accounts feature wiring."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hub.accounts import directory_sync, events, handlers, totp_handlers
from hub.accounts.projections import AccessProjection, AccountsProjection, ContactsProjection

#: The features this one uses (checked at start-up).
NEEDS: tuple[str, ...] = ()

if TYPE_CHECKING:
    from hub.bootstrap import Hub


__all__ = ["cli_commands", "events", "register"]


def register(hub: Hub) -> None:
    handlers.register(hub.bus)
    totp_handlers.register(hub.bus, hub.settings)
    directory_sync.register(hub)  # HUB_LDAP_URL: hub.services["directory"]
    hub.runner.register(AccountsProjection())
    hub.runner.register(AccessProjection())
    hub.runner.register(ContactsProjection())


def cli_commands() -> list[Any]:
    """``hub user``, ``hub group``, ``hub grant`` and ``hub revoke``."""
    from hub.accounts.cli import commands

    return commands()
