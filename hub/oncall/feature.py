"""On-call feature wiring: handlers, the read model, reactors, the escalation job, routes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hub.domain import ValidationError
from hub.oncall import events, handlers  # noqa: F401  (events: registers the types)
from hub.oncall.acks import PageAcks
from hub.oncall.deliveries import PageDeliveryMirror
from hub.oncall.projections import OnCallProjection
from hub.oncall.queries import find_policy
from hub.oncall.reactors import PageMirror, PageNotifier, PageStarter
from hub.tickets.commands import register_queue_setting

#: The features this one uses (checked at start-up).
NEEDS: tuple[str, ...] = ("accounts", "tickets", "ops", "channels")

if TYPE_CHECKING:
    from flask import Flask

    from hub.bootstrap import Hub


def register(hub: Hub) -> None:
    """Register the commands, the read model, the page reactors and the escalation job."""
    handlers.register(hub.bus)
    hub.runner.register(OnCallProjection(hub.store))
    hub.reactors.append(PageStarter())
    hub.reactors.append(PageNotifier())
    hub.reactors.append(PageMirror())
    hub.reactors.append(PageAcks())
    hub.reactors.append(PageDeliveryMirror())
    register_queue_setting("escalation_policy", check_queue_policy)
    _register_schedules()


def check_queue_policy(value: Any, conn: Any) -> str | None:
    """A queue's ``escalation_policy`` must name a policy that exists (or be empty)."""
    if value is None or value == "":
        return None
    if not isinstance(value, str) or find_policy(conn, value) is None:
        raise ValidationError(f"escalation policy {value!r} not found "
                              "(PUT /api/v1/oncall/policies/NAME first)",
                              field="escalation_policy")
    return value



def _register_schedules() -> None:
    from hub.oncall.jobs import add_jobs
    from hub.scheduler import register_jobs

    register_jobs(add_jobs)

def blueprints() -> list[Any]:
    from hub.oncall.api import bp as api_bp
    from hub.oncall.web import bp as web_bp
    from hub.oncall.web_board import bp as board_bp

    return [api_bp, web_bp, board_bp]


def init_app(app: Flask) -> None:
    """The JSON API uses bearer tokens (no CSRF there); the ticket page and the desk
    include the on-call boxes, which read through the globals registered here."""
    from hub.oncall.api import bp as api_bp
    from hub.oncall.web import oncall_desk_box, ticket_pages_box
    from hub.webkit.security import csrf

    csrf.exempt(api_bp)
    app.jinja_env.globals["ticket_pages_box"] = ticket_pages_box
    app.jinja_env.globals["oncall_desk_box"] = oncall_desk_box


def cli_commands() -> list[Any]:
    """``hub oncall now [SCHEDULE]``."""
    from hub.oncall.cli import group

    return [group]


def openapi_paths() -> tuple[dict[str, Any], dict[str, Any]]:
    from hub.oncall.openapi import paths

    return paths()
