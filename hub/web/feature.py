"""Web feature wiring: sessions, CSRF, security headers, the desk pages and their data.

The desk owns saved searches (commands, projection) and the ticket-rate reactor
that feeds the dashboard's RRD files (reads count quiet time as zero, so no job
has to write zeros through quiet hours).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hub.web import events

#: The features this one uses (checked at start-up).
NEEDS: tuple[str, ...] = ("accounts", "ops", "tickets")

if TYPE_CHECKING:
    from flask import Flask

    from hub.bootstrap import Hub


__all__ = ["blueprints", "events", "init_app", "register"]


def register(hub: Hub) -> None:
    from hub.web import searches
    from hub.web.metrics import TicketRatesReactor

    searches.register(hub.bus)
    hub.runner.register(searches.SavedSearchesProjection())
    hub.reactors.append(TicketRatesReactor())


def init_app(app: Flask) -> None:
    """Per-app set-up that blueprints alone cannot express."""
    from hub.web import errors, local_time, menu
    from hub.webkit import security
    from hub.webkit.auth import load_session_actor

    security.init_app(app)
    app.before_request(load_session_actor)
    errors.install(app)
    local_time.install(app)
    menu.install(app)
    for name in ("tickets_api", "admin_api"):
        blueprint = app.blueprints.get(name)
        if blueprint is not None:
            security.csrf.exempt(blueprint)


def blueprints() -> list[Any]:
    from hub.web import (  # noqa: F401 (routes)
        account_totp_views,
        account_views,
        admin_access_views,
        admin_queue_views,
        admin_views,
        dashboard,
        local_time,
        ticket_views,
    )
    from hub.web.admin_api import bp as admin_api_bp
    from hub.web.desk import bp as desk_bp
    from hub.webkit.auth import bp as auth_bp
    from hub.webkit.second_factor import bp as second_factor_bp

    return [auth_bp, second_factor_bp, desk_bp, admin_api_bp]
