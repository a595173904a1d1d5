"""The feature packages of the hub, wired in one place.

Each feature module named here may define ``register(hub)`` (command handlers,
projections, reactions, scheduler jobs) and ``blueprints()`` (its web and API
routes). Order matters only for projections: earlier ones are applied first.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

FEATURES = (
    "hub.accounts.feature",
    "hub.tickets.feature",
    "hub.web.feature",
    "hub.mail.feature",
    "hub.ops.feature",
    "hub.wiki.feature",
    "hub.search.feature",
    "hub.runbooks.feature",
)


def modules() -> list[ModuleType]:
    return [importlib.import_module(name) for name in FEATURES]


def register_all(hub: Any) -> None:
    for module in modules():
        register = getattr(module, "register", None)
        if register is not None:
            register(hub)


def all_blueprints() -> list[Any]:
    out: list[Any] = []
    for module in modules():
        blueprints = getattr(module, "blueprints", None)
        if blueprints is not None:
            out.extend(blueprints())
    return out


def init_apps(app: Any) -> None:
    """Let features that need app-level hooks (CSRF, headers, sessions) install them."""
    for module in modules():
        init_app = getattr(module, "init_app", None)
        if init_app is not None:
            init_app(app)


def cli_commands() -> list[Any]:
    """Click commands or groups that features add to ``hub`` (e.g. ``hub wiki import``)."""
    out: list[Any] = []
    for module in modules():
        commands = getattr(module, "cli_commands", None)
        if commands is not None:
            out.extend(commands())
    return out
