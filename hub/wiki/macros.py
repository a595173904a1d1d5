"""TWiki/Foswiki macros (``%NAME%``, ``%NAME{args}%``), expanded before Markdown runs.

A small scanner finds each macro with its (possibly nested) arguments; arguments are
expanded first, so ``%INCLUDE{"%WEB%.Topic"}%`` and ``[[%SYSTEMWEB%.Topic][x]]``
work as in Foswiki.  A name resolves, in order, to a built-in that needs the view
(``%WEB%``, ``%INCLUDE%``, ``%IF%``...), an ``%INCLUDE%`` parameter, a preference
(topic > web > site, see :mod:`hub.wiki.prefs`), or a default value macro (colours,
icons, ``%WIKITOOLNAME%``); anything else stays visible, marked as unknown.

Output that carries *data* (a ticket subject, a search snippet, a form value) is
escaped and put in a stash: the text only holds a placeholder, so data is never
scanned for macros or TML again and cannot smuggle in an ``%INCLUDE%``.  Included
topic text and preference values are markup and are expanded, with a depth limit and
cycle detection.  Callbacks of :class:`MacroContext` reach the database and apply
access control; the sanitiser still sees all of the final HTML.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html import escape
from typing import Any
from urllib.parse import quote

from hub.wiki import macrolib as lib
from hub.wiki.macrolib import TopicMeta
from hub.wiki.wikiwords import split_code

IncludeFn = Callable[[str, str], str | None]
SearchFn = Callable[[str, str, int], Sequence[Mapping[str, Any]]]
TicketsFn = Callable[[Mapping[str, str]], Sequence[Mapping[str, Any]]]
MetaFn = Callable[[str, str], TopicMeta | None]

#: A macro's opening: ``%NAME%`` or ``%NAME{`` (arguments end at the matching ``}%``).
NAME_RE = re.compile(r"(?P<bang>!?)%(?P<name>[A-Z][A-Z0-9_]*)(?P<open>[%{])")
MACRO_RE = re.compile(
    r"%(?P<name>[A-Z][A-Z0-9_]*)"
    r"(?:\{(?P<args>(?:\"(?:[^\"\\\n]|\\.)*\"|'[^'\n]*'|[^}\"'\n])*)\})?%"
)
_ARG_RE = re.compile(
    r"\s*(?:(?P<key>[A-Za-z_][A-Za-z0-9_]*)\s*=\s*)?"
    r"(?:\"(?P<dq>(?:[^\"\\]|\\.)*)\"|'(?P<sq>[^']*)'|(?P<bare>[^\s\"'=]+))"
)
#: Marker understood by the TOC tree processor (see :mod:`hub.wiki.toc`).
TOC_MARKER = "[TOC]"
DEFAULT = "_DEFAULT"
STASH_RE = re.compile("\ue001(\\d+)\ue002")
MAX_ARGS = 20_000
#: Deeper nesting than this inside one macro's arguments is not read as macros at all.
MAX_NESTING = 32


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class MacroContext:
    """Callbacks to the rest of the hub; each may be None when not available.

    ``include(web, topic)`` returns the topic text, or None when it is missing *or*
    the reader may not view it: the notice does not tell which, so an include does
    not reveal that a protected topic exists.  ``settings(web, topic)`` reads
    preference topics (no view check: settings are configuration, as in Foswiki).
    """

    include: IncludeFn | None = None
    search: SearchFn | None = None
    tickets: TicketsFn | None = None
    settings: IncludeFn | None = None
    meta: MetaFn | None = None
    exists: Callable[[str, str], bool] | None = None
    user: str = "guest"
    contexts: frozenset[str] = frozenset({"view"})
    site_name: str = "OpsHub"
    now: Callable[[], datetime] = _utcnow
    max_include_depth: int = 8
    max_search_limit: int = 100


@dataclass
class Expansion:
    """Expanded text with placeholders (``source``) and the stashed HTML they stand for."""

    source: str
    includes: list[tuple[str, str]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    has_toc: bool = False
    stash: list[str] = field(default_factory=list)
    toc_depth: int = 6

    @property
    def text(self) -> str:
        """The expanded text with the stashed HTML put back (for tests and tools)."""
        return STASH_RE.sub(lambda m: self.stash[int(m.group(1))], self.source)


def parse_args(args: str | None) -> dict[str, str]:
    """TWiki attribute syntax: ``"default" key="v" key='v' key=v``, ``\\"`` escapes.

    The unnamed value is stored under ``_DEFAULT`` (as TWiki does).
    """
    out: dict[str, str] = {}
    for match in _ARG_RE.finditer(args or ""):
        if match.group("dq") is not None:
            value = re.sub(r"\\(.)", r"\1", match.group("dq"))
        else:
            value = match.group("sq") if match.group("sq") is not None else match.group("bare")
        key = match.group("key") or DEFAULT
        out.setdefault(key, value)
    return out


def extract_section(text: str, name: str) -> str | None:
    """Text between ``%STARTSECTION{"name"}%`` and the matching ``%ENDSECTION%``."""
    start: int | None = None
    for match in MACRO_RE.finditer(text):
        kind = match.group("name")
        if kind not in ("STARTSECTION", "ENDSECTION"):
            continue
        args = parse_args(match.group("args"))
        if args.get(DEFAULT, args.get("name")) != name:
            continue
        if kind == "STARTSECTION" and start is None:
            start = match.end()
        elif kind == "ENDSECTION" and start is not None:
            return text[start : match.start()]
    return None if start is None else text[start:]


@dataclass(frozen=True)
class Call:
    """One macro occurrence found by :func:`scan`: ``args`` is still unexpanded."""

    start: int
    end: int
    name: str
    args: str | None
    escaped: bool


def scan(text: str, pos: int = 0) -> Call | None:
    """The next macro at or after ``pos``; nested ``%X{..}%`` inside arguments count."""
    while True:
        match = NAME_RE.search(text, pos)
        if match is None:
            return None
        escaped = bool(match.group("bang"))
        if match.group("open") == "%":
            return Call(match.start(), match.end(), match.group("name"), None, escaped)
        end = _closing(text, match.end())
        if end is not None:
            return Call(match.start(), end + 2, match.group("name"),
                        text[match.end():end], escaped)
        pos = match.end()


def _closing(text: str, pos: int) -> int | None:
    """Index of the ``}%`` that closes arguments opened before ``pos``."""
    depth = 0
    limit = min(len(text), pos + MAX_ARGS)
    close = text.find("}%", pos, limit)
    while close >= 0:
        inner = NAME_RE.search(text, pos, close)
        while inner is not None and inner.group("open") == "%":
            inner = NAME_RE.search(text, inner.end(), close)
        if inner is not None:  # a nested macro opens before this close
            depth += 1
            if depth > MAX_NESTING:
                return None
            pos = inner.end()
            continue
        if depth == 0:
            return close
        depth -= 1
        pos = close + 2
        close = text.find("}%", pos, limit)
    return None


def expand(text: str, *, web: str, topic: str, context: MacroContext | None = None) -> Expansion:
    """Expand every macro outside code and ``<verbatim>``; unknown ones are marked."""
    from hub.wiki.expander import Expander

    expander = Expander(context or MacroContext(), web, topic, text)
    source = expander.document(text)
    return Expansion(source, expander.includes, expander.errors, expander.has_toc,
                     expander.stash, expander.toc_depth)


def notice(message: str) -> str:
    return f'<span class="wiki-notice">{escape(message)}</span>'


def topic_href(web: str, topic: str) -> str:
    return f"/wiki/{quote(web, safe='')}/{quote(topic, safe='')}"


def between_include_markers(text: str) -> str:
    """Honour TWiki's ``%STARTINCLUDE%``/``%STOPINCLUDE%`` in the included topic."""
    if "%STARTINCLUDE%" in text:
        text = text.split("%STARTINCLUDE%", 1)[1]
    if "%STOPINCLUDE%" in text:
        text = text.split("%STOPINCLUDE%", 1)[0]
    return text


def demote_steps(text: str) -> str:
    """Included ``op`` blocks are shown but are not steps of the including runbook.

    Step numbers come from the runbook's own text; renaming the info string keeps the
    rendered numbering (and run state) aligned with :func:`hub.runbooks.steps.parse_runbook`.
    """
    out = []
    for seg in split_code(text):
        if seg.lang == "op":
            first, rest = seg.text.split("\n", 1)
            out.append(first.replace("op", "op-included", 1) + "\n" + rest)
        else:
            out.append(seg.text)
    return "".join(out)


def search_html(hits: Sequence[Mapping[str, Any]], web: str) -> str:
    """``%SEARCH%`` hits as escaped HTML (stashed by the expander)."""
    if not hits:
        return '<div class="wiki-search"><p>No results.</p></div>'
    items = "".join(
        f'<li><a href="{topic_href(str(h.get("web", web)), str(h.get("topic", "")))}">'
        f'{escape(str(h.get("title") or h.get("topic", "")))}</a>'
        f' <span class="snippet">{escape(str(h.get("snippet", "")))}</span></li>'
        for h in hits
    )
    return f'<div class="wiki-search"><ul>{items}</ul></div>'


def tickets_html(rows: Sequence[Mapping[str, Any]]) -> str:
    """``%TICKETS%`` rows as an escaped table linking each ticket."""
    if not rows:
        return '<div class="wiki-tickets"><p>No tickets.</p></div>'
    head = "".join(f"<th>{h}</th>" for h in ("#", "Subject", "Status", "Owner", "Queue"))
    body = "".join(ticket_row(row) for row in rows)
    return (f'<div class="wiki-tickets"><table><thead><tr>{head}</tr></thead>'
            f"<tbody>{body}</tbody></table></div>")


def ticket_row(row: Mapping[str, Any]) -> str:
    tid = escape(str(row.get("id", "")))
    href = f"/tickets/{quote(str(row.get('id', '')), safe='')}"
    subject = escape(str(row.get("subject", "")))
    cells = [f'<a href="{href}">{tid}</a>', f'<a href="{href}">{subject}</a>']
    cells += [escape(str(row.get(k) or "")) for k in ("status", "owner", "queue")]
    return "<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>"


__all__ = ["Call", "Expansion", "MacroContext", "TopicMeta", "expand", "extract_section",
           "lib", "notice", "parse_args", "scan", "topic_href"]
