"""A topic's title as plain text: its first heading, rendered and stripped of markup.

Titles appear in page heads, breadcrumbs, children and backlink lists and search
hits, all escaped by the templates; so the title itself must hold no markup at all:
``---+!! %TOPIC%`` is the topic name, ``---+ *Drain* [[WebHome][a node]]`` is
"Drain a node".  A heading that still needs a macro we cannot expand without a
reader (``%INCLUDE%``, ``%SEARCH%``, an unknown macro) yields the topic name instead
of showing raw macro text.
"""

from __future__ import annotations

import re
from html import unescape

from hub.wiki.macros import MacroContext, expand
from hub.wiki.wikiwords import BRACKET_RE, split_code

_HEADING_RE = re.compile(r"^(?:#{1,6}[ \t]+|---\++(?:!!)?)[ \t]*(?P<title>\S.*?)[ \t]*#*[ \t]*$",
                         re.MULTILINE)
_TAG_RE = re.compile(r"<[^>]*>")
_EMPHASIS_RE = re.compile(r"(?<![^\s(])([*_=]{1,2})(?=\S)(.+?)(?<=\S)\1(?=$|[\s,.;:!?)])")
MAX = 300


def plain_title(text: str, topic: str, web: str = "Main") -> str:
    """The first heading outside code as plain text, else the topic name."""
    for seg in split_code(text):
        if seg.kind != "text":
            continue
        match = _HEADING_RE.search(seg.text)
        if match:
            return clean(match.group("title"), topic, web)
    return topic


def clean(raw: str, topic: str, web: str) -> str:
    expansion = expand(raw, web=web, topic=topic, context=MacroContext())
    if expansion.errors or any("wiki-alert" in s or "wiki-notice" in s
                               for s in expansion.stash):
        return topic
    text = expansion.text
    text = BRACKET_RE.sub(lambda m: m.group(0)[1:] if m.group("bang")
                          else (m.group("label") or m.group("target")), text)
    text = text.replace("<nop>", "")
    text = _TAG_RE.sub("", text)
    for _ in range(3):
        text = _EMPHASIS_RE.sub(r"\2", text)
    text = re.sub(r"(?<![\w!])!(?=[A-Z%\[])", "", text)  # TML escapes: !WikiWord, !%X%
    text = re.sub(r"\*\*(.+?)\*\*|`([^`]+)`", lambda m: m.group(1) or m.group(2), text)
    text = " ".join(unescape(text).split())
    return text[:MAX] or topic
