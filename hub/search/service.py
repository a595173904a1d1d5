"""One search over tickets and topics, filtered by the reader's rights.

Customers search with a Whoosh filter that only admits their own tickets (requestor
or Cc) and pages they could be allowed to view; the staff-only fields (comments,
internal ticket fields) are neither searched nor used for snippets, and a query that
names them explicitly matches nothing there.  Every hit is then checked by its
feature's one access rule: ticket hits by ``hub.tickets.queries.visible_ids``, page
hits by the wiki's ACL (``hub.wiki.queries.access_for``).  Snippets are built from
escaped text with ``<mark>`` around matches.
"""

from __future__ import annotations

import json
import re
from html import escape
from typing import TYPE_CHECKING, Any

import nh3
import sqlalchemy as sa
from whoosh import query as wq
from whoosh.highlight import ContextFragmenter, Formatter, get_text, highlight
from whoosh.qparser import QueryParser

from hub.actors import Actor
from hub.domain import ValidationError
from hub.search.index import DEFAULT_FIELD, STAFF_DEFAULT_FIELD, STAFF_ONLY, index_of
from hub.tickets.queries import visible_ids
from hub.wiki.queries import Access, access_for, customer_view_scope

if TYPE_CHECKING:
    from hub.bootstrap import Hub

MAX_QUERY = 500
#: Stored-only fields, searched through the combined fields they feed.
_ALIAS = {"body": "content", "private": "content_staff", "comments": "content_staff",
          "ifields": "content_staff"}
_ALIASES = re.compile(r"\b(body|private|comments|ifields):", re.IGNORECASE)
MAX_LIMIT = 100


class MarkFormatter(Formatter):  # type: ignore[misc]
    """Escape all text; wrap matched terms in ``<mark>`` (or nothing, for plain text)."""

    between = " … "

    def __init__(self, html: bool = True) -> None:
        self.html = html

    def _text(self, text: str) -> str:
        return escape(text, quote=False) if self.html else text

    def format_token(self, text: str, token: Any, replace: bool = False) -> str:
        word = self._text(get_text(text, token, replace))
        return f"<mark>{word}</mark>" if self.html else word


_PARSERS: dict[tuple[int, bool], QueryParser] = {}
CONTENT_FIELDS = frozenset({DEFAULT_FIELD, STAFF_DEFAULT_FIELD, "title", "body", "fields",
                            "private", "attachments"})


def _parser(schema: Any, staff: bool) -> QueryParser:
    """All words must match (AND), as users expect; parsers are reused per schema."""
    key = (id(schema), staff)
    if key not in _PARSERS:
        _PARSERS[key] = QueryParser(STAFF_DEFAULT_FIELD if staff else DEFAULT_FIELD, schema)
    return _PARSERS[key]


def _words(q: Any, reader: Any) -> set[str]:
    """The words to highlight: query terms on text fields, prefixes expanded."""
    words: set[str] = set()
    for field, text in q.existing_terms(reader, phrases=True, expand=True):
        if field in CONTENT_FIELDS:
            words.add(text.decode("utf-8") if isinstance(text, bytes) else str(text))
    return words


def _strip_staff_fields(q: Any) -> Any:
    def visit(node: Any) -> Any:
        if node.is_leaf() and getattr(node, "fieldname", None) in STAFF_ONLY:
            return wq.NullQuery
        return node

    return q.accept(visit)


def _customer_filter(conn: sa.Connection, access: Access) -> Any:
    """Index-side narrowing for customers, so a common word does not page through
    everything; the one access rules of tickets and pages decide every hit after it."""
    actor = access.actor
    scope = customer_view_scope(conn, access)
    page_terms = [wq.Term("web", w.lower()) for w in scope.webs]
    page_terms += [wq.Term("tviewers", name) for name in scope.names]
    tickets = wq.And([wq.Term("kind", "ticket"), wq.Term("readers", actor.email.lower())])
    pages = wq.And([wq.Term("kind", "page"), wq.Or(page_terms)]) if page_terms \
        else wq.NullQuery
    return wq.Or([tickets, pages]) if actor.email else pages


def search(hub: Hub, conn: sa.Connection, viewer: Actor, text: str, *, limit: int = 20,
           kind: str | None = None, web: str | None = None, html: bool = True,
           access: Access | None = None) -> list[dict[str, Any]]:
    """Hits ``{kind, id, title, snippet, ...}`` the viewer may see, best first."""
    text = (text or "").strip()
    if not text:
        raise ValidationError("q is required")
    if len(text) > MAX_QUERY:
        raise ValidationError(f"q is at most {MAX_QUERY} characters")
    if not 1 <= limit <= MAX_LIMIT:
        raise ValidationError(f"limit is 1 to {MAX_LIMIT}")
    access = access or access_for(conn, viewer)
    staff = viewer.is_staff
    index = index_of(hub)
    searcher = index.searcher()
    text = _ALIASES.sub(lambda m: f"{_ALIAS[m.group(1).lower()]}:", text)
    try:
        q = _parser(searcher.schema, staff).parse(text)
    except Exception as exc:  # Whoosh's parser is lenient; anything left is bad input
        raise ValidationError(f"cannot understand the query: {type(exc).__name__}") from exc
    if not staff:
        q = _strip_staff_fields(q)
    restrict = []
    if kind:
        restrict.append(wq.Term("kind", kind))
    if web:
        restrict.append(wq.Term("web", web.lower()))
    if not staff:
        restrict.append(_customer_filter(conn, access))
    # Field-only queries (queue:ops status:open) need no relevance: skip scoring.
    scored = any(leaf.field() in CONTENT_FIELDS for leaf in q.leaves() if hasattr(leaf, "field"))
    # Restrictions are intersected into the query (not a Whoosh filter, which would walk
    # every match of a common word to test it): a rare restriction term skips ahead.
    full = wq.And([q, *restrict]) if restrict else q
    results = searcher.search(full, limit=limit + (10 if staff else 2 * limit + 10),
                              scored=scored)
    words = _words(q, searcher.reader())
    candidates = list(results)
    shown = visible_ids(conn, viewer, [int(h["ref"]) for h in candidates
                                       if h["kind"] == "ticket"])
    hits: list[dict[str, Any]] = []
    for hit in candidates:
        if len(hits) >= limit:
            break
        if hit["kind"] == "ticket" and int(hit["ref"]) not in shown:
            continue
        if hit["kind"] == "page":
            state = json.loads(hit["state"])
            w, _, t = str(hit["ref"]).partition(".")
            if not access.allowed("VIEW", w, t, state.get("acl") or {}):
                continue
        hits.append(_hit(hit, words, searcher.schema, staff, html))
    return hits


def _hit(hit: Any, words: set[str], schema: Any, staff: bool, html: bool) -> dict[str, Any]:
    fields = ["body", "title", "fields"] + (["private"] if staff else []) + ["attachments"]
    snippet = ""
    analyzer = schema[DEFAULT_FIELD].analyzer
    for name in fields if words else []:
        stored = hit.get(name)
        if stored:
            snippet = highlight(stored[:50_000], words, analyzer,
                                ContextFragmenter(maxchars=160, surround=50),
                                MarkFormatter(html), top=2)
            if snippet:
                break
    if not snippet:
        body = str(hit.get("body") or "")[:160]
        snippet = escape(body, quote=False) if html else body
    if html:
        snippet = nh3.clean(snippet, tags={"mark"}, attributes={})
    out: dict[str, Any] = {"kind": hit["kind"], "id": hit["ref"], "title": hit["title"],
                           "snippet": snippet}
    if hit["kind"] == "page":
        out["web"], out["topic"] = hit["web"], hit["topic"]
    else:
        out.update(queue=hit["queue"], status=hit["status"])
    return out


def search_pages(hub: Hub, conn: sa.Connection, viewer: Actor, text: str, *, web: str,
                 limit: int, access: Access | None = None) -> list[dict[str, Any]]:
    """For ``%SEARCH%``: pages of one web, plain-text snippets (the macro escapes them)."""
    hits = search(hub, conn, viewer, text, limit=min(limit, MAX_LIMIT), kind="page", web=web,
                  html=False, access=access)
    return [{"web": h["web"], "topic": h["topic"], "title": h["title"],
             "snippet": h["snippet"]} for h in hits]
