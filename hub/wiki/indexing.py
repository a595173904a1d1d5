"""Reads the search feature needs from the wiki (re-exported by ``hub.wiki.queries``).

Search sits above the wiki and indexes pages from the wiki's read model; it must not
know the wiki's tables, nor re-implement its ACLs.  ``page_for_index`` is a page's
indexable state; ``customer_view_scope`` is the coarse, index-side narrowing for a
customer (the webs and names through which the ACL could ever let them view a page),
derived from the same ``Access`` that then decides every hit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from hub.wiki.access import PREFS_TOPIC, Access, bare
from hub.wiki.tables import wiki_attachments, wiki_pages, wiki_revisions


@dataclass(frozen=True)
class IndexedPage:
    """A live page as the search index stores it."""

    web: str
    topic: str
    revision: int
    title: str
    text: str
    fields: Mapping[str, Any]
    acl: Mapping[str, Sequence[str]]
    authors: tuple[str, ...]
    attachment_names: tuple[str, ...]

    @property
    def topic_viewers(self) -> tuple[str, ...]:
        """Names (users or groups, web prefix dropped) in the topic's ALLOWTOPICVIEW."""
        return tuple(sorted({bare(n) for n in self.acl.get("ALLOWTOPICVIEW", [])}))


def page_for_index(conn: sa.Connection, web: str, topic: str) -> IndexedPage | None:
    """The page's current state for indexing, or None when it does not exist (any more)."""
    row = conn.execute(sa.select(wiki_pages).where(
        wiki_pages.c.web == web, wiki_pages.c.topic == topic,
        wiki_pages.c.revision > 0)).first()
    if row is None:
        return None
    authors = conn.execute(sa.select(wiki_revisions.c.author).distinct().where(
        wiki_revisions.c.web == web, wiki_revisions.c.topic == topic)).scalars().all()
    names = conn.execute(sa.select(wiki_attachments.c.name).distinct().where(
        wiki_attachments.c.web == web, wiki_attachments.c.topic == topic)).scalars().all()
    return IndexedPage(web=web, topic=topic, revision=row.revision, title=row.title,
                       text=row.text, fields=dict(row.fields or {}), acl=dict(row.acl or {}),
                       authors=tuple(sorted(set(authors))), attachment_names=tuple(names))


@dataclass(frozen=True)
class ViewScope:
    """Where a customer could view pages: whole webs, or topics naming one of ``names``."""

    webs: tuple[str, ...]
    names: tuple[str, ...]  # the user's name and groups, lower case


def customer_view_scope(conn: sa.Connection, access: Access) -> ViewScope:
    """The coarse scope of a customer's page views (every hit is still checked by ACL).

    Customers must be *named* in ``ALLOWWEBVIEW`` (web) or ``ALLOWTOPICVIEW`` (topic),
    see :mod:`hub.wiki.access`; this lists the webs naming them and their names.
    """
    who = sorted({access.actor.name.lower(), *(g.lower() for g in access.groups)})
    webs = []
    for web, acl in conn.execute(sa.select(wiki_pages.c.web, wiki_pages.c.acl).where(
            wiki_pages.c.topic == PREFS_TOPIC)):
        named = {bare(n).lower() for n in (acl or {}).get("ALLOWWEBVIEW", [])}
        if named & set(who):
            webs.append(web)
    return ViewScope(webs=tuple(webs), names=tuple(who))
