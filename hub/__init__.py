"""OpsHub: an event-sourced ticketing and knowledge hub that orchestrates operations."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, jsonify
from werkzeug.routing import IntegerConverter

from hub.bootstrap import Hub, bootstrap
from hub.config import Settings, load_settings


class BoundedIntConverter(IntegerConverter):
    """Integers in URLs fit a 64-bit column; larger ones are simply not found (404)."""

    def __init__(self, map: Any, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max", 2**63 - 1)
        super().__init__(map, *args, **kwargs)


def create_app(config: Settings | Hub | dict[str, Any] | None = None) -> Flask:
    """Application factory: one Flask app per hub, feature blueprints registered here."""
    if isinstance(config, Hub):
        hub = config
    elif isinstance(config, Settings):
        hub = bootstrap(config)
    else:
        hub = bootstrap(load_settings(**(config or {})))
    app = Flask(__name__)
    app.url_map.converters["int"] = BoundedIntConverter
    app.config.update(
        SECRET_KEY=hub.settings.secret_key,
        MAX_CONTENT_LENGTH=hub.settings.max_body_bytes,
        JSON_SORT_KEYS=False,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_NAME="hub_session",
        SESSION_COOKIE_SECURE=hub.settings.secure_cookies,
    )
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.extensions["hub"] = hub

    from hub.features import all_blueprints, init_apps
    from hub.httpapi import install_error_handlers
    from hub.openapi import bp as openapi_bp

    install_error_handlers(app)
    app.register_blueprint(openapi_bp)
    for blueprint in all_blueprints():
        app.register_blueprint(blueprint)
    init_apps(app)

    @app.get("/healthz")
    def healthz() -> Response:
        """Liveness, plus what an operator must see: parked reactions (never lost quietly)."""
        from hub.reactor_failures import parked_count
        from hub.search.queries import index_health

        with hub.engine.connect() as conn:
            parked = parked_count(conn)
        return jsonify({"status": "ok", "node": hub.settings.node_name,
                        "parked_reactions": parked, "search": index_health(hub)})

    return app
