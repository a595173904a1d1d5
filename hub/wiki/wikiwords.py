"""TWiki-style WikiWords, qualified names and bracket links on raw topic text.

Backlinks and renames work on the stored text, not on HTML, so they need the same
notion of "what is a link" as the renderer.  The regular expressions here are shared
with :mod:`hub.wiki.render` (which applies them as Markdown inline patterns) so both
sides agree.  Code (fenced blocks, inline code spans) and URLs are never treated as
links, which is why every text operation goes through :func:`split_code` first.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

WebTopic = tuple[str, str]

#: A WikiWord per TWiki: uppercase run, lowercase/digit run, uppercase, then alnum.
TOPIC = r"[A-Z]+[a-z0-9]+[A-Z][A-Za-z0-9]*"
#: A web name per TWiki: starts uppercase, then letters, digits, underscores.
WEB = r"[A-Z][A-Za-z0-9_]*"

#: A (possibly escaped, possibly web-qualified) WikiWord standing on its own.  The
#: look-behind keeps URLs (``http://x/FooBar``, ``?a=FooBar``), words such as
#: ``iPhone`` and e-mail addresses from turning into links.
#: ``NOP`` (what ``<nop>`` and ``<noautolink>`` leave in the text while rendering) stops
#: a WikiWord just as a letter would; it is removed from the output.
NOP = "\ue000"
WIKIWORD_RE = re.compile(
    rf"(?<![A-Za-z0-9_/.:!#&=?%@~+$\ue000-])(?P<bang>!)?"
    rf"(?:(?P<web>{WEB})\.)?(?P<topic>{TOPIC})(?![A-Za-z0-9_@])"
    rf"(?:#(?P<anchor>[A-Za-z][A-Za-z0-9_]*))?"
)
#: ``[[target]]`` or ``[[target][label]]`` (``!`` in front escapes it).
BRACKET_RE = re.compile(
    r"(?P<bang>!)?\[\[(?P<target>[^\[\]\n]+)\](?:\[(?P<label>[^\[\]\n]+)\])?\]"
)
#: Schemes that make a bracket target an external link rather than a topic.
URL_RE = re.compile(r"^(?:[a-zA-Z][a-zA-Z0-9+.-]*:|/|#|\.)")

_FENCE_RE = re.compile(
    r"(?P<verbatim><verbatim\b[^>\n]*>.*?(?:</verbatim>|\Z))"
    r"|^(?P<fence>`{3,}|~{3,})[ \t]*(?P<info>[^\n]*)\n"
    r"(?P<body>.*?)(?<=\n)(?P=fence)[ \t]*(?:\n|\Z)",
    re.MULTILINE | re.DOTALL | re.IGNORECASE,
)
_CODE_SPAN_RE = re.compile(
    r"(?<![\\`])(?P<ticks>`+)(?!`)(?:(?!\n[ \t]*\n).)+?(?<!`)(?P=ticks)(?!`)", re.DOTALL
)
_BARE_URL_RE = re.compile(
    r"\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s<>()\[\]]+|\]\([^)\n]*\)|<[a-z]+:[^>\n]*>"
)

Kind = Literal["text", "fence", "code", "url", "verbatim"]


@dataclass(frozen=True)
class Segment:
    """A stretch of topic text; only ``text`` segments may hold links or macros."""

    kind: Kind
    text: str
    info: str = ""

    @property
    def lang(self) -> str:
        """First word of a fence's info string (``op``, ``params``, ``python``)."""
        words = self.info.split()
        return words[0] if self.kind == "fence" and words else ""

    @property
    def body(self) -> str:
        """A fence's content without the fence lines."""
        lines = self.text.rstrip("\n").split("\n")
        return "\n".join(lines[1:-1])


def split_code(text: str) -> list[Segment]:
    """Split text into prose and protected parts (fenced code, code spans, URLs).

    Fences follow Python-Markdown's ``fenced_code`` rules (opening fence at column 0,
    identical closing fence) so that "protected here" means "code in the HTML";
    TML's ``<verbatim>`` blocks are protected the same way.
    """
    segments: list[Segment] = []
    pos = 0
    for match in _FENCE_RE.finditer(text):
        segments.extend(_split_inline(text[pos : match.start()]))
        if match.group("verbatim") is not None:  # TML's <verbatim>: nothing inside counts
            segments.append(Segment("verbatim", match.group(0)))
        else:
            segments.append(Segment("fence", match.group(0), match.group("info").strip()))
        pos = match.end()
    segments.extend(_split_inline(text[pos:]))
    return segments


def _split_inline(text: str) -> list[Segment]:
    out: list[Segment] = []
    pos = 0
    for match in _CODE_SPAN_RE.finditer(text):
        out.extend(_split_urls(text[pos : match.start()]))
        out.append(Segment("code", match.group(0)))
        pos = match.end()
    out.extend(_split_urls(text[pos:]))
    return out


def _split_urls(text: str) -> list[Segment]:
    out: list[Segment] = []
    pos = 0
    for match in _BARE_URL_RE.finditer(text):
        if match.start() > pos:
            out.append(Segment("text", text[pos : match.start()]))
        out.append(Segment("url", match.group(0)))
        pos = match.end()
    if pos < len(text):
        out.append(Segment("text", text[pos:]))
    return out


def map_text(text: str, func: Callable[[str], str]) -> str:
    """Apply ``func`` to the prose parts only, leaving code and URLs byte-identical."""
    return "".join(func(s.text) if s.kind == "text" else s.text for s in split_code(text))


def is_wikiword(word: str) -> bool:
    """True for ``WebHome``/``DrainWebNode``, false for ``ABC`` or ``Webhome``."""
    return re.fullmatch(TOPIC, word) is not None


def free_link_topic(target: str) -> str:
    """TWiki turns ``[[drain a node]]`` into topic ``DrainANode``: capitalise words."""
    words = re.findall(r"[A-Za-z0-9]+", target)
    return "".join(w[:1].upper() + w[1:] for w in words)


def resolve_target(target: str, current_web: str) -> tuple[str, str, str] | None:
    """Resolve a bracket-link target to ``(web, topic, anchor)``; None for URLs.

    ``Web.Topic``, ``Topic`` and free-form text all name topics; anything with a
    scheme or starting with ``/`` is an ordinary link and is left to the sanitiser.
    """
    target = target.strip()
    if not target or URL_RE.match(target):
        return None
    anchor = ""
    if "#" in target:
        target, anchor = target.split("#", 1)
    match = re.fullmatch(rf"(?:({WEB})\.)?([A-Za-z0-9_ ]+)", target)
    if match is None:
        return None
    web = match.group(1) or current_web
    name = match.group(2)
    topic = name if re.fullmatch(r"[A-Z][A-Za-z0-9_]*", name) else free_link_topic(name)
    if not topic:
        return None
    return web, topic, anchor


def _scan(text: str, current_web: str) -> set[WebTopic]:
    found: set[WebTopic] = set()
    for match in BRACKET_RE.finditer(text):
        if match.group("bang"):
            continue
        resolved = resolve_target(match.group("target"), current_web)
        if resolved:
            found.add(resolved[:2])
    rest = BRACKET_RE.sub(" ", text)
    for match in WIKIWORD_RE.finditer(rest):
        if not match.group("bang"):
            found.add((match.group("web") or current_web, match.group("topic")))
    return found


def extract_links(text: str, current_web: str) -> set[WebTopic]:
    """All topics a text links to, for the backlinks read model."""
    found: set[WebTopic] = set()
    for seg in split_code(text):
        if seg.kind == "text":
            found |= _scan(seg.text.replace("<nop>", NOP), current_web)
    return found


def rewrite_links(text: str, old: WebTopic, new: WebTopic, current_web: str) -> str:
    """Point every link to ``old`` at ``new`` after a rename, keeping the link style.

    A bare WikiWord stays bare when the new topic is in the current web, otherwise it
    becomes qualified; qualified names and bracket links keep their labels.
    """

    def name_for(qualified: bool) -> str:
        if qualified or new[0] != current_web:
            return f"{new[0]}.{new[1]}"
        return new[1]

    def bracket(match: re.Match[str]) -> str:
        if match.group("bang"):
            return match.group(0)
        target = match.group("target").strip()
        resolved = resolve_target(target, current_web)
        if resolved is None or resolved[:2] != old:
            return match.group(0)
        anchor = f"#{resolved[2]}" if resolved[2] else ""
        label = match.group("label")
        label_part = f"[{label}]" if label else ""
        return f"[[{name_for('.' in target.split('#')[0])}{anchor}]{label_part}]"

    def word(match: re.Match[str]) -> str:
        web = match.group("web")
        if match.group("bang") or (web or current_web, match.group("topic")) != old:
            return match.group(0)
        anchor = match.group("anchor")
        return name_for(web is not None) + (f"#{anchor}" if anchor else "")

    return map_text(text, lambda chunk: _sub_links(chunk, word, bracket))


def qualify_links(text: str, web: str) -> str:
    """Qualify bare links with ``web`` so included text keeps pointing to its own web."""

    def word(match: re.Match[str]) -> str:
        if match.group("bang") or match.group("web"):
            return match.group(0)
        anchor = match.group("anchor")
        return f"{web}.{match.group('topic')}" + (f"#{anchor}" if anchor else "")

    def bracket(match: re.Match[str]) -> str:
        target = match.group("target")
        resolved = resolve_target(target, web)
        if match.group("bang") or resolved is None or "." in target.split("#")[0]:
            return match.group(0)
        anchor = f"#{resolved[2]}" if resolved[2] else ""
        label = match.group("label") or target
        return f"[[{resolved[0]}.{resolved[1]}{anchor}][{label}]]"

    return map_text(text, lambda chunk: _sub_links(chunk, word, bracket))


def _sub_links(
    chunk: str,
    word: Callable[[re.Match[str]], str],
    bracket: Callable[[re.Match[str]], str],
) -> str:
    """Substitute bracket links first so their labels are not seen as WikiWords."""
    out: list[str] = []
    pos = 0
    for match in BRACKET_RE.finditer(chunk):
        out.append(WIKIWORD_RE.sub(word, chunk[pos : match.start()]))
        out.append(bracket(match))
        pos = match.end()
    out.append(WIKIWORD_RE.sub(word, chunk[pos:]))
    return "".join(out)
