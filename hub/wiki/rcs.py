"""Read RCS ``,v`` files (TWiki's history store) without the ``rcs`` tools.

Importing a TWiki web means importing its history too, and the history lives in RCS
files next to each topic.  Parsing them directly avoids needing ``co`` on the hub
and one process per revision.  Only the trunk (1.1, 1.2, ...) is read: TWiki never
creates branches.  Texts are returned as stored, i.e. as ``co -ko`` prints them (TWiki
disables keyword expansion).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime


class RcsError(ValueError):
    """The file is not a well-formed RCS file."""


@dataclass(frozen=True)
class Revision:
    rev: str
    date: datetime
    author: str
    log: str
    text: str


@dataclass
class _Delta:
    date: str = ""
    author: str = ""
    next: str = ""
    log: str = ""
    text: str = ""


_TOKEN_RE = re.compile(r"@(?:[^@]|@@)*@|;|:|[^\s;:@]+", re.DOTALL)
_NUM_RE = re.compile(r"\d+(?:\.\d+)*")


class _Tokens:
    def __init__(self, data: str) -> None:
        self._it: Iterator[re.Match[str]] = _TOKEN_RE.finditer(data)
        self._peeked: str | None = None

    def peek(self) -> str | None:
        if self._peeked is None:
            match = next(self._it, None)
            self._peeked = match.group(0) if match else None
        return self._peeked

    def next(self) -> str:
        tok = self.peek()
        if tok is None:
            raise RcsError("unexpected end of file")
        self._peeked = None
        return tok

    def string(self) -> str:
        tok = self.next()
        if not (tok.startswith("@") and tok.endswith("@") and len(tok) >= 2):
            raise RcsError(f"expected @string@, got {tok[:20]!r}")
        return tok[1:-1].replace("@@", "@")

    def phrase(self) -> list[str]:
        """The values of one ``keyword value* ;`` phrase (keyword already read)."""
        values = []
        while (tok := self.next()) != ";":
            values.append(tok)
        return values


def parse_rcs(data: str | bytes) -> list[Revision]:
    """All trunk revisions, oldest first, with their full texts."""
    if isinstance(data, bytes):
        data = data.decode("utf-8", errors="surrogateescape")
    toks = _Tokens(data)
    head = _admin(toks)
    deltas: dict[str, _Delta] = {}
    while (tok := toks.peek()) is not None and _NUM_RE.fullmatch(tok):
        rev = toks.next()
        delta = _Delta()
        while (key := toks.peek()) is not None and key != "desc" and not _NUM_RE.fullmatch(key):
            toks.next()
            values = [v for v in toks.phrase() if v != ":"]
            if key in ("date", "author", "next"):
                setattr(delta, key, values[0] if values else "")
        deltas[rev] = delta
    if toks.next() != "desc":
        raise RcsError("missing desc")
    toks.string()
    while toks.peek() is not None:
        rev = toks.next()
        delta = deltas.setdefault(rev, _Delta())
        if toks.next() != "log":
            raise RcsError(f"revision {rev}: missing log")
        delta.log = toks.string()
        while (key := toks.next()) != "text":  # skip newphrases
            toks.phrase()
            del key
        delta.text = toks.string()
    return _reconstruct(head, deltas)


def _admin(toks: _Tokens) -> str:
    head = ""
    while (tok := toks.peek()) is not None and not _NUM_RE.fullmatch(tok) and tok != "desc":
        key = toks.next()
        values = toks.phrase()
        if key == "head":
            head = values[0] if values else ""
    if toks.peek() is None:
        raise RcsError("no deltas")
    return head


def _reconstruct(head: str, deltas: dict[str, _Delta]) -> list[Revision]:
    """Walk the trunk from the head (full text) applying each reverse diff."""
    revisions: list[Revision] = []
    rev, text, seen = head, "", set()
    while rev:
        if rev in seen or rev not in deltas:
            raise RcsError(f"broken revision chain at {rev}")
        seen.add(rev)
        delta = deltas[rev]
        text = delta.text if rev == head else apply_diff(text, delta.text)
        revisions.append(Revision(rev, _date(delta.date), delta.author, delta.log, text))
        rev = delta.next
    return revisions[::-1]


def apply_diff(source: str, diff: str) -> str:
    """Apply RCS ``aL N``/``dL N`` edit commands (line numbers of ``source``)."""
    src = _lines(source)
    cmds = _lines(diff)
    out: list[str] = []
    pos = 0
    i = 0
    while i < len(cmds):
        match = re.fullmatch(r"([ad])(\d+) (\d+)\n?", cmds[i])
        if not match:
            raise RcsError(f"bad edit command {cmds[i]!r}")
        op, line, count = match.group(1), int(match.group(2)), int(match.group(3))
        i += 1
        if op == "d":
            if line - 1 < pos or line - 1 + count > len(src):
                raise RcsError(f"delete out of range: {cmds[i - 1]!r}")
            out.extend(src[pos : line - 1])
            pos = line - 1 + count
        else:
            if line < pos or line > len(src):
                raise RcsError(f"add out of range: {cmds[i - 1]!r}")
            out.extend(src[pos:line])
            pos = line
            out.extend(cmds[i : i + count])
            i += count
    out.extend(src[pos:])
    return "".join(out)


def _lines(text: str) -> list[str]:
    """RCS lines end in ``\n`` only (``str.splitlines`` would also split at ``\r``,
    form feeds or U+2028, shifting every later line number of a CRLF topic)."""
    parts = text.split("\n")
    out = [p + "\n" for p in parts[:-1]]
    if parts[-1]:
        out.append(parts[-1])
    return out


def _date(value: str) -> datetime:
    """RCS dates are ``YY.MM.DD.hh.mm.ss`` before 2000 and ``YYYY.MM...`` after, UTC."""
    parts = [int(p) for p in value.split(".")] if value else []
    if len(parts) != 6:
        raise RcsError(f"bad date {value!r}")
    if parts[0] < 100:
        parts[0] += 1900
    year, month, day, hour, minute, second = parts
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)
