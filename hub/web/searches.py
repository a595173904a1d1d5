"""Saved ticket searches, one event stream per user (no Flask here).

A saved search is only a name and the query parameters of the search page, so
a search saved today shows today's tickets when opened next week.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from hub.actors import Actor
from hub.domain import Aggregate, NotFoundError, PermissionDeniedError, ValidationError
from hub.eventstore import StoredEvent
from hub.messagebus import MessageBus, UnitOfWork
from hub.projections import TableProjection
from hub.web.commands import DeleteSearch, SaveSearch
from hub.web.events import SearchDeleted, SearchSaved
from hub.web.tables import saved_searches

SEARCH_KEYS = ("queue", "status", "owner", "requestor", "q", "created_after",
               "created_before", "updated_after", "updated_before", "order")
MAX_SEARCHES = 100


class SavedSearches(Aggregate):
    stream_prefix = "searches"

    def __init__(self, aggregate_id: str) -> None:
        super().__init__(aggregate_id)
        self.searches: dict[int, str] = {}
        self.last_id = 0

    def _owner(self, actor: Actor) -> None:
        if actor.name != self.id and not actor.is_system:
            raise PermissionDeniedError("saved searches belong to their user")

    def save(self, actor: Actor, name: str, query: dict[str, str]) -> int:
        self._owner(actor)
        name = name.strip()
        if not name or len(name) > 200:
            raise ValidationError("a saved search needs a name of 1 to 200 characters")
        if len(self.searches) >= MAX_SEARCHES:
            raise ValidationError(f"at most {MAX_SEARCHES} saved searches")
        clean = {k: str(v)[:500] for k, v in query.items() if k in SEARCH_KEYS and v}
        self._record(SearchSaved(search_id=self.last_id + 1, name=name, query=clean))
        return self.last_id

    def delete(self, actor: Actor, search_id: int) -> None:
        self._owner(actor)
        if search_id not in self.searches:
            raise NotFoundError("no such saved search")
        self._record(SearchDeleted(search_id=search_id))

    def _on_SearchSaved(self, d: dict[str, Any]) -> None:
        self.searches[d["search_id"]] = d["name"]
        self.last_id = max(self.last_id, d["search_id"])

    def _on_SearchDeleted(self, d: dict[str, Any]) -> None:
        self.searches.pop(d["search_id"], None)


def save_search(cmd: SaveSearch, uow: UnitOfWork, actor: Actor) -> dict[str, int]:
    searches = uow.get(SavedSearches, cmd.user, must_exist=False)
    search_id = searches.save(actor, cmd.name, cmd.query)
    uow.add(searches)
    return {"id": search_id}


def delete_search(cmd: DeleteSearch, uow: UnitOfWork, actor: Actor) -> None:
    uow.get(SavedSearches, cmd.user, must_exist=False).delete(actor, cmd.search_id)


def register(bus: MessageBus) -> None:
    bus.register(SaveSearch, save_search)
    bus.register(DeleteSearch, delete_search)


class SavedSearchesProjection(TableProjection):
    name = "saved_searches"
    tables = (saved_searches,)
    prefixes = ("searches-",)

    def on_SearchSaved(self, conn: sa.Connection, e: StoredEvent) -> None:
        conn.execute(sa.insert(saved_searches).values(
            username=e.stream_id.split("-", 1)[1], search_id=e.data["search_id"],
            name=e.data["name"], query=e.data["query"]))

    def on_SearchDeleted(self, conn: sa.Connection, e: StoredEvent) -> None:
        conn.execute(sa.delete(saved_searches).where(
            saved_searches.c.username == e.stream_id.split("-", 1)[1],
            saved_searches.c.search_id == e.data["search_id"]))


def list_searches(conn: sa.Connection, user: str) -> list[dict[str, Any]]:
    rows = conn.execute(sa.select(saved_searches).where(saved_searches.c.username == user)
                        .order_by(saved_searches.c.name)).all()
    return [{"id": r.search_id, "name": r.name, "query": r.query} for r in rows]
