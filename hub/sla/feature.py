"""SLA feature wiring: calendars, queue policies, ticket clocks, the alarm job, routes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

#: The features this one uses (checked at start-up).
NEEDS: tuple[str, ...] = ("accounts", "tickets")

if TYPE_CHECKING:
    from flask import Flask

    from hub.bootstrap import Hub


def register(hub: Hub) -> None:
    """Handlers, the projection, the queue ``sla`` setting and the ticket read hooks."""
    from hub.sla import events, handlers  # noqa: F401  (events: the registry)
    from hub.sla.projections import SlaProjection
    from hub.sla.queries import add_sla_fields, list_filter
    from hub.sla.validation import check_queue_sla
    from hub.tickets.commands import register_queue_setting

    handlers.register(hub.bus)
    register_queue_setting("sla", check_queue_sla)
    hub.runner.register(SlaProjection())
    hub.services.setdefault("tickets.extra_fields", []).append(add_sla_fields)
    hub.services.setdefault("tickets.list_filters", {})["sla"] = list_filter
    _register_schedule()


def _register_schedule() -> None:
    from hub.scheduler import register_jobs
    from hub.sla.jobs import add_jobs

    register_jobs(add_jobs)


def blueprints() -> list[Any]:
    from hub.sla.api import bp
    from hub.sla.web import bp as web_bp

    return [bp, web_bp]


def init_app(app: Flask) -> None:
    """The calendar API uses bearer tokens: exempt from CSRF. Desk templates show a
    ticket's SLA through the ``sla_badge`` global registered here."""
    from hub.sla.api import bp
    from hub.sla.web import sla_badges
    from hub.webkit.security import csrf

    csrf.exempt(bp)
    app.jinja_env.globals["sla_badges"] = sla_badges


def openapi_paths() -> tuple[dict[str, Any], dict[str, Any]]:
    from hub.sla.api import PATHS, SCHEMAS

    return PATHS, SCHEMAS


def cli_commands() -> list[Any]:
    from hub.sla.cli import group

    return [group]
