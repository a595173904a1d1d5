"""Web feature wiring: sessions, CSRF, security headers and the desk pages."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask

    from hub.bootstrap import Hub


def register(hub: Hub) -> None:
    """The web has no command handlers of its own: it sends ticket and account commands."""


def init_app(app: Flask) -> None:
    """Per-app set-up that blueprints alone cannot express."""
    from hub.web import security
    from hub.web.auth import load_session_actor

    security.init_app(app)
    app.before_request(load_session_actor)
    for name in ("tickets_api",):
        blueprint = app.blueprints.get(name)
        if blueprint is not None:
            security.csrf.exempt(blueprint)


def blueprints() -> list[Any]:
    from hub.web.auth import bp as auth_bp
    from hub.web.desk import bp as desk_bp

    return [auth_bp, desk_bp]
