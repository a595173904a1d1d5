"""Read side of the wiki: pages, history, diffs, backlinks, tree, changes, attachments.

``get_page``, ``can_execute`` and ``split_code`` (topic text as prose and fences) are
the runbook engine's entry points, ``page_for_index``, ``access_for`` and
``customer_view_scope`` the search index's, the digest reads the mail feature's; every
``viewer``-taking function applies the topic ACLs and raises ``NotFoundError`` when
the viewer may not view (so a protected topic's existence is not revealed).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import sqlalchemy as sa

from hub.actors import Actor
from hub.domain import NotFoundError, ValidationError
from hub.wiki.access import Access as Access
from hub.wiki.diff import side_by_side, unified
from hub.wiki.indexing import IndexedPage as IndexedPage
from hub.wiki.indexing import ViewScope as ViewScope
from hub.wiki.indexing import customer_view_scope as customer_view_scope
from hub.wiki.indexing import page_for_index as page_for_index
from hub.wiki.tables import (
    wiki_attachments,
    wiki_digests,
    wiki_links,
    wiki_pages,
    wiki_revisions,
    wiki_subscriptions,
)
from hub.wiki.wikiwords import Segment as Segment
from hub.wiki.wikiwords import split_code as split_code

#: Revisions are SQL integers: a larger number cannot exist (and must not reach the
#: driver, which would fail with an overflow instead of "no such revision").
MAX_REVISION = 2**31 - 1


def number_arg(raw: str) -> bool:
    """Whether a request argument is a plain number the wiki accepts (1-12 ASCII digits)."""
    return re.fullmatch(r"[0-9]{1,12}", raw) is not None


def revision_in_range(revision: int) -> bool:
    """Whether ``revision`` could name a stored revision (1 to :data:`MAX_REVISION`)."""
    return 1 <= revision <= MAX_REVISION


def iso(value: dt.datetime | None) -> str | None:
    """Stored naive-UTC datetimes as ``...Z`` strings (the same format tickets use)."""
    if value is None:
        return None
    return value.replace(tzinfo=dt.UTC).isoformat().replace("+00:00", "Z")


_PAGE = sa.select(wiki_pages).where(wiki_pages.c.web == sa.bindparam("w"),
                                    wiki_pages.c.topic == sa.bindparam("t"),
                                    wiki_pages.c.revision > 0)


def _page_dict(row: Any) -> dict[str, Any]:
    return {"web": row.web, "topic": row.topic, "revision": row.revision, "text": row.text,
            "title": row.title, "author": row.author, "at": iso(row.at),
            "original_at": row.original_at, "summary": row.summary, "parent": row.parent,
            "fields": row.fields, "acl": row.acl, "form": row.form,
            "field_titles": row.field_titles or {}, "moved": row.moved}



def get_page(conn: sa.Connection, web: str, topic: str) -> dict[str, Any] | None:
    """The current page ``{web, topic, revision, text, author, at, ...}``, no ACL check."""
    row = conn.execute(_PAGE, {"w": web, "t": topic}).first()
    return None if row is None else _page_dict(row)


def page_acls(conn: sa.Connection,
              refs: list[tuple[str, str]]) -> dict[tuple[str, str], dict[str, list[str]]]:
    """The *current* ACL settings of the given topics that exist (one query).

    For hits found elsewhere (the search index, updated after the commit): the index's
    copy of a topic's ACL may be older than the topic, and a topic renamed or gone
    there must not be shown under its old name.
    """
    if not refs:
        return {}
    wanted = set(refs)
    rows = conn.execute(sa.select(wiki_pages.c.web, wiki_pages.c.topic, wiki_pages.c.acl)
                        .where(wiki_pages.c.topic.in_(sorted({t for _, t in wanted}))))
    return {(r.web, r.topic): dict(r.acl or {}) for r in rows if (r.web, r.topic) in wanted}


def page_exists(conn: sa.Connection, web: str, topic: str) -> bool:
    return conn.execute(_PAGE, {"w": web, "t": topic}).first() is not None


def can(conn: sa.Connection, actor: Actor, action: str, web: str, topic: str) -> bool:
    return Access(conn, actor).allowed(action, web, topic)


def access_for(conn: sa.Connection, actor: Actor) -> Access:
    """The wiki's one ACL decision for ``actor``, caching preferences for one request.

    ``access.allowed("VIEW", web, topic, acl)`` is what every list, search and page
    view asks; build one per request (it caches groups and web preferences).
    """
    return Access(conn, actor)


def can_view(conn: sa.Connection, actor: Actor, web: str, topic: str) -> bool:
    """May ``actor`` view ``web.topic``? (One-off check; use ``access_for`` for many.)"""
    return Access(conn, actor).allowed("VIEW", web, topic)


def can_execute(conn: sa.Connection, actor: Actor, web: str, topic: str) -> bool:
    """May ``actor`` run the runbook ``web.topic``? (It must exist and be viewable too.)"""
    if not page_exists(conn, web, topic):
        return False
    access = Access(conn, actor)
    return access.allowed("VIEW", web, topic) and access.allowed("EXECUTE", web, topic)


def pages_with_fence(conn: sa.Connection, viewer: Actor, info: str,
                     limit: int = 1000) -> list[dict[str, Any]]:
    """Current topics ``viewer`` may view whose text holds a fenced block opened with
    ```` ```info ```` (e.g. the runbooks index: every topic with ``op`` steps), by name.

    The text match is a pre-filter; the caller parses each text for the real blocks.
    """
    rows = conn.execute(
        sa.select(wiki_pages.c.web, wiki_pages.c.topic, wiki_pages.c.title,
                  wiki_pages.c.revision, wiki_pages.c.text, wiki_pages.c.acl,
                  wiki_pages.c.author, wiki_pages.c.at)
        .where(wiki_pages.c.revision > 0, wiki_pages.c.text.contains(f"```{info}",
                                                                     autoescape=True))
        .order_by(wiki_pages.c.web, wiki_pages.c.topic).limit(limit)).all()
    access = Access(conn, viewer)
    return [{"web": r.web, "topic": r.topic, "title": r.title, "revision": r.revision,
             "text": r.text, "author": r.author, "at": iso(r.at)}
            for r in rows if access.allowed("VIEW", r.web, r.topic, r.acl)]


def view_page(conn: sa.Connection, viewer: Actor, web: str, topic: str,
              revision: int | None = None, access: Access | None = None) -> dict[str, Any]:
    page = get_page(conn, web, topic)
    access = access or Access(conn, viewer)
    if page is None or not access.allowed("VIEW", web, topic, page["acl"]):
        raise NotFoundError(f"topic {web}.{topic} not found")
    if revision is not None and revision != page["revision"]:
        row = _revision(conn, web, topic, revision)
        page.update(revision=row.revision, text=row.text, author=row.author, at=iso(row.at),
                    original_at=row.original_at, summary=row.summary)
    return page


def _revision(conn: sa.Connection, web: str, topic: str, revision: int) -> Any:
    if not revision_in_range(revision):
        raise NotFoundError(f"{web}.{topic} has no revision {revision}")
    row = conn.execute(sa.select(wiki_revisions).where(
        wiki_revisions.c.web == web, wiki_revisions.c.topic == topic,
        wiki_revisions.c.revision == revision)).first()
    if row is None:
        raise NotFoundError(f"{web}.{topic} has no revision {revision}")
    return row


def history(conn: sa.Connection, viewer: Actor, web: str, topic: str) -> list[dict[str, Any]]:
    view_page(conn, viewer, web, topic)
    rows = conn.execute(sa.select(
        wiki_revisions.c.revision, wiki_revisions.c.author, wiki_revisions.c.at,
        wiki_revisions.c.original_at, wiki_revisions.c.summary, wiki_revisions.c.kind,
        wiki_revisions.c.position, sa.func.length(wiki_revisions.c.text).label("size"),
    ).where(wiki_revisions.c.web == web, wiki_revisions.c.topic == topic)
        .order_by(wiki_revisions.c.revision.desc())).all()
    return [{"revision": r.revision, "author": r.author, "at": iso(r.at),
             "original_at": r.original_at, "summary": r.summary, "kind": r.kind,
             "position": r.position, "size": r.size} for r in rows]


def diff(conn: sa.Connection, viewer: Actor, web: str, topic: str, a: int,
         b: int) -> dict[str, Any]:
    view_page(conn, viewer, web, topic)
    if a < 0 or b < 1:
        raise ValidationError("from is a revision (0 = empty) and to a revision")
    if a > MAX_REVISION or b > MAX_REVISION:
        raise NotFoundError(f"{web}.{topic} has no revision {max(a, b)}")
    old = "" if a == 0 else _revision(conn, web, topic, a).text
    new = _revision(conn, web, topic, b).text
    return {"web": web, "topic": topic, "from": a, "to": b,
            "unified": unified(old, new, f"{web}.{topic} r{a}", f"{web}.{topic} r{b}"),
            "side_by_side": [{"kind": r.kind, "left": r.left, "right": r.right,
                              "left_no": r.left_no, "right_no": r.right_no}
                             for r in side_by_side(old, new)]}


def _visible(access: Access, rows: list[Any]) -> list[dict[str, Any]]:
    out = []
    for r in rows:
        if access.allowed("VIEW", r.web, r.topic, r.acl):
            out.append({"web": r.web, "topic": r.topic, "title": r.title})
    return out


def backlinks(conn: sa.Connection, viewer: Actor, web: str, topic: str) -> list[dict[str, Any]]:
    """Topics linking here that the viewer may view (the target need not exist)."""
    rows = conn.execute(
        sa.select(wiki_pages.c.web, wiki_pages.c.topic, wiki_pages.c.title, wiki_pages.c.acl)
        .join(wiki_links, sa.and_(wiki_links.c.src_web == wiki_pages.c.web,
                                  wiki_links.c.src_topic == wiki_pages.c.topic))
        .where(wiki_links.c.dst_web == web, wiki_links.c.dst_topic == topic)
        .order_by(wiki_pages.c.web, wiki_pages.c.topic)).all()
    return _visible(Access(conn, viewer), list(rows))


def children(conn: sa.Connection, viewer: Actor, web: str, topic: str) -> list[dict[str, Any]]:
    rows = conn.execute(
        sa.select(wiki_pages.c.web, wiki_pages.c.topic, wiki_pages.c.title, wiki_pages.c.acl)
        .where(wiki_pages.c.parent == f"{web}.{topic}", wiki_pages.c.revision > 0)
        .order_by(wiki_pages.c.web, wiki_pages.c.topic)).all()
    return _visible(Access(conn, viewer), list(rows))


def breadcrumbs(conn: sa.Connection, viewer: Actor, web: str, topic: str) -> list[dict[str, str]]:
    """Ancestors from the root down (cycles and unviewable parents stop the walk)."""
    access = Access(conn, viewer)
    chain: list[dict[str, str]] = []
    seen = {(web, topic)}
    parent = conn.execute(sa.select(wiki_pages.c.parent).where(
        wiki_pages.c.web == web, wiki_pages.c.topic == topic)).scalar()
    while parent and len(chain) < 20:
        pweb, _, ptopic = parent.partition(".")
        page = get_page(conn, pweb, ptopic)
        if (pweb, ptopic) in seen or page is None or not access.allowed(
                "VIEW", pweb, ptopic, page["acl"]):
            break
        seen.add((pweb, ptopic))
        chain.append({"web": pweb, "topic": ptopic, "title": page["title"]})
        parent = page["parent"]
    return chain[::-1]


def web_changes(conn: sa.Connection, viewer: Actor, web: str,
                limit: int = 50) -> list[dict[str, Any]]:
    """Recent revisions in a web, newest first, only of topics the viewer may view."""
    access = Access(conn, viewer)
    rows = conn.execute(
        sa.select(wiki_revisions.c.topic, wiki_revisions.c.revision, wiki_revisions.c.author,
                  wiki_revisions.c.at, wiki_revisions.c.summary, wiki_pages.c.acl)
        .join(wiki_pages, sa.and_(wiki_pages.c.web == wiki_revisions.c.web,
                                  wiki_pages.c.topic == wiki_revisions.c.topic))
        .where(wiki_revisions.c.web == web)
        .order_by(wiki_revisions.c.position.desc()).limit(limit * 4)).all()
    out = []
    for r in rows:
        if access.allowed("VIEW", web, r.topic, r.acl):
            out.append({"web": web, "topic": r.topic, "revision": r.revision,
                        "author": r.author, "at": iso(r.at), "summary": r.summary})
        if len(out) >= limit:
            break
    return out


def attachments(conn: sa.Connection, viewer: Actor, web: str, topic: str, *,
                include_hidden: bool = False) -> list[dict[str, Any]]:
    """Attachments (latest version first in ``versions``); hidden ones (TWiki's
    ``attr="h"``) only with ``include_hidden``: they stay downloadable by name."""
    view_page(conn, viewer, web, topic)
    rows = conn.execute(sa.select(wiki_attachments).where(
        wiki_attachments.c.web == web, wiki_attachments.c.topic == topic)
        .order_by(wiki_attachments.c.name, wiki_attachments.c.version.desc())).all()
    out: dict[str, dict[str, Any]] = {}
    for r in rows:
        entry = {"version": r.version, "sha256": r.sha256, "size": r.size,
                 "content_type": r.content_type, "comment": r.comment, "author": r.author,
                 "at": iso(r.at), "original_at": r.original_at, "hidden": bool(r.hidden)}
        out.setdefault(r.name, {"name": r.name, **entry, "versions": []})["versions"].append(entry)
    return [a for a in out.values() if include_hidden or not a["hidden"]]


def attachment(conn: sa.Connection, viewer: Actor, web: str, topic: str, name: str,
               version: int | None = None) -> dict[str, Any]:
    for item in attachments(conn, viewer, web, topic, include_hidden=True):
        if item["name"] == name:
            for v in item["versions"]:
                if version is None or v["version"] == version:
                    return {"name": name, **v}
    raise NotFoundError(f"no attachment {name!r} on {web}.{topic}")


# -- subscription digests (composed and sent by the mail feature) ------------------------

MAX_DIGEST_ITEMS = 200


def digests_due(conn: sa.Connection, head: int) -> list[tuple[str, int]]:
    """``(username, upto)`` of subscribers whose last digest is behind position ``head``.

    Record a digest with ``commands.RecordDigestSent(username, upto=head, count)``, also
    when there was nothing to send, so the user is not asked about again until new events.
    """
    rows = conn.execute(sa.select(wiki_digests.c.username, wiki_digests.c.upto)
                        .where(wiki_digests.c.upto < head)
                        .order_by(wiki_digests.c.username)).all()
    return [(str(r.username), int(r.upto)) for r in rows]


def subscriptions(conn: sa.Connection, username: str) -> list[tuple[str, str]]:
    """The user's ``(web, topic)`` subscriptions; ``topic`` is empty for a whole web."""
    rows = conn.execute(sa.select(wiki_subscriptions.c.web, wiki_subscriptions.c.topic)
                        .where(wiki_subscriptions.c.username == username)
                        .order_by(wiki_subscriptions.c.web, wiki_subscriptions.c.topic)).all()
    return [(str(r.web), str(r.topic)) for r in rows]


def changes_since(conn: sa.Connection, viewer: Actor, upto: int, head: int,
                  limit: int = MAX_DIGEST_ITEMS) -> list[dict[str, Any]]:
    """Revisions after ``upto`` (up to ``head``) in ``viewer``'s subscriptions.

    Oldest first, ``{web, topic, revision, author, summary}``, only topics ``viewer``
    (the subscriber, as built by accounts) may view.
    """
    targets = subscriptions(conn, viewer.name)
    if not targets:
        return []
    conditions = [sa.and_(wiki_revisions.c.web == w, wiki_revisions.c.topic == t) if t
                  else wiki_revisions.c.web == w for w, t in targets]
    rows = conn.execute(
        sa.select(wiki_revisions.c.web, wiki_revisions.c.topic, wiki_revisions.c.revision,
                  wiki_revisions.c.author, wiki_revisions.c.summary, wiki_pages.c.acl)
        .join(wiki_pages, sa.and_(wiki_pages.c.web == wiki_revisions.c.web,
                                  wiki_pages.c.topic == wiki_revisions.c.topic))
        .where(wiki_revisions.c.position > upto, wiki_revisions.c.position <= head,
               sa.or_(*conditions))
        .order_by(wiki_revisions.c.position).limit(limit)).all()
    access = Access(conn, viewer)
    return [{"web": r.web, "topic": r.topic, "revision": r.revision, "author": r.author,
             "summary": r.summary} for r in rows
            if access.allowed("VIEW", r.web, r.topic, r.acl)]
