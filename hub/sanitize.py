"""HTML sanitising and HTML-to-text conversion shared by mail, wiki and web.

Everything that renders user- or sender-controlled HTML goes through :func:`clean_html`, so
there is exactly one allow-list to review. The list is deliberately small: mail HTML is
hostile by default (tracking pixels, phishing links, script injection), and wiki pages do not
need more than basic formatting, tables, links and images.
"""

from __future__ import annotations

import contextlib
import html as _html
import re
from html.parser import HTMLParser

import nh3

__all__ = ["ALLOWED_TAGS", "ALLOWED_URL_SCHEMES", "clean_html", "escape_text", "html_to_text"]

#: Tags kept by :func:`clean_html`; anything else is unwrapped (its text survives).
ALLOWED_TAGS: frozenset[str] = frozenset(
    {
        "a", "abbr", "b", "blockquote", "br", "caption", "code", "col", "colgroup", "dd",
        "del", "div", "dl", "dt", "em", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img",
        "ins", "kbd", "li", "ol", "p", "pre", "q", "s", "samp", "small", "span", "strong",
        "sub", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "u", "ul",
    }
)  # fmt: skip

#: Tags removed together with their content: their text is code or chrome, never prose.
_DROP_WITH_CONTENT: frozenset[str] = frozenset(
    {"script", "style", "iframe", "object", "embed", "form", "textarea", "select", "noscript",
     "template", "svg", "math", "title", "head", "frameset", "frame", "applet"}
)  # fmt: skip

#: Attributes per tag; no ``style``/``class``/``id`` (CSS can overlay the UI) and no ``on*``.
_ATTRIBUTES: dict[str, set[str]] = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "td": {"colspan", "rowspan", "align"},
    "th": {"colspan", "rowspan", "align", "scope"},
    "ol": {"start"},
    "blockquote": {"cite"},
    "abbr": {"title"},
}

#: ``cid:`` is intentionally absent: inline parts must be rewritten to real URLs by the caller
#: (which knows where attachments are served) before cleaning, or they are dropped.
ALLOWED_URL_SCHEMES: frozenset[str] = frozenset({"http", "https", "mailto"})

_LINK_REL = "noopener noreferrer nofollow"


def clean_html(html: str) -> str:
    """Return ``html`` reduced to the conservative allow-list.

    Relative links stay (the wiki uses ``/wiki/...``); every link gets
    ``rel="noopener noreferrer nofollow"`` so a sanitised page cannot be scripted back through
    ``window.opener`` nor lend search ranking to spam.
    """
    return nh3.clean(
        html,
        tags=set(ALLOWED_TAGS),
        clean_content_tags=set(_DROP_WITH_CONTENT),
        attributes={k: set(v) for k, v in _ATTRIBUTES.items()},
        url_schemes=set(ALLOWED_URL_SCHEMES),
        link_rel=_LINK_REL,
        strip_comments=True,
    )


def escape_text(text: str) -> str:
    """Escape plain text for inclusion in HTML (quotes too, so it is safe in attributes)."""
    return _html.escape(text, quote=True)


_BLOCK_TAGS = frozenset(
    {"p", "div", "table", "tr", "ul", "ol", "dl", "dt", "dd", "blockquote", "pre", "h1", "h2",
     "h3", "h4", "h5", "h6", "hr", "section", "article", "header", "footer", "address", "li",
     "center", "form", "fieldset", "figure", "main", "nav", "aside"}
)  # fmt: skip
_SKIP_TAGS = frozenset({"script", "style", "head", "title", "template", "noscript", "svg"})
_SPACES = re.compile(r"[ \t\r\n\f\v]+")


class _TextExtractor(HTMLParser):
    """Collects visible text, turning block structure into newlines.

    Link targets are appended as ``text <url>`` because in mail the URL often *is* the
    information (a reset link, a monitoring graph) and must survive the conversion.
    """

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self._skip = 0
        self._pre = 0
        self._href: list[str | None] = []
        self._link_text: list[int] = []

    def _newline(self, count: int = 1) -> None:
        text = "".join(self.out)
        have = len(text) - len(text.rstrip("\n"))
        if text.strip() and have < count:
            self.out.append("\n" * (count - have))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP_TAGS:
            self._skip += 1
        elif tag == "br":
            self.out.append("\n")
        elif tag == "li":
            self._newline()
            self.out.append("- ")
        elif tag in {"p", "blockquote", "h1", "h2", "h3", "h4", "h5", "h6", "table", "pre"}:
            self._newline(2)
        elif tag in _BLOCK_TAGS:
            self._newline()
        if tag == "pre":
            self._pre += 1
        elif tag in {"td", "th"}:
            self.out.append(" ")
        elif tag == "a":
            self._href.append(dict(attrs).get("href"))
            self._link_text.append(len(self.out))
        elif tag == "img":
            alt = dict(attrs).get("alt")
            if alt:
                self.out.append(f"[{alt}]")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP_TAGS:
            return
        self.handle_starttag(tag, attrs)
        if tag == "a":
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_TAGS:
            self._skip = max(0, self._skip - 1)
        elif tag == "pre":
            self._pre = max(0, self._pre - 1)
            self._newline(2)
        elif tag == "a" and self._href:
            href, start = self._href.pop(), self._link_text.pop()
            label = "".join(self.out[start:]).strip()
            if href and not href.lower().startswith(("javascript:", "data:", "vbscript:")):
                target = href[7:] if href.lower().startswith("mailto:") else href
                if target not in label:
                    self.out.append(f" <{href}>")
        elif tag in {"p", "blockquote", "h1", "h2", "h3", "h4", "h5", "h6", "table"}:
            self._newline(2)
        elif tag in _BLOCK_TAGS:
            self._newline()

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        if not self._pre:
            data = _SPACES.sub(" ", data)
            if not self.out or self.out[-1].endswith(("\n", " ")):
                data = data.lstrip(" ")
        if data:
            self.out.append(data)


def html_to_text(html: str) -> str:
    """Convert HTML (typically an HTML-only mail) to readable plain text.

    Paragraphs become blank-line separated, ``<br>`` becomes a line break and link targets are
    kept. Never raises: ``html.parser`` is lenient and this is used on untrusted input.
    """
    parser = _TextExtractor()
    with contextlib.suppress(Exception):  # hostile input: keep whatever was read
        parser.feed(html)
        parser.close()
    lines = [line.rstrip() for line in "".join(parser.out).split("\n")]
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip("\n").strip()
