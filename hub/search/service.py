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
from dataclasses import dataclass
from html import escape
from typing import TYPE_CHECKING, Any

import nh3
import sqlalchemy as sa
from whoosh import query as wq
from whoosh.highlight import ContextFragmenter, Formatter, get_text, highlight
from whoosh.qparser import QueryParser

from hub.accounts.queries import TICKET_ROLES, mentioned_scopes, rights_for
from hub.actors import Actor
from hub.domain import ValidationError
from hub.search import confirm
from hub.search.index import DEFAULT_FIELD, STAFF_DEFAULT_FIELD, STAFF_ONLY, index_of
from hub.tickets.queries import internal_fields, visible_ids
from hub.wiki.queries import Access, access_for, customer_view_scope, page_acls

if TYPE_CHECKING:
    from hub.bootstrap import Hub

MAX_QUERY = 500
#: Stored-only fields, searched through the combined fields they feed.
_ALIAS = {"body": "content", "private": "content_staff", "comments": "content_staff",
          "ifields": "content_staff"}
_ALIASES = re.compile(r"\b(body|private|comments|ifields):", re.IGNORECASE)
MAX_LIMIT = 100
_UNMENTIONED = " unmentioned"  # a queue scope no profile names (no queue starts with " ")


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
    tickets = _ticket_candidates(actor)
    pages = wq.And([wq.Term("kind", "page"), wq.Or(page_terms)]) if page_terms \
        else wq.NullQuery
    return wq.Or([tickets, pages])


def _ticket_candidates(actor: Actor) -> Any:
    """A customer's ticket candidates: tickets naming her, plus whole queues a grant
    opens to her.  Only a narrowing: :func:`visible_ids` decides every hit."""
    whole = [scope for scope in sorted(mentioned_scopes(actor))
             if "ShowTicket" in rights_for(actor, queue=scope)]
    if "ShowTicket" in rights_for(actor, queue=_UNMENTIONED):
        return wq.Term("kind", "ticket")
    terms = [wq.Term("queue", scope) for scope in whole]
    if actor.email:
        terms.append(wq.Term("readers", actor.email.lower()))
    return wq.And([wq.Term("kind", "ticket"), wq.Or(terms)]) if terms else wq.NullQuery


def _hidden_queues(actor: Actor) -> Any:
    """Queues where ``actor`` can see no ticket whatever role they hold (staff outside a
    managed queue): masked out in the index so they do not crowd out visible hits."""
    hidden = [wq.Term("queue", scope) for scope in sorted(mentioned_scopes(actor))
              if "ShowTicket" not in rights_for(actor, queue=scope,
                                                ticket_roles=set(TICKET_ROLES))]
    return wq.And([wq.Term("kind", "ticket"), wq.Or(hidden)]) if hidden else None


@dataclass
class _TicketRights:
    """Which candidate tickets the viewer may open, and see comments / internal fields of,
    each by the one rule (``visible_ids``, one query per right)."""

    shown: set[int]
    comments: set[int]
    internal: set[int]

    def full(self, ticket_id: int) -> bool:
        return ticket_id in self.comments and ticket_id in self.internal


def _ticket_rights(conn: sa.Connection, viewer: Actor, ids: list[int]) -> _TicketRights:
    shown = visible_ids(conn, viewer, ids)
    listed = sorted(shown)
    return _TicketRights(shown, visible_ids(conn, viewer, listed, "ShowTicketComments"),
                         visible_ids(conn, viewer, listed, "SeeInternalFields"))


def search(hub: Hub, conn: sa.Connection, viewer: Actor, text: str, *, limit: int = 20,
           kind: str | None = None, web: str | None = None, html: bool = True,
           access: Access | None = None) -> list[dict[str, Any]]:
    """Hits ``{kind, id, title, snippet, ...}`` the viewer may see, best first.

    A hit and its snippet answer as opening it would: ticket hits need ShowTicket, a
    hit found through comments needs ShowTicketComments (internal fields:
    SeeInternalFields) on that ticket, and snippets come only from text the viewer
    may see there; page hits need VIEW by the topic's current ACL.
    """
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
        # The same words on the text every reader of the ticket sees (no staff fields).
        public_q = _strip_staff_fields(_parser(searcher.schema, False).parse(text))
    except Exception as exc:  # Whoosh's parser is lenient; anything left is bad input
        raise ValidationError(f"cannot understand the query: {type(exc).__name__}") from exc
    if not staff:
        q = public_q
    restrict = []
    if kind:
        restrict.append(wq.Term("kind", kind))
    if web:
        restrict.append(wq.Term("web", web.lower()))
    if not staff:
        restrict.append(_customer_filter(conn, access))
    hidden = _hidden_queues(viewer)
    # Field-only queries (queue:ops status:open) need no relevance: skip scoring.
    scored = any(leaf.field() in CONTENT_FIELDS for leaf in q.leaves() if hasattr(leaf, "field"))
    # Restrictions are intersected into the query (not a Whoosh filter, which would walk
    # every match of a common word to test it): a rare restriction term skips ahead.
    full = wq.And([q, *restrict]) if restrict else q
    if hidden is not None:
        full = wq.AndNot(full, hidden)
    results = searcher.search(full, limit=limit + (10 if staff else 2 * limit + 10),
                              scored=scored)
    words = _words(q, searcher.reader())
    candidates = list(results)
    rights = _ticket_rights(conn, viewer, [int(h["ref"]) for h in candidates
                                           if h["kind"] == "ticket"])
    hidden_fields = _InternalFields(conn)

    def shows_of(hit: Any) -> _TicketShows:
        ref = int(hit["ref"])
        return _TicketShows(ref in rights.comments, ref in rights.internal,
                            hidden_fields.of(str(hit["queue"])))

    partly = [h for h in candidates if h["kind"] == "ticket" and staff
              and int(h["ref"]) in rights.shown and not rights.full(int(h["ref"]))]
    unconfirmed = {h["key"] for h in partly}
    confirmed = confirm.confirmed(searcher, q, public_q, partly, comments=rights.comments,
                                  internal=rights.internal,
                                  fields_text=lambda hit: _fields_text(hit, shows_of(hit)))
    acls = page_acls(conn, [(str(h["web"]), str(h["topic"])) for h in candidates
                            if h["kind"] == "page"])
    hits: list[dict[str, Any]] = []
    for hit in candidates:
        if len(hits) >= limit:
            break
        if hit["kind"] == "ticket":
            ref = int(hit["ref"])
            if ref not in rights.shown or (hit["key"] in unconfirmed
                                           and hit["key"] not in confirmed):
                continue
            shows = shows_of(hit)
        else:
            where = (str(hit["web"]), str(hit["topic"]))
            if where not in acls or not access.allowed("VIEW", *where, acls[where]):
                continue
            shows = _TicketShows(False, True, frozenset())
        hits.append(_hit(hit, words, searcher.schema, shows, html))
    return hits


@dataclass(frozen=True)
class _TicketShows:
    """What of a document its snippet may be drawn from."""

    comments: bool
    internal: bool
    internal_names: frozenset[str]


class _InternalFields:
    """Internal custom fields per queue, as the tickets feature says now (cached)."""

    def __init__(self, conn: sa.Connection) -> None:
        self.conn = conn
        self.cache: dict[str, frozenset[str]] = {}

    def of(self, queue: str) -> frozenset[str]:
        key = queue.lower()
        if key not in self.cache:
            self.cache[key] = internal_fields(self.conn, queue)
        return self.cache[key]


def _fields_text(hit: Any, shows: _TicketShows) -> str:
    """A ticket's custom fields as the viewer may see them, from the stored state (the
    queue's internal fields as they are now, not as they were when indexed)."""
    if hit["kind"] != "ticket":
        return str(hit.get("fields") or "")
    try:
        fields = json.loads(hit["state"]).get("fields") or {}
    except (TypeError, ValueError):
        return ""
    return "\n".join(f"{k}: {_flat(v)}" for k, v in fields.items()
                     if shows.internal or k not in shows.internal_names)


def _flat(value: Any) -> str:
    return ", ".join(map(str, value)) if isinstance(value, list) else str(value)


def _hit(hit: Any, words: set[str], schema: Any, shows: _TicketShows,
         html: bool) -> dict[str, Any]:
    texts = {"body": hit.get("body"), "title": hit.get("title"),
             "fields": _fields_text(hit, shows),
             "private": hit.get("private") if shows.comments else "",
             "attachments": hit.get("attachments")}
    snippet = ""
    analyzer = schema[DEFAULT_FIELD].analyzer
    for stored in texts.values() if words else []:
        if stored:
            snippet = highlight(str(stored)[:50_000], words, analyzer,
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
