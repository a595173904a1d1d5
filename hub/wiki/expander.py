"""The macro expander behind :func:`hub.wiki.macros.expand` (one object per render).

Kept apart from :mod:`hub.wiki.macros` (the scanner and public names) so each stays
readable; see that module for the rules.  Every macro handler returns markup; data
goes through :meth:`Expander.keep`, which stashes escaped HTML behind a placeholder.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from html import escape

from hub.wiki import macrolib as lib
from hub.wiki import prefs
from hub.wiki.ifexpr import Env, IfError, evaluate
from hub.wiki.macros import (
    DEFAULT,
    STASH_RE,
    TOC_MARKER,
    Call,
    MacroContext,
    between_include_markers,
    demote_steps,
    extract_section,
    notice,
    parse_args,
    scan,
    search_html,
    tickets_html,
    topic_href,
)
from hub.wiki.wikiwords import qualify_links, resolve_target, split_code

#: Value macros a preference may override (Foswiki sets these in DefaultPreferences).
DEFAULTS = {"SYSTEMWEB": "System", "USERSWEB": "Main", "MAINWEB": "Main",
            "TWIKIWEB": "System", "HOMETOPIC": "WebHome", "WEBPREFSTOPIC": "WebPreferences",
            "NOTIFYTOPIC": "WebNotify", "STATISTICSTOPIC": "WebStatistics",
            "BR": "<br />", "NBSP": "&nbsp;", "VBAR": "&#124;", "BULLET": "&#8226;",
            "LAQUO": "&laquo;", "RAQUO": "&raquo;", "CARET": "&#94;", "NOP": "<nop>",
            "ENDTWISTY": "\n</details>\n",
            "STARTSECTION": "", "ENDSECTION": "", "STARTINCLUDE": "", "STOPINCLUDE": "",
            }
#: Inline HTML macros stashed rather than left in the text (cheaper for Markdown's
#: HTML parser, and TML between a colour and ``%ENDCOLOR%`` is still rendered).
STASHED = {"ENDCOLOR": "</span>", **{c: lib.colour(c) for c in lib.COLOURS}}
MAX_PREF_DEPTH = 16


@dataclass
class Frame:
    """Where a piece of text comes from: the included topic and its parameters."""

    web: str
    topic: str
    includer: tuple[str, str]
    stack: list[tuple[str, str]]
    params: dict[str, str] = field(default_factory=dict)


class Expander:
    def __init__(self, context: MacroContext, base_web: str, base_topic: str,
                 base_text: str) -> None:
        self.ctx = context
        self.base = (base_web, base_topic)
        self.includes: list[tuple[str, str]] = []
        self.errors: list[str] = []
        self.stash: list[str] = []
        self.has_toc = False
        self.toc_depth = 6
        self._pref_stack: list[str] = []
        cache: dict[str, object] = {}
        self.prefs = prefs.load(context.settings or context.include, base_web, base_text, cache)
        self.handlers: dict[str, Callable[[dict[str, str], Frame], str]] = {
            "WEB": lambda a, f: f.web, "TOPIC": lambda a, f: f.topic,
            "BASEWEB": lambda a, f: self.base[0], "BASETOPIC": lambda a, f: self.base[1],
            "INCLUDINGWEB": lambda a, f: f.includer[0],
            "INCLUDINGTOPIC": lambda a, f: f.includer[1],
            "USERNAME": lambda a, f: self.ctx.user,
            "WIKINAME": lambda a, f: lib.wikiname(self.ctx.user),
            "WIKIUSERNAME": lambda a, f: f"{self.value('USERSWEB')}.{lib.wikiname(self.ctx.user)}",
            "DATE": lambda a, f: lib.format_time("$day $month $year", self.ctx.now()),
            "GMTIME": self.gmtime, "SERVERTIME": self.gmtime, "DISPLAYTIME": self.gmtime,
            "TOC": self.toc, "INCLUDE": self.include, "SEARCH": self.search,
            "TICKETS": self.tickets, "IF": self.if_, "MAKETEXT": self.maketext,
            "FORMFIELD": self.formfield, "META": self.meta, "REVINFO": self.revinfo,
            "ICON": lambda a, f: self.keep(lib.icon(a.get(DEFAULT, ""))),
            "TWISTY": self.twisty, "ENCODE": self.encode,
            "SCRIPTURL": self.script_url, "SCRIPTURLPATH": self.script_url,
            "ATTACHURL": lambda a, f: topic_href(f.web, f.topic) + "/files",
            "ATTACHURLPATH": lambda a, f: topic_href(f.web, f.topic) + "/files",
        }

    # -- scanning -------------------------------------------------------------
    def document(self, text: str) -> str:
        frame = Frame(self.base[0], self.base[1], self.base, [self.base])
        return self.protected(text, frame)

    def protected(self, text: str, frame: Frame) -> str:
        """Expand prose and URLs; code, fences and ``<verbatim>`` stay as written."""
        return "".join(self.expand_text(seg.text, frame) if seg.kind in ("text", "url")
                       else seg.text for seg in split_code(text))

    def expand_text(self, text: str, frame: Frame) -> str:
        if "%" not in text:
            return text
        out: list[str] = []
        pos = 0
        while (call := scan(text, pos)) is not None:
            out.append(text[pos:call.start])
            pos = call.end
            if call.escaped:  # !%MACRO% shows the macro itself
                out.append(self.keep(escape(text[call.start + 1:call.end])))
                continue
            try:
                out.append(self.macro(call, frame))
            except Exception as exc:  # a failing callback must not break the page
                self.errors.append(f"%{call.name}%: {exc}")
                out.append(self.keep(notice(f"%{call.name}% failed")))
        out.append(text[pos:])
        return "".join(out)

    def keep(self, html: str) -> str:
        """Stash finished HTML; the text gets a placeholder TML cannot touch."""
        self.stash.append(html)
        return f"\ue001{len(self.stash) - 1}\ue002"

    def macro(self, call: Call, frame: Frame) -> str:
        raw = None if call.args is None else self.expand_text(call.args, frame)  # inner first
        args = parse_args(raw)
        name = call.name
        handler = self.handlers.get(name)
        if handler is not None:
            return handler(args, frame)
        if name in frame.params:
            return frame.params[name]
        if name in lib.SHORTCUTS:
            return self.keep(lib.icon(lib.SHORTCUTS[name]))
        value = self.value(name)
        if value is not None:
            return value
        if name in STASHED:
            return self.keep(STASHED[name])
        original = call.name if call.args is None else f"{call.name}{{{call.args}}}"
        return self.keep(f'<span class="wiki-alert">%{escape(original)}%</span>')

    def value(self, name: str) -> str | None:
        """A preference (expanded, as Foswiki does), else a default value macro."""
        value = self.prefs.get(name)
        if value is not None and name not in self._pref_stack \
                and len(self._pref_stack) < MAX_PREF_DEPTH:
            self._pref_stack.append(name)
            try:
                frame = Frame(self.base[0], self.base[1], self.base, [self.base])
                return self.expand_text(value, frame)
            finally:
                self._pref_stack.pop()
        if value is None and name == "WIKITOOLNAME":
            return self.ctx.site_name
        return value if value is not None else DEFAULTS.get(name)

    # -- handlers -------------------------------------------------------------
    def gmtime(self, args: dict[str, str], frame: Frame) -> str:
        return lib.format_time(args.get(DEFAULT, "$day $month $year - $hour:$min"),
                               self.ctx.now())

    def toc(self, args: dict[str, str], frame: Frame) -> str:
        self.has_toc = True
        depth = args.get("depth", "6")
        self.toc_depth = int(depth) if depth.isdigit() and 0 < int(depth) <= 6 else 6
        return f"\n\n{TOC_MARKER}\n\n"

    def twisty(self, args: dict[str, str], frame: Frame) -> str:
        label = escape(args.get("showlink", args.get("link", "More...")))
        opened = " open" if args.get("start") == "show" else ""
        return f'\n<details class="wiki-twisty"{opened}>\n<summary>{label}</summary>\n\n'

    def encode(self, args: dict[str, str], frame: Frame) -> str:
        from urllib.parse import quote

        text = args.get(DEFAULT, "")
        kind = args.get("type", "url")
        if kind == "url":
            return quote(text, safe="")
        return self.keep(escape(text))

    def script_url(self, args: dict[str, str], frame: Frame) -> str:
        return "/wiki"

    def include(self, args: dict[str, str], frame: Frame) -> str:
        target = args.get(DEFAULT, args.get("topic", ""))
        resolved = resolve_target(target, frame.web)
        quiet = args.get("warn", "on").lower() == "off"
        if resolved is None:
            shown = STASH_RE.sub("", target)
            return self.fail(f"INCLUDE: {shown!r} is not a topic name", quiet)
        key = resolved[:2]
        label = f"{key[0]}.{key[1]}"
        if key in frame.stack:
            return self.fail(f"INCLUDE: {label} includes itself (loop)", quiet)
        if len(frame.stack) > self.ctx.max_include_depth:
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
        raw = between_include_markers(raw)
        if key[0] != frame.web:
            raw = qualify_links(raw, key[0])
        params = {k: v for k, v in args.items()
                  if k not in (DEFAULT, "section", "warn", "topic")}
        inner = Frame(key[0], key[1], (frame.web, frame.topic), [*frame.stack, key],
                      {**frame.params, **params})
        return self.protected(demote_steps(raw), inner)

    def fail(self, message: str, quiet: bool) -> str:
        self.errors.append(message)
        return "" if quiet else self.keep(notice(message))

    def if_(self, args: dict[str, str], frame: Frame) -> str:
        def field_value(name: str) -> str | None:
            meta = self._meta(frame.web, frame.topic)
            return None if meta is None else meta.fields.get(name)

        def istopic(name: str) -> bool:
            found = resolve_target(name, frame.web)
            return bool(found and self.ctx.exists and self.ctx.exists(*found[:2]))

        env = Env(value=lambda n: self._defined(n, frame), field=field_value,
                  contexts=self.ctx.contexts, istopic=istopic,
                  isweb=lambda w: bool(self.ctx.exists and self.ctx.exists(w, "WebHome")))
        try:
            chosen = args.get("then", "") if evaluate(args.get(DEFAULT, ""), env) \
                else args.get("else", "")
        except IfError as exc:
            self.errors.append(f"IF: {exc}")
            return self.keep(notice(f"IF: {exc}"))
        return self.expand_text(lib.format_tokens(chosen), frame)

    def _defined(self, name: str, frame: Frame) -> str | None:
        if name in ("WEB", "TOPIC", "BASEWEB", "BASETOPIC", "USERNAME", "WIKINAME"):
            return str(self.handlers[name]({}, frame))
        return frame.params.get(name) if name in frame.params else self.value(name)

    def maketext(self, args: dict[str, str], frame: Frame) -> str:
        values = [a.strip() for a in args.get("args", "").split(",")] if "args" in args else []
        return lib.maketext(args.get(DEFAULT, ""), values)

    def _meta(self, web: str, topic: str) -> lib.TopicMeta | None:
        return self.ctx.meta(web, topic) if self.ctx.meta else None

    def _target_meta(self, args: dict[str, str], frame: Frame) -> lib.TopicMeta | None:
        found = resolve_target(args.get("topic", ""), frame.web) if args.get("topic") else None
        return self._meta(*(found[:2] if found else (frame.web, frame.topic)))

    def formfield(self, args: dict[str, str], frame: Frame) -> str:
        meta = self._target_meta(args, frame)
        return self.keep(lib.formfield(meta, args.get(DEFAULT, ""), args))

    def meta(self, args: dict[str, str], frame: Frame) -> str:
        meta = self._target_meta(args, frame)
        what = args.get(DEFAULT, "")
        if what == "parent" and meta is not None and meta.parent:
            found = resolve_target(meta.parent, frame.web)
            if found:
                return (f"{args.get('prefix', '')}[[{found[0]}.{found[1]}][{found[1]}]]"
                        f"{args.get('suffix', '')}")
        return self.keep(lib.meta_html(meta, what, args))

    def revinfo(self, args: dict[str, str], frame: Frame) -> str:
        meta = self._target_meta(args, frame)
        if meta is None:
            return ""
        fmt = args.get(DEFAULT, args.get("format", "r$rev - $date - $time - $wikiusername"))
        return self.keep(escape(lib.revinfo(meta, fmt, self.value("USERSWEB") or "Main")))

    def search(self, args: dict[str, str], frame: Frame) -> str:
        query = args.get(DEFAULT, args.get("search", ""))
        if self.ctx.search is None:
            return self.keep(notice("SEARCH is not available here"))
        try:
            limit = max(1, min(int(args.get("limit", "20")), self.ctx.max_search_limit))
        except ValueError:
            limit = 20
        hits = self.ctx.search(query, args.get("web", frame.web), limit)[:limit]
        return self.block(search_html(hits, frame.web))

    def tickets(self, args: dict[str, str], frame: Frame) -> str:
        if self.ctx.tickets is None:
            return self.keep(notice("TICKETS is not available here"))
        filters = {k: v for k, v in args.items() if k != DEFAULT}
        for key, value in re.findall(r"(\w+)=(\"[^\"]*\"|'[^']*'|\S+)", args.get(DEFAULT, "")):
            filters.setdefault(key, value.strip("\"'"))
        return self.block(tickets_html(self.ctx.tickets(filters)))

    def block(self, html: str) -> str:
        return f"\n\n{self.keep(html)}\n\n"
