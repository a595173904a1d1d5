"""Render a topic for one reader: macros backed by the hub, with the reader's rights.

``%INCLUDE%`` only sees topics the reader may view, ``%TICKETS%`` goes through
``list_tickets`` with the reader as viewer, ``%SEARCH%`` through the page search the
search feature registered (``commands.register_page_search``; filtered by the reader's
rights).  The pure renderer sanitises everything.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from hub.actors import Actor
from hub.tickets.queries import TicketFilter, list_tickets
from hub.wiki.access import Access
from hub.wiki.commands import PAGE_SEARCH_SERVICE, PageSearch
from hub.wiki.macrolib import TopicMeta
from hub.wiki.macros import MacroContext
from hub.wiki.queries import attachments, get_page
from hub.wiki.render import Rendered, render
from hub.wiki.tables import wiki_pages

if TYPE_CHECKING:
    from hub.bootstrap import Hub

MAX_TICKETS = 100
_TOPICS_OF = sa.select(wiki_pages.c.topic).where(
    wiki_pages.c.web == sa.bindparam("w"), wiki_pages.c.revision > 0)


class RenderCache:
    """A small thread-safe LRU of Markdown results (see ``render(cache=...)``)."""

    def __init__(self, size: int = 256) -> None:
        self.size = size
        self.items: OrderedDict[str, Any] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: str, default: Any = None) -> Any:
        with self.lock:
            if key in self.items:
                self.items.move_to_end(key)
                return self.items[key]
            return default

    def __setitem__(self, key: str, value: Any) -> None:
        with self.lock:
            self.items[key] = value
            self.items.move_to_end(key)
            while len(self.items) > self.size:
                self.items.popitem(last=False)


def cache_of(hub: Hub) -> Any:
    services: dict[str, Any] = hub.services
    return services.setdefault("wiki_render_cache", RenderCache())


def macro_cache_of(hub: Hub) -> Any:
    services: dict[str, Any] = hub.services
    return services.setdefault("wiki_macro_cache", RenderCache(1024))


def ticket_filter(args: Mapping[str, str]) -> TicketFilter:
    """``%TICKETS{"queue=Ops status=open,new owner=alice limit=20"}%`` as a TicketFilter."""
    try:
        limit = max(1, min(int(args.get("limit", "20")), MAX_TICKETS))
    except ValueError:
        limit = 20
    status = [s for s in re.split(r"[,\s]+", args.get("status", "")) if s] or None
    order = args.get("order", "-id")
    return TicketFilter(queue=args.get("queue") or None, status=status,
                        owner=args.get("owner"), requestor=args.get("requestor") or None,
                        q=args.get("q") or None, limit=limit,
                        order=order if order.lstrip("-") in ("id", "priority", "updated",
                                                             "created", "status") else "-id")


def topic_meta(conn: sa.Connection, viewer: Actor, page: Mapping[str, Any]) -> TopicMeta:
    """What ``%META%``/``%FORMFIELD%``/``%REVINFO%`` show, from the read model."""
    raw = page.get("fields") or {}
    if isinstance(raw, list):  # [{name, value}] as TWiki's META:FIELD lines
        raw = {str(f.get("name", "")): f.get("value", "") for f in raw}
    at = page.get("at")
    when = datetime.fromisoformat(at) if isinstance(at, str) else None
    files: list[Mapping[str, Any]] = []
    try:
        files = list(attachments(conn, viewer, page["web"], page["topic"]))
    except Exception:  # an unviewable topic simply shows none
        files = []
    return TopicMeta(web=page["web"], topic=page["topic"], revision=int(page["revision"]),
                     author=str(page.get("author") or ""),
                     at=when.replace(tzinfo=UTC) if when and when.tzinfo is None else when,
                     parent=page.get("parent"), form=page.get("form"),
                     fields={str(k): "" if v is None else str(v) for k, v in raw.items()},
                     attachments=files, moved=page.get("moved"))


def macro_context(hub: Hub, conn: sa.Connection, viewer: Actor, access: Access,
                  exists: Callable[[str, str], bool] | None = None) -> MacroContext:
    pages: dict[tuple[str, str], dict[str, Any] | None] = {}

    def page_of(web: str, topic: str) -> dict[str, Any] | None:
        if (web, topic) not in pages:
            pages[(web, topic)] = get_page(conn, web, topic)
        return pages[(web, topic)]

    def include(web: str, topic: str) -> str | None:
        page = page_of(web, topic)
        if page is None or not access.allowed("VIEW", web, topic, page["acl"]):
            return None
        return str(page["text"])

    def settings(web: str, topic: str) -> str | None:
        page = page_of(web, topic)  # preferences are configuration: no view check
        return None if page is None else str(page["text"])

    def meta(web: str, topic: str) -> TopicMeta | None:
        page = page_of(web, topic)
        if page is None or not access.allowed("VIEW", web, topic, page["acl"]):
            return None
        return topic_meta(conn, viewer, page)

    head: list[int] = []

    def tickets(filters: Mapping[str, str]) -> Sequence[Mapping[str, Any]]:
        # A pure function of (viewer, filter, store state): cached until the next event.
        if not head:
            head.append(hub.store.last_position(conn))
        f = ticket_filter(filters)
        key = repr((viewer.name, viewer.role, viewer.email, f, head[0]))
        cache = macro_cache_of(hub)
        rows = cache.get(key)
        if rows is None:
            rows = list(list_tickets(conn, viewer, f)["tickets"])
            cache[key] = rows
        return list(rows)

    page_search: PageSearch | None = hub.services.get(PAGE_SEARCH_SERVICE)

    def search(query: str, web: str, limit: int) -> Sequence[Mapping[str, Any]]:
        assert page_search is not None
        return page_search(hub, conn, viewer, query, web=web, limit=limit, access=access)

    return MacroContext(include=include, search=search if page_search else None,
                        tickets=tickets, settings=settings, meta=meta, exists=exists,
                        user=viewer.name,
                        contexts=frozenset({"view", "authenticated"}
                                           if viewer.role != "guest" else {"view"}))


def render_page(hub: Hub, conn: sa.Connection, viewer: Actor, web: str, topic: str,
                text: str, access: Access | None = None) -> Rendered:
    access = access or Access(conn, viewer)

    topics: dict[str, set[str]] = {}

    def exists(w: str, t: str) -> bool:
        if w not in topics:  # one query per linked web, not one per link
            topics[w] = set(conn.execute(_TOPICS_OF, {"w": w}).scalars())
        return t in topics[w]

    return render(text, web=web, topic=topic, exists=exists,
                  macros=macro_context(hub, conn, viewer, access, exists), cache=cache_of(hub))
