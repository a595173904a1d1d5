"""TWiki macros (``%NAME{args}%``), expanded on the raw text before Markdown runs.

Expansion is a single pass: text produced by a macro (a ticket subject, a search
snippet) is never scanned for macros again, so data cannot smuggle in an
``%INCLUDE%``.  Only included topic text is expanded, recursively, with a depth limit
and cycle detection.  Macro output that carries data is emitted as escaped raw HTML
blocks so Markdown leaves it alone; the sanitiser still sees all of it afterwards.
Everything that needs the database (includes, search, tickets) goes through the
callbacks of :class:`MacroContext`, which also apply access control.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html import escape
from typing import Any
from urllib.parse import quote

from hub.wiki.wikiwords import qualify_links, resolve_target, split_code

IncludeFn = Callable[[str, str], str | None]
SearchFn = Callable[[str, str, int], Sequence[Mapping[str, Any]]]
TicketsFn = Callable[[Mapping[str, str]], Sequence[Mapping[str, Any]]]

MACRO_RE = re.compile(
    r"%(?P<name>[A-Z][A-Z0-9_]*)"
    r"(?:\{(?P<args>(?:\"(?:[^\"\\\n]|\\.)*\"|'[^'\n]*'|[^}\"'\n])*)\})?%"
)
_ARG_RE = re.compile(
    r"\s*(?:(?P<key>[A-Za-z_][A-Za-z0-9_]*)\s*=\s*)?"
    r"(?:\"(?P<dq>(?:[^\"\\]|\\.)*)\"|'(?P<sq>[^']*)'|(?P<bare>[^\s\"'=]+))"
)
_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
#: Marker understood by Markdown's ``toc`` extension (see render.py).
TOC_MARKER = "[TOC]"
DEFAULT = "_DEFAULT"


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass
class MacroContext:
    """Callbacks to the rest of the hub; each may be None when not available.

    ``include(web, topic)`` returns the topic text, or None when it is missing *or*
    the reader may not view it: the notice does not tell which, so an include does
    not reveal that a protected topic exists.
    """

    include: IncludeFn | None = None
    search: SearchFn | None = None
    tickets: TicketsFn | None = None
    now: Callable[[], datetime] = _utcnow
    max_include_depth: int = 8
    max_search_limit: int = 100


@dataclass
class Expansion:
    text: str
    includes: list[tuple[str, str]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    has_toc: bool = False


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


def expand(text: str, *, web: str, topic: str, context: MacroContext | None = None) -> Expansion:
    """Expand every known macro outside code; unknown ones stay verbatim."""
    expander = _Expander(context or MacroContext(), web, topic)
    result = expander.run(text, web, topic, [(web, topic)])
    return Expansion(result, expander.includes, expander.errors, expander.has_toc)


def notice(message: str) -> str:
    return f'<span class="wiki-notice">{escape(message)}</span>'


class _Expander:
    def __init__(self, context: MacroContext, base_web: str, base_topic: str) -> None:
        self.ctx = context
        self.base = (base_web, base_topic)
        self.includes: list[tuple[str, str]] = []
        self.errors: list[str] = []
        self.has_toc = False

    def run(self, text: str, web: str, topic: str, stack: list[tuple[str, str]]) -> str:
        def one(match: re.Match[str]) -> str:
            try:
                return self.macro(match, web, topic, stack)
            except Exception as exc:  # a failing callback must not break the page
                self.errors.append(f"%{match.group('name')}%: {exc}")
                return notice(f"%{match.group('name')}% failed")

        return "".join(
            MACRO_RE.sub(one, seg.text) if seg.kind in ("text", "url") else seg.text
            for seg in split_code(text)
        )

    def macro(self, match: re.Match[str], web: str, topic: str,
              stack: list[tuple[str, str]]) -> str:
        name = match.group("name")
        args = parse_args(match.group("args"))
        simple = {"WEB": web, "TOPIC": topic, "BASEWEB": self.base[0],
                  "BASETOPIC": self.base[1], "STARTSECTION": "", "ENDSECTION": "",
                  "STARTINCLUDE": "", "STOPINCLUDE": ""}
        if name in simple:
            return simple[name]
        if name == "DATE":
            now = self.ctx.now()
            return f"{now.day:02d} {_MONTHS[now.month - 1]} {now.year}"
        if name == "TOC":
            self.has_toc = True
            return f"\n\n{TOC_MARKER}\n\n"
        if name == "INCLUDE":
            return self.include(args, web, stack)
        if name == "SEARCH":
            return self.search(args, web)
        if name == "TICKETS":
            return self.tickets(args)
        return match.group(0)

    def include(self, args: dict[str, str], web: str, stack: list[tuple[str, str]]) -> str:
        target = args.get(DEFAULT, args.get("topic", ""))
        resolved = resolve_target(target, web)
        quiet = args.get("warn", "on").lower() == "off"
        if resolved is None:
            return self.fail(f"INCLUDE: {target!r} is not a topic name", quiet)
        key = resolved[:2]
        label = f"{key[0]}.{key[1]}"
        if key in stack:
            return self.fail(f"INCLUDE: {label} includes itself (loop)", quiet)
        if len(stack) > self.ctx.max_include_depth:
            return self.fail(f"INCLUDE: {label} is nested too deeply", quiet)
        raw = self.ctx.include(*key) if self.ctx.include else None
        if raw is None:
            return self.fail(f"INCLUDE: {label} does not exist or cannot be viewed", quiet)
        if key not in self.includes:
            self.includes.append(key)
        section = args.get("section")
        if section is not None:
            part = extract_section(raw, section)
            if part is None:
                return self.fail(f"INCLUDE: {label} has no section {section!r}", quiet)
            raw = part
        raw = _between_include_markers(raw)
        if key[0] != web:
            raw = qualify_links(raw, key[0])
        return self.run(_demote_steps(raw), key[0], key[1], [*stack, key])

    def fail(self, message: str, quiet: bool) -> str:
        self.errors.append(message)
        return "" if quiet else notice(message)

    def search(self, args: dict[str, str], web: str) -> str:
        query = args.get(DEFAULT, args.get("search", ""))
        if self.ctx.search is None:
            return notice("SEARCH is not available here")
        try:
            limit = max(1, min(int(args.get("limit", "20")), self.ctx.max_search_limit))
        except ValueError:
            limit = 20
        hits = self.ctx.search(query, args.get("web", web), limit)[:limit]
        if not hits:
            return '\n\n<div class="wiki-search"><p>No results.</p></div>\n\n'
        items = "".join(
            f'<li><a href="{topic_href(str(h.get("web", web)), str(h.get("topic", "")))}">'
            f'{escape(str(h.get("title") or h.get("topic", "")))}</a>'
            f' <span class="snippet">{escape(str(h.get("snippet", "")))}</span></li>'
            for h in hits
        )
        return f'\n\n<div class="wiki-search"><ul>{items}</ul></div>\n\n'

    def tickets(self, args: dict[str, str]) -> str:
        if self.ctx.tickets is None:
            return notice("TICKETS is not available here")
        filters = {k: v for k, v in args.items() if k != DEFAULT}
        for key, value in re.findall(r"(\w+)=(\"[^\"]*\"|'[^']*'|\S+)", args.get(DEFAULT, "")):
            filters.setdefault(key, value.strip("\"'"))
        rows = self.ctx.tickets(filters)
        if not rows:
            return '\n\n<div class="wiki-tickets"><p>No tickets.</p></div>\n\n'
        head = "".join(f"<th>{h}</th>" for h in ("#", "Subject", "Status", "Owner", "Queue"))
        body = "".join(_ticket_row(row) for row in rows)
        return (f'\n\n<div class="wiki-tickets"><table><thead><tr>{head}</tr></thead>'
                f"<tbody>{body}</tbody></table></div>\n\n")


def _ticket_row(row: Mapping[str, Any]) -> str:
    tid = escape(str(row.get("id", "")))
    href = f"/tickets/{quote(str(row.get('id', '')), safe='')}"
    subject = escape(str(row.get("subject", "")))
    cells = [f'<a href="{href}">{tid}</a>', f'<a href="{href}">{subject}</a>']
    cells += [escape(str(row.get(k) or "")) for k in ("status", "owner", "queue")]
    return "<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>"


def topic_href(web: str, topic: str) -> str:
    return f"/wiki/{quote(web, safe='')}/{quote(topic, safe='')}"


def _between_include_markers(text: str) -> str:
    """Honour TWiki's ``%STARTINCLUDE%``/``%STOPINCLUDE%`` in the included topic."""
    if "%STARTINCLUDE%" in text:
        text = text.split("%STARTINCLUDE%", 1)[1]
    if "%STOPINCLUDE%" in text:
        text = text.split("%STOPINCLUDE%", 1)[0]
    return text


def _demote_steps(text: str) -> str:
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
