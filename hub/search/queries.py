"""The search feature's one door: it records nothing, it only answers queries.

Hits are filtered by the same access rules as the pages they point to (tickets by
``hub.tickets.queries``, topics by ``hub.wiki.queries``), so a search never shows
what opening the hit would refuse.
"""

from __future__ import annotations

from hub.search.service import search, search_pages

__all__ = ["search", "search_pages"]
