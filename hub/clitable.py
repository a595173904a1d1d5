"""Aligned text tables for the ``hub`` command line, shared by every feature's CLI.

People read ``hub user list``, ``hub mail list`` or ``hub runbooks leases`` in a
terminal, and scripts cut them with ``awk``: so every list prints the same way,
an upper-case header, columns padded to their widest cell and two spaces apart,
one line per row, whitespace inside a value folded to single spaces, and a line
saying so when there is nothing to show. Only on a terminal are the columns
named as *flexible* shortened (with ``…``) to fit its width; piped output keeps
every value whole. No third-party table library: this is all the hub needs.
"""

from __future__ import annotations

import datetime as dt
import shutil
import sys
import unicodedata
from collections.abc import Iterable, Sequence
from typing import Any

import click

GAP = "  "
ELLIPSIS = "…"
MIN_FLEXIBLE = 12  # a shortened column keeps at least this many characters


def cell(value: Any) -> str:
    """One value as a person reads it: nothing for None, yes/no, local minutes."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dt.datetime):
        return local_time(value)
    if isinstance(value, list | tuple | set | frozenset):
        return ", ".join(cell(v) for v in value)
    return " ".join(str(value).split())


def local_time(value: dt.datetime) -> str:
    """A stored time (naive means UTC) in the machine's time zone, to the minute."""
    aware = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    return aware.astimezone().strftime("%Y-%m-%d %H:%M %Z").rstrip()


def width(text: str) -> int:
    """Columns ``text`` takes in a terminal (East Asian wide characters take two)."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 0
               if unicodedata.combining(c) else 1 for c in text)


def _cut(text: str, limit: int) -> str:
    if width(text) <= limit:
        return text
    out, used = [], 0
    for char in text:
        step = width(char)
        if used + step > limit - 1:
            break
        out.append(char)
        used += step
    return "".join(out) + ELLIPSIS


def _pad(text: str, size: int, right: bool) -> str:
    fill = " " * (size - width(text))
    return fill + text if right else text + fill


def render(headers: Sequence[str], rows: Iterable[Sequence[Any]], *,
           flexible: Iterable[str] = (), right: Iterable[str] = (),
           max_width: int | None = None) -> list[str]:
    """The lines of the table; ``max_width`` shortens the ``flexible`` columns.

    ``right`` names columns aligned to the right (counts, ids). The last column
    is not padded, so no line ends in spaces.
    """
    heads = [h.upper() for h in headers]
    body = [[cell(v) for v in row] for row in rows]
    for row in body:
        if len(row) != len(heads):
            raise ValueError(f"row has {len(row)} cells for {len(heads)} columns: {row}")
    sizes = [max(width(r[i]) for r in [heads, *body]) for i in range(len(heads))]
    if max_width is not None:
        sizes = _fit(heads, sizes, {h.upper() for h in flexible}, max_width)
        body = [[_cut(v, sizes[i]) for i, v in enumerate(row)] for row in body]
    right_aligned = {h.upper() for h in right}
    lines = []
    for row in [heads, *body]:
        cells = [_pad(v, sizes[i], heads[i] in right_aligned) for i, v in enumerate(row)]
        lines.append(GAP.join(cells).rstrip())
    return lines


def _fit(heads: list[str], sizes: list[int], flexible: set[str], limit: int) -> list[int]:
    """Shrink flexible columns, widest first, until the table fits ``limit``."""
    sizes = list(sizes)
    total = sum(sizes) + len(GAP) * (len(sizes) - 1)
    while total > limit:
        candidates = [i for i, h in enumerate(heads)
                      if h in flexible and sizes[i] > max(MIN_FLEXIBLE, width(h))]
        if not candidates:
            break
        widest = max(candidates, key=lambda i: sizes[i])
        step = min(total - limit, sizes[widest] - max(MIN_FLEXIBLE, width(heads[widest])))
        sizes[widest] -= step
        total -= step
    return sizes


def terminal_width() -> int | None:
    """The terminal's width when standard output is one, else ``None`` (keep values whole)."""
    if not sys.stdout.isatty():
        return None
    return shutil.get_terminal_size((100, 24)).columns


def echo_table(headers: Sequence[str], rows: Iterable[Sequence[Any]], *,
               empty: str = "nothing to show", footer: str | None = None,
               flexible: Iterable[str] = (), right: Iterable[str] = ()) -> None:
    """Print the table (or ``empty`` when there are no rows), then ``footer``."""
    materialised = list(rows)
    if not materialised:
        click.echo(empty)
    else:
        for line in render(headers, materialised, flexible=flexible, right=right,
                           max_width=terminal_width()):
            click.echo(line)
    if footer:
        click.echo(footer)
