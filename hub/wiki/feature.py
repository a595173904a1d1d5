"""Wiki feature wiring: handlers, projections, the digest job, routes and CLI."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask

    from hub.bootstrap import Hub


def register(hub: Hub) -> None:
    """Register this feature's command handlers, projections and scheduler job."""
    from hub.wiki import digest, handlers
    from hub.wiki.projections import WikiProjection, WikiSubscriptionsProjection
    from hub.wiki.rendering import RenderCache

    handlers.register(hub.bus)
    hub.runner.register(WikiProjection())
    hub.runner.register(WikiSubscriptionsProjection())
    digest.register_job()
    hub.services["wiki_render_cache"] = RenderCache()
    hub.services["wiki_macro_cache"] = RenderCache(1024)


def blueprints() -> list[Any]:
    from hub.wiki.api import bp as api_bp
    from hub.wiki.web import bp as web_bp

    return [api_bp, web_bp]


def init_app(app: Flask) -> None:
    """The JSON API authenticates with bearer tokens (PUT/POST), so CSRF does not apply."""
    from hub.web.security import csrf

    csrf.exempt(app.blueprints["wiki_api"])


def cli_commands() -> list[Any]:
    from hub.wiki.cli import wiki_group

    return [wiki_group]
