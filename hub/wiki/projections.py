"""Wiki read models: current pages, every revision, links (backlinks), attachments.

Built only from event data (no clock, no randomness), so ``hub projections rebuild
wiki`` gives the same tables.  A rename moves the page's rows to the new name, so
history and attachments follow the topic.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from hub.eventstore import StoredEvent
from hub.projections import TableProjection
from hub.wiki.acl import prefs_from_text
from hub.wiki.tables import (
    wiki_attachments,
    wiki_digests,
    wiki_links,
    wiki_pages,
    wiki_revisions,
)
from hub.wiki.tables import wiki_subscriptions as subs
from hub.wiki.titles import plain_title
from hub.wiki.wikiwords import extract_links


def title_of(text: str, topic: str, web: str = "Main") -> str:
    """The first heading as plain text, else the topic name (see ``hub.wiki.titles``)."""
    return plain_title(text[:20000], topic, web)


def key_of(event: StoredEvent) -> tuple[str, str]:
    web, _, topic = event.stream_id.split("-", 1)[1].partition(".")
    return web, topic


def _where(table: sa.Table, web: str, topic: str, prefix: str = "") -> Any:
    return sa.and_(table.c[f"{prefix}web"] == web, table.c[f"{prefix}topic"] == topic)


class WikiProjection(TableProjection):
    name = "wiki"
    tables = (wiki_pages, wiki_revisions, wiki_links, wiki_attachments)
    prefixes = ("page-",)

    def on_PageCreated(self, conn: sa.Connection, e: StoredEvent) -> None:
        web, topic = key_of(e)
        conn.execute(sa.delete(wiki_pages).where(_where(wiki_pages, web, topic)))
        conn.execute(sa.insert(wiki_pages).values(
            web=web, topic=topic, revision=0, text="", title=topic, author=e.meta.get("actor", ""),
            at=e.at, summary="", parent=e.data.get("parent"), fields={}, acl={}, created_at=e.at))

    def on_PageRevised(self, conn: sa.Connection, e: StoredEvent, kind: str = "revised") -> None:
        web, topic = key_of(e)
        d = e.data
        text = d["text"]
        conn.execute(sa.update(wiki_pages).where(_where(wiki_pages, web, topic)).values(
            revision=d["revision"], text=text, title=title_of(text, topic, web), author=d["author"],
            at=e.at, original_at=d.get("original_at"), summary=d.get("summary", ""),
            acl=prefs_from_text(text)))
        conn.execute(sa.insert(wiki_revisions).values(
            web=web, topic=topic, revision=d["revision"], position=e.position, text=text,
            author=d["author"], at=e.at, original_at=d.get("original_at"),
            summary=d.get("summary", ""), kind=kind))
        conn.execute(sa.delete(wiki_links).where(_where(wiki_links, web, topic, "src_")))
        links = sorted(extract_links(text, web) - {(web, topic)})
        if links:
            conn.execute(sa.insert(wiki_links), [
                {"src_web": web, "src_topic": topic, "dst_web": w, "dst_topic": t}
                for w, t in links])

    def on_PageRestored(self, conn: sa.Connection, e: StoredEvent) -> None:
        self.on_PageRevised(conn, e, kind="restored")

    def on_PageParentChanged(self, conn: sa.Connection, e: StoredEvent) -> None:
        web, topic = key_of(e)
        conn.execute(sa.update(wiki_pages).where(_where(wiki_pages, web, topic))
                     .values(parent=e.data["parent"]))

    def on_PageRenamed(self, conn: sa.Connection, e: StoredEvent) -> None:
        web, topic = key_of(e)
        new = {"web": e.data["to_web"], "topic": e.data["to_topic"]}
        for table in (wiki_pages, wiki_revisions, wiki_attachments):
            conn.execute(sa.delete(table).where(_where(table, new["web"], new["topic"])))
            conn.execute(sa.update(table).where(_where(table, web, topic)).values(**new))
        conn.execute(sa.delete(wiki_links).where(
            _where(wiki_links, new["web"], new["topic"], "src_")))
        conn.execute(sa.update(wiki_links).where(_where(wiki_links, web, topic, "src_"))
                     .values(src_web=new["web"], src_topic=new["topic"]))

    def on_PageFieldsSet(self, conn: sa.Connection, e: StoredEvent) -> None:
        web, topic = key_of(e)
        values: dict[str, Any] = {"fields": e.data["fields"]}
        if e.data.get("form") is not None:
            values["form"] = e.data["form"]
        if e.data.get("titles") is not None:
            values["field_titles"] = e.data["titles"]
        conn.execute(sa.update(wiki_pages).where(_where(wiki_pages, web, topic)).values(**values))

    def on_PageMoveRecorded(self, conn: sa.Connection, e: StoredEvent) -> None:
        web, topic = key_of(e)
        d = e.data
        conn.execute(sa.update(wiki_pages).where(_where(wiki_pages, web, topic)).values(
            moved={"from": d["from_name"], "to": d["to_name"], "by": d["by"],
                   "at": d.get("original_at")}))

    def on_AttachmentAdded(self, conn: sa.Connection, e: StoredEvent) -> None:
        web, topic = key_of(e)
        d = e.data
        conn.execute(sa.insert(wiki_attachments).values(
            web=web, topic=topic, name=d["name"], version=d["version"], sha256=d["sha256"],
            size=d["size"], content_type=d["content_type"], comment=d.get("comment", ""),
            author=d["author"], at=e.at, original_at=d.get("original_at"),
            hidden=d.get("hidden")))


class WikiSubscriptionsProjection(TableProjection):
    name = "wiki_subscriptions"
    tables = (subs, wiki_digests)
    prefixes = ("wikisub-",)

    def on_WikiSubscribed(self, conn: sa.Connection, e: StoredEvent) -> None:
        user = e.stream_id.split("-", 1)[1]
        conn.execute(sa.insert(subs).values(username=user, web=e.data["web"],
                                            topic=e.data["topic"]))
        # A first subscription's digest starts with the changes made after it.
        known = conn.execute(sa.select(wiki_digests.c.upto).where(
            wiki_digests.c.username == user)).first()
        if known is None:
            conn.execute(sa.insert(wiki_digests).values(username=user, upto=e.position))

    def on_WikiUnsubscribed(self, conn: sa.Connection, e: StoredEvent) -> None:
        user = e.stream_id.split("-", 1)[1]
        conn.execute(sa.delete(subs).where(subs.c.username == user, subs.c.web == e.data["web"],
                                           subs.c.topic == e.data["topic"]))

    def on_WikiDigestSent(self, conn: sa.Connection, e: StoredEvent) -> None:
        user = e.stream_id.split("-", 1)[1]
        updated = conn.execute(sa.update(wiki_digests).where(wiki_digests.c.username == user)
                               .values(upto=e.data["upto"])).rowcount
        if not updated:
            conn.execute(sa.insert(wiki_digests).values(username=user, upto=e.data["upto"]))
