"""Heading ids and ``%TOC%`` as one tree processor (instead of Markdown's ``toc``).

Foswiki keeps ``---+!! Title`` headings out of the table of contents, which the
stock extension cannot express; this processor gives every heading a unique slug id
(the same slugs as ``markdown.extensions.toc``), lists the others, honours
``%TOC{depth="N"}%`` and replaces the ``[TOC]`` paragraph the macro left.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as etree
from typing import Any

import markdown
from markdown.extensions.toc import slugify, strip_tags, unique
from markdown.treeprocessors import Treeprocessor

from hub.wiki.macros import TOC_MARKER
from hub.wiki.tmlblocks import NOTOC
from hub.wiki.wikiwords import NOP

_HEADINGS = {f"h{i}" for i in range(1, 7)}
_STASHED_RE = re.compile("\x02wzxhzdk:(\\d+)\x03")


class TocTreeprocessor(Treeprocessor):
    def __init__(self, md: markdown.Markdown, depth: int) -> None:
        super().__init__(md)
        self.depth = depth
        self.tokens: list[tuple[int, str, str]] = []

    def run(self, root: etree.Element) -> None:
        ids: set[str] = set()
        for el in root.iter():
            if el.tag not in _HEADINGS:
                continue
            name = strip_tags(_text(el, self.md))
            if not el.get("id"):
                el.set("id", unique(slugify(name, "-") or "section", ids))
            else:
                ids.add(el.get("id", ""))
            if el.attrib.pop(NOTOC, None) is None and int(el.tag[1]) <= self.depth:
                self.tokens.append((int(el.tag[1]), el.get("id", ""), name))
        self.replace_marker(root)

    def replace_marker(self, root: etree.Element) -> None:
        for parent in root.iter():
            for index, child in enumerate(list(parent)):
                if child.tag == "p" and (child.text or "").strip() == TOC_MARKER \
                        and not len(child):
                    parent.remove(child)
                    parent.insert(index, self.build())

    def build(self) -> etree.Element:
        div = etree.Element("div")
        div.set("class", "toc")
        stack: list[tuple[int, etree.Element]] = [(0, etree.SubElement(div, "ul"))]
        for level, slug, name in self.tokens:
            while len(stack) > 1 and stack[-1][0] >= level:
                stack.pop()
            holder = stack[-1][1]
            li = etree.SubElement(holder, "li")
            link = etree.SubElement(li, "a")
            link.set("href", f"#{slug}")
            link.text = name
            sub = etree.SubElement(li, "ul")
            stack.append((level, sub))
        for el in div.iter("ul"):  # drop the empty lists left under leaves
            for li in el.findall("li"):
                inner = li.find("ul")
                if inner is not None and not len(inner):
                    li.remove(inner)
        return div


def _text(el: etree.Element, md: markdown.Markdown) -> str:
    raw = "".join(el.itertext())
    if "\x02" in raw:  # raw HTML (a colour, an icon) stashed by Markdown
        blocks: list[Any] = md.htmlStash.rawHtmlBlocks
        raw = _STASHED_RE.sub(lambda m: str(blocks[int(m.group(1))])
                              if int(m.group(1)) < len(blocks) else "", raw)
    return raw.replace(NOP, "").strip()
