"""Render a wiki topic: TWiki macros, then Markdown with TML extensions, then nh3.

One parser does it: the macro scanner and expander (:mod:`hub.wiki.macros`) feed
Python-Markdown, extended with TML's blocks (:mod:`hub.wiki.tmlblocks`: headings,
lists, definition lists, tables, anchors), escapes and emphasis
(:mod:`hub.wiki.tmlinline`), ``%TOC%`` (:mod:`hub.wiki.toc`) and the link patterns
below.  Markdown written in the hub keeps working beside TML.  Links are made by
Markdown inline patterns (not by regexes over HTML), so code spans, code blocks and
existing links are never rewritten.  Fences with a registered info
string (runbooks registers ``op``) go to their renderer (``hub.wiki.fences``).
Everything, including our own markup and plug-in output, passes through a
wiki-specific nh3 allow-list at the end, so a bug in an extension cannot open an XSS
hole: no script, no event-handler attribute and only http/https/mailto/relative URLs
survive.
"""

from __future__ import annotations

import hashlib
import re
import xml.etree.ElementTree as etree
from collections.abc import Callable, Mapping, MutableMapping
from dataclasses import dataclass, field
from html import escape
from typing import Any

import markdown
import nh3
from markdown.extensions import Extension
from markdown.inlinepatterns import InlineProcessor
from markdown.preprocessors import Preprocessor
from markdown.util import AtomicString

from hub.wiki import fastinline, fences, tmlinline
from hub.wiki.macros import MacroContext, expand, topic_href
from hub.wiki.tmlblocks import TmlBlockProcessor
from hub.wiki.toc import TocTreeprocessor
from hub.wiki.wikiwords import BRACKET_RE, NOP, WIKIWORD_RE, resolve_target, split_code

ExistsFn = Callable[[str, str], bool]


@dataclass
class Rendered:
    html: str
    toc: list[tuple[int, str, str]] = field(default_factory=list)
    links: set[tuple[str, str]] = field(default_factory=set)
    includes: list[tuple[str, str]] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


class _State:
    """Per-render state shared by the extension's processors."""

    def __init__(self, web: str, topic: str, exists: ExistsFn,
                 fence_context: Mapping[str, Any]) -> None:
        self.web = web
        self.topic = topic
        self.exists_fn = exists
        self.fence_context = fence_context
        self.links: set[tuple[str, str]] = set()
        self.errors: list[str] = []
        self._cache: dict[tuple[str, str], bool] = {}

    def link(self, web: str, topic: str, label: str, anchor: str = "") -> etree.Element:
        key = (web, topic)
        self.links.add(key)
        if key not in self._cache:
            self._cache[key] = bool(self.exists_fn(web, topic))
        el = etree.Element("a")
        if self._cache[key]:
            el.set("href", topic_href(web, topic) + (f"#{anchor}" if anchor else ""))
            el.set("class", "wiki-link")
            el.text = label
        else:
            el.set("href", topic_href(web, topic) + "?create=1")
            el.set("class", "wiki-missing")
            el.text = AtomicString(f"{label}?") if isinstance(label, AtomicString) \
                else f"{label}?"
        return el


class _WikiWordPattern(InlineProcessor):
    ANCESTOR_EXCLUDES = ("a", "code", "pre")

    def __init__(self, state: _State, md: markdown.Markdown) -> None:
        super().__init__(WIKIWORD_RE.pattern, md)
        self.state = state

    def handleMatch(  # type: ignore[override]
        self, m: re.Match[str], data: str
    ) -> tuple[etree.Element | str, int, int]:
        shown = m.group(0).lstrip("!")
        if m.group("bang"):
            return AtomicString(shown), m.start(0), m.end(0)
        anchor = m.group("anchor") or ""
        label = shown.split("#", 1)[0]
        return self.state.link(m.group("web") or self.state.web, m.group("topic"),
                               AtomicString(label), anchor), m.start(0), m.end(0)


class _BracketPattern(InlineProcessor):
    ANCESTOR_EXCLUDES = ("a", "code", "pre")

    def __init__(self, state: _State, md: markdown.Markdown) -> None:
        super().__init__(BRACKET_RE.pattern, md)
        self.state = state

    def handleMatch(  # type: ignore[override]
        self, m: re.Match[str], data: str
    ) -> tuple[etree.Element | str, int, int]:
        target = m.group("target").replace(NOP, "").strip()
        label = (m.group("label") or target).strip()
        if m.group("bang"):
            return AtomicString(m.group(0)[1:]), m.start(0), m.end(0)
        resolved = resolve_target(target, self.state.web)
        if resolved is None:
            el = etree.Element("a")
            el.set("href", target)  # the sanitiser drops unsafe schemes
            if m.group("label"):
                el.text = label  # a label may hold TML (``*bold*``) or an image
            else:
                el.text = AtomicString(label.removeprefix("mailto:"))
            return el, m.start(0), m.end(0)
        web, topic, anchor = resolved
        shown = label if m.group("label") else AtomicString(label)  # labels may hold TML
        return self.state.link(web, topic, shown, anchor), m.start(0), m.end(0)


class _FencePreprocessor(Preprocessor):
    """Hand fences with a registered info string to their renderer, before ``fenced_code``.

    The HTML is stashed so Markdown leaves it alone; the final nh3 pass still applies.
    """

    def __init__(self, state: _State, md: markdown.Markdown) -> None:
        super().__init__(md)
        self.state = state

    def run(self, lines: list[str]) -> list[str]:
        if not fences.registered():
            return lines
        out: list[str] = []
        counts: dict[str, int] = {}
        for seg in split_code("\n".join(lines)):
            render_fence = fences.renderer(seg.lang) if seg.lang else None
            if render_fence is None:
                out.append(seg.text)
                continue
            counts[seg.lang] = counts.get(seg.lang, 0) + 1
            block = fences.FencedBlock(seg.lang, seg.body, counts[seg.lang], self.state.web,
                                       self.state.topic, self.state.fence_context)
            try:
                html = render_fence(block)
            except Exception as exc:  # a broken plug-in must not break the page
                block.errors.append(f"{seg.lang} block {block.index}: rendering failed "
                                    f"({type(exc).__name__})")
                html = f"<pre><code>{escape(seg.body)}</code></pre>"
            self.state.errors.extend(block.errors)
            out.append(f"\n\n{self.md.htmlStash.store(html)}\n\n")
        return "".join(out).split("\n")


class WikiExtension(Extension):
    def __init__(self, state: _State, stash: list[str], toc_depth: int = 6) -> None:
        super().__init__()
        self.state = state
        self.stash = stash
        self.toc_depth = toc_depth

    def extendMarkdown(self, md: markdown.Markdown) -> None:
        tmlinline.register(md, self.stash)
        md.preprocessors.register(_FencePreprocessor(self.state, md), "wiki_fences", 27)
        md.parser.blockprocessors.register(TmlBlockProcessor(md.parser), "tml_blocks", 95)
        md.inlinePatterns.register(_BracketPattern(self.state, md), "wiki_bracket", 175)
        md.inlinePatterns.register(_WikiWordPattern(self.state, md), "wikiword", 45)
        md.treeprocessors.register(TocTreeprocessor(md, self.toc_depth), "wiki_toc", 5)
        fastinline.install(md)


def render(
    text: str,
    *,
    web: str,
    topic: str,
    exists: ExistsFn,
    macros: MacroContext | None = None,
    fence_context: Mapping[str, Any] | None = None,
    cache: MutableMapping[str, Any] | None = None,
) -> Rendered:
    """Render topic text to sanitised HTML; problems are reported, never raised.

    With a ``cache``, the Markdown phase (the expensive part) is reused when the
    macro-expanded text is identical and every linked topic still exists or not as
    before; macros are expanded for every render, so their data is always fresh.
    ``fence_context`` is passed to registered fenced-block renderers (see
    ``hub.wiki.commands.register_fenced_renderer``); a render with one is not cached.
    """
    expansion = expand(text, web=web, topic=topic, context=macros)
    key = None
    if cache is not None and fence_context is None:
        digest = hashlib.sha256(f"{web}\0{topic}\0{expansion.source}".encode())
        for part in expansion.stash:
            digest.update(b"\0" + part.encode())
        key = digest.hexdigest()
        hit = cache.get(key)
        if hit is not None and all(bool(exists(*k)) == v for k, v in hit[1].items()):
            done: Rendered = hit[0]
            return Rendered(done.html, list(done.toc), set(done.links), expansion.includes,
                            [*expansion.errors, *done.errors])
    state = _State(web, topic, exists, fence_context or {})
    wiki = WikiExtension(state, expansion.stash, expansion.toc_depth)
    md = markdown.Markdown(
        extensions=["tables", "fenced_code", "sane_lists", "md_in_html", wiki],
        output_format="html",
    )
    errors = list(expansion.errors)
    toc = md.treeprocessors["wiki_toc"]
    try:
        html = md.convert(expansion.source)
    except Exception as exc:  # e.g. RecursionError on absurd nesting
        errors.append(f"Markdown rendering failed: {type(exc).__name__}")
        html = f"<pre>{escape(text)}</pre>"
    errors.extend(state.errors)
    out = Rendered(
        html=sanitize_wiki_html(html),
        toc=list(getattr(toc, "tokens", [])),
        links=state.links,
        includes=expansion.includes,
        errors=errors,
    )
    if key is not None and cache is not None:
        cache[key] = (Rendered(out.html, out.toc, out.links, [], list(state.errors)),
                      dict(state._cache))
    return out


_HEADINGS = {f"h{i}" for i in range(1, 7)}
_TAGS = _HEADINGS | {
    "p", "br", "hr", "ul", "ol", "li", "dl", "dt", "dd", "blockquote", "pre", "code",
    "em", "strong", "b", "i", "u", "s", "del", "ins", "sub", "sup", "kbd", "mark", "small",
    "table", "thead", "tbody", "tfoot", "tr", "th", "td", "caption", "a", "img", "div",
    "span", "abbr", "details", "summary",
}
_CELL = {"style", "colspan", "rowspan", "align"}
_ATTRS: dict[str, set[str]] = {
    "a": {"href", "title", "class", "id"}, "img": {"src", "alt", "title", "width", "height"},
    "div": {"class", "data-step"}, "span": {"class", "title"}, "strong": {"class"},
    "code": {"class"}, "pre": {"class"}, "details": {"class", "open"},
    "p": {"class"}, "ul": {"class"}, "table": {"class"}, "ol": {"start", "type"},
    "abbr": {"title"},
    "th": _CELL, "td": _CELL, **{h: {"id"} for h in _HEADINGS},
}
_CLEAN_CONTENT = {"script", "style", "svg", "math", "template", "iframe", "object", "embed",
                  "noscript", "textarea", "title", "xmp", "noembed", "noframes"}
_CLASS_RE = re.compile(
    r"wiki-[a-z0-9-]+|runbook-[a-z-]+|step-[a-z-]+|approval-[a-z]+|toc|toctitle|snippet"
    r"|language-[A-Za-z0-9_+#.-]{1,40}"
)


def _attribute_filter(tag: str, attr: str, value: str) -> str | None:
    """Our classes and slug ids only: user HTML cannot restyle or clobber page chrome."""
    if attr == "class":
        kept = [c for c in value.split() if _CLASS_RE.fullmatch(c)]
        return " ".join(kept) or None
    if attr == "id":
        return value if re.fullmatch(r"[A-Za-z0-9_-]{1,100}", value) else None
    if attr == "data-step":
        return value if value.isdigit() else None
    if attr == "type":
        return value if value in ("1", "a", "A", "i", "I") else None
    return value


_CLEANER = nh3.Cleaner(
    tags=_TAGS,
    clean_content_tags=_CLEAN_CONTENT,
    attributes=_ATTRS,
    attribute_filter=_attribute_filter,
    url_schemes={"http", "https", "mailto"},
    strip_comments=True,
    filter_style_properties={"text-align"},
)


def sanitize_wiki_html(html: str) -> str:
    """The wiki's allow-list (wider than ``hub.sanitize``: ids, tables, step cards)."""
    return _CLEANER.clean(html)
