"""The feature packages of the hub, wired in one place.

Each feature module named here may define ``register(hub)`` (command handlers,
projections, reactions, scheduler jobs) and ``blueprints()`` (its web and API
routes). Order matters only for projections: earlier ones are applied first.

A feature that uses another says so in ``NEEDS`` (names such as ``"tickets"``);
the hub refuses to start when a needed feature is not wired here, so a missing
piece is an error at start-up instead of a path that silently does nothing.
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
    "hub.sla.feature",
    "hub.channels.feature",
    "hub.oncall.feature",
    "hub.rules.feature",
)


TABLE_MODULES = tuple(f"hub.{name}.tables" for name in (
    "accounts", "tickets", "web", "mail", "ops", "wiki", "search", "runbooks",
    "sla",
    "channels", "oncall", "rules"))


def load_tables() -> None:
    """Import every feature's table declarations so ``hub.db.metadata`` is complete."""
    for name in TABLE_MODULES:
        importlib.import_module(name)


def modules() -> list[ModuleType]:
    return [importlib.import_module(name) for name in FEATURES]


class FeatureWiringError(Exception):
    """A feature needs another that is not wired in :data:`FEATURES`."""


def feature_name(module: ModuleType) -> str:
    return module.__name__.split(".")[1]


def check_needs(loaded: list[ModuleType]) -> None:
    wired = {feature_name(m) for m in loaded}
    for module in loaded:
        missing = sorted(set(getattr(module, "NEEDS", ())) - wired)
        if missing:
            raise FeatureWiringError(
                f"feature {feature_name(module)} needs {', '.join(missing)}, not wired")


def register_all(hub: Any) -> None:
    check_needs(modules())
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


def openapi_paths() -> tuple[dict[str, Any], dict[str, Any]]:
    """``(paths, component schemas)`` that features add to the OpenAPI document.

    A feature module may define ``openapi_paths()`` returning the same pair, so its
    API is described next to its routes and ``hub.openapi`` imports no feature.
    """
    paths: dict[str, Any] = {}
    schemas: dict[str, Any] = {}
    for module in modules():
        describe = getattr(module, "openapi_paths", None)
        if describe is not None:
            more_paths, more_schemas = describe()
            paths.update(more_paths)
            schemas.update(more_schemas)
    return paths, schemas


def services(hub: Any, **options: Any) -> list[Any]:
    """Start the background services features run beside the web (``hub serve``).

    A feature module may define ``services(hub, **options)`` returning the functions
    that stop what it started (e.g. mail's SMTP gateway and its workers); options it
    does not know it ignores. Stop them in reverse order.
    """
    out: list[Any] = []
    for module in modules():
        start = getattr(module, "services", None)
        if start is not None:
            out.extend(start(hub, **options))
    return out
