"""Import helpers for TWiki/Foswiki topic files (``.txt``) and their markup (TML).

Only the common TML is converted; anything else is kept verbatim so that nothing an
author wrote is lost on import (a reviewer can fix leftovers by hand, but cannot
recover text a converter dropped).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

_META_RE = re.compile(r"^%META:(?P<type>[A-Z]+)\{(?P<args>.*)\}%$")
_ATTR_RE = re.compile(r'(?P<key>[A-Za-z_][A-Za-z0-9_]*)="(?P<value>[^"]*)"')
_HEADING_RE = re.compile(r"^---(?P<plus>\+{1,6})(?:!!)?\s*(?P<text>.*)$")
_BULLET_RE = re.compile(
    r"^(?P<indent>(?: {3}|\t)+)(?:\*|(?P<num>\d+\.?|[aAiI]\.))\s+(?P<text>.*)$"
)
_TABLE_RE = re.compile(r"^\s*\|.*\|\s*$")
_RULE_RE = re.compile(r"^-{3,}\s*$")


@dataclass
class TwikiTopic:
    """A parsed topic file: the body and its ``%META%`` data."""

    body: str
    author: str | None = None
    date: datetime | None = None
    version: str | None = None
    parent: str | None = None
    form: str | None = None
    fields: list[dict[str, str]] = field(default_factory=list)
    attachments: list[dict[str, str]] = field(default_factory=list)
    preferences: list[dict[str, str]] = field(default_factory=list)
    other_meta: list[tuple[str, dict[str, str]]] = field(default_factory=list)


def meta_decode(value: str) -> str:
    """TWiki stores ``%"{}`` and newlines in META values as ``%XX``."""
    return re.sub(r"%([0-9A-Fa-f]{2})", lambda m: chr(int(m.group(1), 16)), value)


def meta_args(args: str) -> dict[str, str]:
    return {m.group("key"): meta_decode(m.group("value")) for m in _ATTR_RE.finditer(args)}


def parse_topic_file(text: str) -> TwikiTopic:
    """Split a topic file into body and META lines (which may be at top or bottom)."""
    topic = TwikiTopic(body="")
    body: list[str] = []
    for line in text.splitlines():
        match = _META_RE.match(line)
        if not match:
            body.append(line)
            continue
        kind, args = match.group("type"), meta_args(match.group("args"))
        if kind == "TOPICINFO":
            topic.author = args.get("author")
            topic.version = args.get("version")
            if args.get("date", "").isdigit():
                topic.date = datetime.fromtimestamp(int(args["date"]), UTC)
        elif kind == "TOPICPARENT":
            topic.parent = args.get("name")
        elif kind == "FORM":
            topic.form = args.get("name")
        elif kind == "FIELD":
            topic.fields.append(args)
        elif kind == "FILEATTACHMENT":
            topic.attachments.append(args)
        elif kind == "PREFERENCE":
            topic.preferences.append(args)
        else:
            topic.other_meta.append((kind, args))
    topic.body = "\n".join(body).strip("\n") + "\n" if any(b.strip() for b in body) else ""
    return topic


def tml_to_markdown(text: str) -> str:
    """Convert headings, emphasis, code, verbatim, lists, tables and links to Markdown."""
    out: list[str] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.strip().startswith("<verbatim"):
            block: list[str] = []
            i += 1
            while i < len(lines) and "</verbatim>" not in lines[i]:
                block.append(lines[i])
                i += 1
            fence = "~~~~" if any(b.lstrip().startswith("```") for b in block) else "```"
            _separate(out)
            out.extend([fence, *block, fence, ""])
            i += 1
            continue
        if _TABLE_RE.match(line):
            rows = []
            while i < len(lines) and _TABLE_RE.match(lines[i]):
                rows.append(lines[i])
                i += 1
            _separate(out)
            out.extend(_table(rows))
            out.append("")
            continue
        out.extend(_line(line, out))
        i += 1
    return "\n".join(out).rstrip("\n") + "\n"


def _separate(out: list[str]) -> None:
    """Markdown needs a blank line before lists, tables, rules and fences."""
    if out and out[-1].strip():
        out.append("")


def _line(line: str, out: list[str]) -> list[str]:
    heading = _HEADING_RE.match(line)
    if heading:
        _separate(out)
        return ["#" * len(heading.group("plus")) + " " + inline(heading.group("text").strip()), ""]
    bullet = _BULLET_RE.match(line)
    if bullet:
        depth = len(bullet.group("indent").replace("\t", "   ")) // 3
        if out and out[-1].strip() and not _is_list_line(out[-1]):
            out.append("")
        marker = "1." if bullet.group("num") else "*"
        return ["    " * (depth - 1) + f"{marker} {inline(bullet.group('text'))}"]
    if _RULE_RE.match(line):
        _separate(out)
        return ["---", ""]
    if out and _is_list_line(out[-1]) and line.strip():
        out.append("")
    return [inline(line)]


def _is_list_line(line: str) -> bool:
    return re.match(r"^\s*(?:\*|1\.)\s", line) is not None


def _table(rows: list[str]) -> list[str]:
    cells = [[c.strip() for c in row.strip()[1:-1].split("|")] for row in rows]
    width = max(len(r) for r in cells)
    cells = [r + [""] * (width - len(r)) for r in cells]
    header = [re.sub(r"^\*(.+)\*$", r"\1", c) for c in cells[0]]

    def fmt(row: list[str]) -> str:
        return "| " + " | ".join(inline(c) for c in row) + " |"

    return [fmt(header), "| " + " | ".join(["---"] * width) + " |", *map(fmt, cells[1:])]


_PRE = r"(?:(?<=^)|(?<=[\s(]))"
_POST = r"(?=$|[\s,.;:!?)])"
_CODE_RE = re.compile(_PRE + r"(==?)(\S+?|\S[^\n]*?\S)\1" + _POST)
_BOLD_ITALIC_RE = re.compile(_PRE + r"__(\S+?|\S[^\n]*?\S)__" + _POST)
_BOLD_RE = re.compile(_PRE + r"\*(\S+?|\S[^\n]*?\S)\*" + _POST)
_ITALIC_RE = re.compile(_PRE + r"_(\S+?|\S[^\n]*?\S)_" + _POST)
_LINK_RE = re.compile(r"\[\[(?P<url>[^\]\n]+)\](?:\[(?P<label>[^\]\n]+)\])?\]")


def inline(text: str) -> str:
    """Inline TML: ``*b*``, ``_i_``, ``__bi__``, ``=code=``, ``==bold code==``, links."""
    stash: list[str] = []

    def keep(value: str) -> str:
        stash.append(value)
        return f"\x00{len(stash) - 1}\x00"

    def code(m: re.Match[str]) -> str:
        body = m.group(2)
        ticks = "``" if "`" in body else "`"
        rendered = f"{ticks}{body}{ticks}"
        return keep(f"**{rendered}**" if m.group(1) == "==" else rendered)

    def link(m: re.Match[str]) -> str:
        url, label = m.group("url").strip(), m.group("label")
        if re.match(r"^(?:[a-zA-Z][a-zA-Z0-9+.-]*:|/)", url):
            return keep(f"[{label}]({url})" if label else f"<{url}>")
        return keep(m.group(0))  # topic links: the wiki renderer understands these

    text = _CODE_RE.sub(code, text)
    text = _LINK_RE.sub(link, text)
    # The wiki renders TML emphasis itself; these forms mean the same in Markdown
    # and in TML (``*x*`` would be TML bold, ``***x***`` is no TML at all).
    text = _BOLD_ITALIC_RE.sub(lambda m: keep(f"__{m.group(1)}__"), text)
    text = _BOLD_RE.sub(lambda m: keep(f"**{m.group(1)}**"), text)
    text = _ITALIC_RE.sub(lambda m: keep(f"_{m.group(1)}_"), text)
    while "\x00" in text:
        text = re.sub(r"\x00(\d+)\x00", lambda m: stash[int(m.group(1))], text)
    return text
