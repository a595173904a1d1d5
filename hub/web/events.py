"""What the desk records: saved ticket searches, one stream per user."""

from __future__ import annotations

from dataclasses import dataclass

from hub.event_registry import Event, event


@event
@dataclass(frozen=True)
class SearchSaved(Event):
    """``query`` holds the search page's parameters, so it shows today's tickets."""

    search_id: int
    name: str
    query: dict[str, str]


@event
@dataclass(frozen=True)
class SearchDeleted(Event):
    search_id: int
