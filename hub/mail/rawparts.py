"""The original bytes of one MIME part, found again in the raw message by its boundaries.

A forwarded message (``message/rfc822``) must be kept as the sender's bytes: the stdlib
parses it into a ``Message`` and can only re-serialise that, which rewrites its headers
and raises on malformed ones (the part then vanished, leaving a defect note). The parser
keeps no offsets, so the part is located again by walking the multipart boundaries along
the path the parser took; when the bytes do not match that structure the caller falls
back to re-serialising.
"""

from __future__ import annotations

import base64
import binascii
import quopri
import re
from collections.abc import Sequence

__all__ = ["Path", "body_of", "original_part"]

#: ``[(boundary, index)]`` from the top-level message down to the part.
Path = Sequence[tuple[str, int]]
_BLANK = re.compile(rb"\r?\n\r?\n")


def body_of(section: bytes) -> bytes:
    """What follows the header block of ``section`` (all of it when it has no headers)."""
    if section.startswith((b"\r\n", b"\n")):
        return section[2:] if section.startswith(b"\r\n") else section[1:]
    found = _BLANK.search(section)
    return section[found.end():] if found else b""


def _split(body: bytes, boundary: str) -> list[bytes]:
    """The sections between ``--boundary`` delimiter lines, up to the closing one."""
    delim = re.compile(rb"(?m)^--" + re.escape(boundary.encode("ascii", "replace"))
                       + rb"(--)?[ \t]*\r?$")
    marks = list(delim.finditer(body))
    parts: list[bytes] = []
    if not marks:
        return parts
    for this, following in zip(marks, [*marks[1:], None], strict=True):
        if this.group(1):  # the close delimiter: the epilogue follows
            break
        start = this.end()
        start += 2 if body[start:start + 2] == b"\r\n" else 1 if body[start:start + 1] == b"\n" \
            else 0
        end = following.start() if following is not None else len(body)
        if following is not None:  # the line break before a delimiter belongs to it
            end -= 2 if body[end - 2:end] == b"\r\n" else 1 if body[end - 1:end] == b"\n" \
                else 0
        parts.append(body[start:max(start, end)])
    return parts


def _decoded(data: bytes, transfer_encoding: str) -> bytes:
    """Undo a (non-conforming but common) base64 or quoted-printable wrapping."""
    cte = transfer_encoding.strip().lower()
    try:
        if cte == "base64":
            return base64.b64decode(re.sub(rb"[^A-Za-z0-9+/=]", b"", data) + b"==")
        if cte == "quoted-printable":
            return quopri.decodestring(data)
    except (binascii.Error, ValueError):
        return data
    return data


def original_part(raw: bytes, path: Path, transfer_encoding: str = "") -> bytes | None:
    """The body bytes of the part at ``path`` in ``raw``, or None if they cannot be found."""
    section = raw
    for boundary, index in path:
        parts = _split(body_of(section), boundary)
        if index >= len(parts):
            return None
        section = parts[index]
    found = body_of(section)
    return _decoded(found, transfer_encoding) if found else None
