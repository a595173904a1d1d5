"""Wiki feature wiring: handlers, projections, routes, CLI and OpenAPI paths.

Importing ``hub.wiki.events`` registers the wiki's event types before anything
replays a stream.  The subscription digest is composed and sent by the mail feature
from ``hub.wiki.queries`` reads.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hub.wiki import events

#: The features this one uses (checked at start-up).
NEEDS: tuple[str, ...] = ("tickets",)

if TYPE_CHECKING:
    from flask import Flask

    from hub.bootstrap import Hub

__all__ = ["blueprints", "cli_commands", "events", "init_app", "openapi_paths", "register"]


def register(hub: Hub) -> None:
    """Register this feature's command handlers, projections and render caches."""
    from hub.wiki import handlers
    from hub.wiki.projections import WikiProjection, WikiSubscriptionsProjection
    from hub.wiki.rendering import RenderCache

    handlers.register(hub.bus)
    hub.runner.register(WikiProjection())
    hub.runner.register(WikiSubscriptionsProjection())
    hub.services["wiki_render_cache"] = RenderCache()
    hub.services["wiki_macro_cache"] = RenderCache(1024)


def blueprints() -> list[Any]:
    from hub.wiki.api import bp as api_bp
    from hub.wiki.web import bp as web_bp

    return [api_bp, web_bp]


def init_app(app: Flask) -> None:
    """The JSON API authenticates with bearer tokens (PUT/POST), so CSRF does not apply."""
    from hub.webkit.security import csrf

    csrf.exempt(app.blueprints["wiki_api"])


def cli_commands() -> list[Any]:
    from hub.wiki.cli import wiki_group

    return [wiki_group]


def openapi_paths() -> tuple[dict[str, Any], dict[str, Any]]:
    """The wiki (and search) API paths and component schemas for ``/api/v1/openapi.json``."""
    from hub.wiki.openapi import WIKI_PATHS, WIKI_SCHEMAS

    return WIKI_PATHS, WIKI_SCHEMAS
