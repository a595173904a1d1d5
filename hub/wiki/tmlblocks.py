"""TML's line-based blocks as a Python-Markdown block processor.

Foswiki markup is line oriented: a heading (``---++ Title``, ``---+!! Title`` kept out
of the TOC), a rule (``---``), an anchor (``#Name``), list items indented by three
spaces (``*`` bullets, ``1.`` numbers, ``a.``/``A.`` letters, ``i.``/``I.`` roman
numerals, ``$ term: text`` definitions) and table rows (``| *Head* | cell |``) may
stand next to ordinary lines without blank lines in between.  The processor claims
any Markdown block holding such a line, hands the other lines back to the Markdown
parser in order, and builds elements whose text the inline patterns (links, TML
emphasis) then process, so nothing here is a regular expression over HTML.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as etree
from dataclasses import dataclass

from markdown.blockprocessors import BlockProcessor

HEADING_RE = re.compile(r"^---(?P<plus>\+{1,6})(?P<notoc>!!)?\s*(?P<text>.*?)\s*$")
RULE_RE = re.compile(r"^-{3,}\s*$")
ANCHOR_RE = re.compile(r"^#(?P<name>[A-Za-z][A-Za-z0-9_]*)(?:\s+(?P<rest>.*))?$")
ITEM_RE = re.compile(
    r"^(?P<indent>(?: {3})+)(?:(?P<bullet>\*)|(?P<num>\d+\.?)|(?P<roman>[ivxlcdm]{1,6}\.|"
    r"[IVXLCDM]{1,6}\.)|(?P<letter>[a-zA-Z]\.)|\$\s+(?P<term>[^:\n]+?)\s*:)(?:\s+(?P<text>.*)|$)"
)
CONTINUATION_RE = re.compile(r"^ {3,}\S")
ROW_RE = re.compile(r"^\s*\|.*\|\s*\\?$")
MD_SEPARATOR_RE = re.compile(r"^\s*\|?\s*:?-+:?\s*(?:\|\s*:?-+:?\s*)*\|?\s*$")
MD_LIST_RE = re.compile(r"^(?:[*+-]|\d+\.)\s")
#: ``<ol type="...">`` for each TML list marker kind.
OL_TYPE = {"num": "1", "a": "a", "A": "A", "i": "i", "I": "I"}
NOTOC = "data-notoc"


@dataclass
class Item:
    depth: int
    kind: str  # ul | ol:<type> | dl
    text: str
    term: str = ""


def line_kind(line: str) -> str:
    if HEADING_RE.match(line):
        return "heading"
    if RULE_RE.match(line):
        return "rule"
    if ANCHOR_RE.match(line):
        return "anchor"
    if ITEM_RE.match(line):
        return "item"
    if ROW_RE.match(line):
        return "row"
    return "plain"


class TmlBlockProcessor(BlockProcessor):
    """Claims blocks with TML lines; everything else stays Markdown's."""

    def test(self, parent: etree.Element, block: str) -> bool:
        lines = block.split("\n")
        if MD_LIST_RE.match(lines[0]) or any(_separator(ln) for ln in lines):
            return False  # a Markdown list or pipe table: Markdown's own processors
        return any(line_kind(ln) != "plain" for ln in lines)

    def run(self, parent: etree.Element, blocks: list[str]) -> None:
        lines = blocks.pop(0).split("\n")
        plain: list[str] = []
        i = 0
        while i < len(lines):
            kind = line_kind(lines[i])
            if kind == "plain":
                plain.append(lines[i])
                i += 1
                continue
            self.flush(parent, plain)
            if kind in ("item", "row"):
                j = i + 1
                while j < len(lines) and (line_kind(lines[j]) == kind or (
                        kind == "item" and CONTINUATION_RE.match(lines[j])
                        and line_kind(lines[j]) == "plain")):
                    j += 1
                (self.build_list if kind == "item" else build_table)(parent, lines[i:j])
                i = j
                continue
            single(parent, kind, lines[i])
            i += 1
        self.flush(parent, plain)

    def flush(self, parent: etree.Element, plain: list[str]) -> None:
        if plain:
            self.parser.parseBlocks(parent, ["\n".join(plain)])
            plain.clear()

    def build_list(self, parent: etree.Element, lines: list[str]) -> None:
        items: list[Item] = []
        for line in lines:
            match = ITEM_RE.match(line)
            if match is None:  # a continuation line belongs to the item above
                items[-1].text += " " + line.strip()
                continue
            depth = len(match.group("indent")) // 3
            text = match.group("text") or ""
            if match.group("term") is not None:
                items.append(Item(depth, "dl", text, match.group("term")))
            elif match.group("bullet"):
                items.append(Item(depth, "ul", text))
            else:
                marker = match.group("roman") or match.group("letter") or ""
                kind = OL_TYPE.get(marker[:1], "1") if marker else "1"
                items.append(Item(depth, f"ol:{kind}", text))
        _nest(parent, items)


def _separator(line: str) -> bool:
    return "|" in line and MD_SEPARATOR_RE.match(line) is not None


def single(parent: etree.Element, kind: str, line: str) -> None:
    if kind == "heading":
        match = HEADING_RE.match(line)
        assert match is not None
        el = etree.SubElement(parent, f"h{len(match.group('plus'))}")
        el.text = match.group("text")
        if match.group("notoc"):
            el.set(NOTOC, "1")
    elif kind == "rule":
        etree.SubElement(parent, "hr")
    else:
        match = ANCHOR_RE.match(line)
        assert match is not None
        p = etree.SubElement(parent, "p")
        anchor = etree.SubElement(p, "a")
        anchor.set("id", match.group("name"))
        anchor.set("class", "wiki-anchor")
        anchor.tail = match.group("rest") or ""
        if not anchor.tail:
            p.tag = "div"


def _nest(parent: etree.Element, items: list[Item]) -> None:
    """Build nested lists: deeper items go into the last item of the list above."""
    stack: list[tuple[int, str, etree.Element]] = []  # (depth, kind, list element)
    for item in items:
        while stack and (stack[-1][0] > item.depth
                         or (stack[-1][0] == item.depth and stack[-1][1] != item.kind)):
            stack.pop()
        if not stack or stack[-1][0] < item.depth:
            holder = parent
            if stack:
                last = list(stack[-1][2])
                holder = last[-1] if last else stack[-1][2]
            tag, _, kind = item.kind.partition(":")
            lst = etree.SubElement(holder, tag)
            if kind and kind != "1":
                lst.set("type", kind)
            stack.append((item.depth, item.kind, lst))
        lst = stack[-1][2]
        if item.kind == "dl":
            etree.SubElement(lst, "dt").text = item.term
            etree.SubElement(lst, "dd").text = item.text
        else:
            etree.SubElement(lst, "li").text = item.text


def _cells(line: str) -> list[str]:
    body = line.strip().rstrip("\\").strip()
    return body[1:-1].split("|") if len(body) >= 2 else []


def build_table(parent: etree.Element, lines: list[str]) -> None:
    """Foswiki tables: ``*bold*`` cells are headers, ``||`` spans, ``^`` joins rows."""
    table = etree.SubElement(parent, "table")
    table.set("class", "wiki-table")
    head: etree.Element | None = None
    body: etree.Element | None = None
    above: list[etree.Element | None] = []
    for line in lines:
        cells = _cells(line)
        is_head = bool(cells) and all(re.fullmatch(r"\s*\*[^*].*\*\s*|\s*\*\*\s*|", c)
                                      for c in cells) and any(c.strip() for c in cells)
        if is_head and body is None:
            head = head if head is not None else etree.SubElement(table, "thead")
            row = etree.SubElement(head, "tr")
        else:
            body = body if body is not None else etree.SubElement(table, "tbody")
            row = etree.SubElement(body, "tr")
        current: list[etree.Element | None] = []
        last: etree.Element | None = None
        for col, raw in enumerate(cells):
            if raw == "" and last is not None:  # || widens the cell on its left
                last.set("colspan", str(int(last.get("colspan", "1")) + 1))
                current.append(None)
                continue
            if raw.strip() == "^" and col < len(above) and above[col] is not None:
                cell_above = above[col]
                assert cell_above is not None
                cell_above.set("rowspan", str(int(cell_above.get("rowspan", "1")) + 1))
                current.append(cell_above)
                continue
            last = _cell(row, raw)
            current.append(last)
        above = current


def _cell(row: etree.Element, raw: str) -> etree.Element:
    text = raw.strip()
    header = re.fullmatch(r"\*([^*].*?)\*", text)
    el = etree.SubElement(row, "th" if header else "td")
    el.text = header.group(1).strip() if header else text
    left = len(raw) - len(raw.lstrip(" "))
    right = len(raw) - len(raw.rstrip(" "))
    if text and left >= 2:
        el.set("style", f"text-align:{'right' if right <= 1 else 'center'}")
    return el
