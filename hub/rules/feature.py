"""Rules feature wiring: handlers, projections, the rule engine, the timed job, routes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hub.rules import (
    events,  # noqa: F401  (registers the event types)
    handlers,
)
from hub.rules.engine import RuleEngine
from hub.rules.projections import (
    RemindersProjection,
    RulesProjection,
    TicketActivityProjection,
)

#: The features this one uses (checked at start-up).
NEEDS: tuple[str, ...] = ("tickets", "accounts", "channels", "oncall")

if TYPE_CHECKING:
    from flask import Flask

    from hub.bootstrap import Hub


def register(hub: Hub) -> None:
    handlers.register(hub.bus)
    hub.runner.register(RulesProjection())
    hub.runner.register(RemindersProjection())
    hub.runner.register(TicketActivityProjection())
    hub.reactors.append(RuleEngine())
    _register_schedules()



def _register_schedules() -> None:
    from hub.rules.timed import add_jobs
    from hub.scheduler import register_jobs

    register_jobs(add_jobs)

def blueprints() -> list[Any]:
    from hub.rules.api import bp as api_bp
    from hub.rules.web import bp as web_bp
    from hub.rules.web_admin import bp as admin_bp

    return [api_bp, web_bp, admin_bp]


def init_app(app: Flask) -> None:
    """The JSON API takes bearer tokens (no CSRF); the ticket page's reminders box reads
    through the ``ticket_reminders_box`` global."""
    from hub.rules.api import bp as api_bp
    from hub.rules.web import ticket_reminders_box
    from hub.webkit.security import csrf

    csrf.exempt(api_bp)
    app.jinja_env.globals["ticket_reminders_box"] = ticket_reminders_box


def cli_commands() -> list[Any]:
    """``hub rules list``."""
    from hub.rules.cli import group

    return [group]


def openapi_paths() -> tuple[dict[str, Any], dict[str, Any]]:
    from hub.rules.openapi import paths

    return paths()
