"""The search feature's one door: it records nothing, it only answers queries.

Hits are filtered by the same access rules as the pages they point to (tickets by
``hub.tickets.queries``, topics by ``hub.wiki.queries``), so a search never shows
what opening the hit would refuse.  :func:`index_health` tells ``/healthz`` how far
this node's own index is behind the store (a new node catching up shows it there).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hub.search.index import index_of
from hub.search.service import search, search_pages
from hub.search.tracking import position

if TYPE_CHECKING:
    from hub.bootstrap import Hub

__all__ = ["index_health", "search", "search_pages"]


def index_health(hub: Hub) -> dict[str, int]:
    """``{"position": P, "head": H}`` of this node's index, for ``GET /healthz``."""
    with hub.engine.connect() as conn:
        head = hub.store.last_position(conn)
    return {"position": position(hub, index_of(hub)), "head": head}
