"""Search feature wiring: the index service, its indexer (a node-local reactor), routes."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

#: The features this one uses (checked at start-up).
NEEDS: tuple[str, ...] = ("accounts", "tickets", "wiki")

if TYPE_CHECKING:
    from flask import Flask

    from hub.bootstrap import Hub


def register(hub: Hub) -> None:
    """Create the hub's index object and let the reactor worker keep it current."""
    from hub.search.index import SearchIndex
    from hub.search.indexer import SearchIndexer, rebuild
    from hub.search.service import search_pages
    from hub.wiki.commands import register_page_search

    hub.services["search_index"] = SearchIndex(Path(hub.settings.data_dir) / "index")
    # Non-SQL projections: name -> rebuild(hub, progress) for `hub projections rebuild`.
    hub.services.setdefault("rebuilders", {})["search"] = rebuild
    hub.reactors.append(SearchIndexer())
    register_page_search(hub, search_pages)  # the wiki's %SEARCH% macro


def blueprints() -> list[Any]:
    from hub.search.views import api_bp, web_bp

    return [api_bp, web_bp]


def init_app(app: Flask) -> None:
    from hub.webkit.security import csrf

    csrf.exempt(app.blueprints["search_api"])


def cli_commands() -> list[Any]:
    from hub.search.cli import search_group

    return [search_group]
