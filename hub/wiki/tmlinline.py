"""TML's escapes, protected regions and inline emphasis as Python-Markdown extensions.

The preprocessor runs first on the macro-expanded text and follows Foswiki:
``<verbatim>`` is shown as written (a ``<pre>``), ``<literal>`` and ``<sticky>`` pass
their HTML through untouched by TML, ``<noautolink>`` and ``<nop>`` stop WikiWord
links (they leave :data:`~hub.wiki.wikiwords.NOP`, removed from the output), and HTML
blocks (``<div>``, ``<td>``...) are marked for ``md_in_html`` so TML inside them is
rendered.  Placeholders of macro output (:mod:`hub.wiki.macros`) become Markdown's own
HTML stash entries here.  The inline patterns give ``*bold*``, ``_italic_``,
``__bold italic__``, ``=code=`` and ``==bold code==`` with Foswiki's word-boundary
rules, so ``2*3*4`` or ``snake_case_name`` stay text.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as etree
from collections.abc import Callable
from html import escape

import markdown
from markdown.inlinepatterns import InlineProcessor, SimpleTagInlineProcessor
from markdown.postprocessors import Postprocessor
from markdown.preprocessors import Preprocessor
from markdown.util import AtomicString

from hub.wiki.macros import STASH_RE
from hub.wiki.wikiwords import NOP, split_code

_REGION_RE = re.compile(r"<(?P<tag>literal|sticky)>(?P<body>.*?)</(?P=tag)>",
                        re.DOTALL | re.IGNORECASE)
_VERBATIM_RE = re.compile(r"<verbatim\b[^>\n]*>\n?(?P<body>.*?)(?:</verbatim>|\Z)",
                          re.DOTALL | re.IGNORECASE)
_NOAUTOLINK_RE = re.compile(r"<noautolink>(?P<body>.*?)(?:</noautolink>|\Z)",
                            re.DOTALL | re.IGNORECASE)
_BLOCK_TAG_RE = re.compile(
    r"<(?P<tag>div|table|thead|tbody|tfoot|tr|td|th|details|blockquote|center|section"
    r"|article|aside|dd|dt|li|ul|ol)\b(?![^>]*\bmarkdown=)(?P<attrs>[^>]*?)(?P<close>/?)>",
    re.IGNORECASE)
_LIST_TAB_RE = re.compile(r"^(\t+)(?=\S)", re.MULTILINE)
_PRE = r"(?<![^\s(\ue000])"
_POST = r"(?=$|[\s,.;:!?)\ue000])"


class TmlPreprocessor(Preprocessor):
    """Protected regions, escapes and stash placeholders (see the module docstring)."""

    def __init__(self, md: markdown.Markdown, stash: list[str]) -> None:
        super().__init__(md)
        self.stash = stash

    def run(self, lines: list[str]) -> list[str]:
        text = "\n".join(lines)
        out: list[str] = []
        for seg in split_code(text):
            if seg.kind == "verbatim":
                match = _VERBATIM_RE.match(seg.text)
                body = match.group("body") if match else seg.text
                out.append(self.block(f"<pre>{escape(body.rstrip(chr(10)))}</pre>"))
            elif seg.kind in ("text", "url"):
                out.append(_BLOCK_TAG_RE.sub(_markdown_attr, seg.text) if "<" in seg.text
                           else seg.text)
            else:
                out.append(STASH_RE.sub(lambda m: self.stash[int(m.group(1))], seg.text))
        text = "".join(out)
        low = text.lower() if "<" in text else ""
        if "<literal>" in low or "<sticky>" in low:
            text = _REGION_RE.sub(self.region, text)
        if "<noautolink>" in low:
            text = _NOAUTOLINK_RE.sub(lambda m: _no_links(m.group("body")), text)
        if "<nop>" in low:
            text = re.sub("<nop>", NOP, text, flags=re.IGNORECASE)
        if "\ue001" in text:
            text = STASH_RE.sub(lambda m: self.md.htmlStash.store(self.stash[int(m.group(1))]),
                                text)
        return text.split("\n")

    def block(self, html: str) -> str:
        return f"\n\n{self.md.htmlStash.store(html)}\n\n"

    def region(self, match: re.Match[str]) -> str:
        body = STASH_RE.sub(lambda m: self.stash[int(m.group(1))], match.group("body"))
        return self.md.htmlStash.store(body)


def _markdown_attr(m: re.Match[str]) -> str:
    return f'<{m.group("tag")}{m.group("attrs")} markdown="1"{m.group("close")}>'


def map_prose(text: str, func: Callable[[str], str]) -> str:
    """Apply ``func`` outside code and verbatim (URLs included: tags may hold them)."""
    return "".join(func(s.text) if s.kind in ("text", "url") else s.text
                   for s in split_code(text))


def _no_links(body: str) -> str:
    """Inside ``<noautolink>`` a NOP before each capital word stops WikiWord links."""
    return map_prose(body, lambda t: re.sub(r"(?<![A-Za-z0-9\[])(?=[A-Z])", NOP, t))


#: TML emphasis marks, longest first, and the tags each one makes.
_MARKS = {"==": ("strong", "code"), "__": ("strong", "em"), "=": ("code",),
          "*": ("strong",), "_": ("em",)}
_EMPHASIS_RE = (
    rf"{_PRE}(?P<mark>==|__|=|\*|_)(?P<body>(?!\s)(?:(?!(?P=mark)).)+?(?<!\s))"
    rf"(?P=mark){_POST}"
)


class _Emphasis(InlineProcessor):
    """All five TML emphasis forms in one pattern (one regex pass per text node)."""

    def handleMatch(  # type: ignore[override]
        self, m: re.Match[str], data: str
    ) -> tuple[etree.Element | None, int | None, int | None]:
        mark, body = m.group("mark"), m.group("body")
        if body[0] == mark[0] or body[-1] == mark[0]:
            return None, None, None
        tags = _MARKS[mark]
        outer = etree.Element(tags[0])
        inner = outer
        for tag in tags[1:]:
            inner = etree.SubElement(inner, tag)
        inner.text = AtomicString(body.replace(NOP, "")) if "code" in tags else body
        return outer, m.start(0), m.end(0)


class _TabIndents(Preprocessor):
    """Old TWiki topics indent lists with tabs; Markdown would expand them to 4 spaces."""

    def run(self, lines: list[str]) -> list[str]:
        return _LIST_TAB_RE.sub(lambda m: "   " * len(m.group(1)), "\n".join(lines)).split("\n")


class _NopCleaner(Postprocessor):
    def run(self, text: str) -> str:
        return text.replace(NOP, "")


def register(md: markdown.Markdown, stash: list[str]) -> None:
    """Add the TML preprocessor, the emphasis patterns and the NOP cleaner to ``md``."""
    md.preprocessors.register(_TabIndents(md), "tml_tabs", 35)  # before whitespace rules
    md.preprocessors.register(TmlPreprocessor(md, stash), "tml", 29)  # before fences/HTML
    md.inlinePatterns.register(_Emphasis(_EMPHASIS_RE, md), "tml_emphasis", 65)
    # Markdown's own emphasis would turn 2*3*4 into italics; TML's ``*bold*`` and
    # ``_italic_`` replace it and only Markdown's ``**strong**`` stays.
    for name in ("em_strong", "em_strong2", "not_strong"):
        md.inlinePatterns.deregister(name, strict=False)
    md.inlinePatterns.register(SimpleTagInlineProcessor(r"(\*{2})(?!\s)(.+?)(?<!\s)\1",
                                                        "strong"), "md_strong", 60)
    md.postprocessors.register(_NopCleaner(md), "tml_nop", 0)
