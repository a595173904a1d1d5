"""Reading single MIME parts of untrusted mail: bytes, text, attachments, bodies.

Split from :mod:`hub.mail.parsing` (which reads the headers and assembles the
:class:`~hub.mail.parsing.ParsedMail`): every function here copes with a broken
part by returning what it can and noting a defect, never by raising.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from email import policy
from email.header import decode_header, make_header
from email.message import EmailMessage, Message

from hub.mail.sanitize import decode_bytes

MSGID = re.compile(r"<([^<>\s]+)>")


@dataclass(frozen=True)
class Attachment:
    """One non-body MIME leaf. ``content_id`` is the bare id (no ``<>``) for ``cid:`` refs."""

    filename: str | None
    content_type: str
    content: bytes
    size: int
    content_id: str | None
    disposition: str  # "inline" | "attachment"


def normalise_message_id(value: str | None) -> str | None:
    """Return the first ``<id>`` in ``value``; bare ids (no brackets) are wrapped."""
    if not value:
        return None
    found = MSGID.search(value)
    if found:
        return f"<{found.group(1)}>"
    bare = value.strip().strip("<>").strip()
    if bare and not re.search(r"\s", bare):
        return f"<{bare}>"
    return None


def leaves(part: Message) -> Iterator[Message]:
    if part.get_content_maintype() == "multipart" and part.is_multipart():
        for sub in part.get_payload():
            if isinstance(sub, Message):
                yield from leaves(sub)
    else:
        yield part


def _part_bytes(part: Message) -> bytes:
    payload = part.get_payload(decode=True)
    if isinstance(payload, bytes):
        return payload
    inner = part.get_payload()
    if isinstance(inner, list):  # message/rfc822, message/delivery-status
        return b"".join(m.as_bytes(policy=policy.default) for m in inner if isinstance(m, Message))
    if isinstance(inner, str):
        return inner.encode("utf-8", "surrogateescape")
    return b""


def part_text(part: Message, defects: list[str]) -> str:
    text, problem = decode_bytes(_part_bytes(part), part.get_content_charset())
    if problem:
        defects.append(problem)
    return text


def _filename(part: Message) -> str | None:
    try:
        name = part.get_filename() or part.get_param("name")
    except Exception:
        return None
    if isinstance(name, tuple):  # undecoded RFC 2231 triple
        name = decode_bytes(name[2].encode("latin-1", "replace"), name[0])[0]
    if not isinstance(name, str) or not name.strip():
        return None
    if "=?" in name:  # non-standard but common: encoded-words inside a quoted parameter
        with contextlib.suppress(Exception):  # keep the literal name if it is garbage
            name = str(make_header(decode_header(name)))
    return name.replace("/", "_").replace("\\", "_").strip()


def _attachment(part: Message) -> Attachment:
    disposition = (part.get_content_disposition() or "").lower()
    content = _part_bytes(part)
    cid = normalise_message_id(str(part.get("Content-ID", "") or ""))
    return Attachment(
        filename=_filename(part),
        content_type=part.get_content_type(),
        content=content,
        size=len(content),
        content_id=cid[1:-1] if cid else None,
        disposition="attachment" if disposition == "attachment" else "inline",
    )


def safe_attachment(part: Message, defects: list[str]) -> Attachment | None:
    try:
        return _attachment(part)
    except Exception as exc:  # one unreadable part must not lose the rest of the mail
        defects.append(f"MIME: unreadable {part.get_content_type()} part ({exc!r})")
        return None


def bodies(msg: Message) -> tuple[Message | None, Message | None]:
    if not isinstance(msg, EmailMessage):
        return None, None
    try:
        plain = msg.get_body(preferencelist=("plain",))
        rich = msg.get_body(preferencelist=("html",))
    except Exception:
        return None, None
    return plain, rich


def fallback_body(msg: Message) -> Message | None:
    """First non-attachment text-ish leaf, for mail whose structure ``get_body`` rejects.

    A multipart without a boundary keeps its body as a string; showing it as text beats
    filing the sender's words as an opaque attachment.
    """
    for leaf in leaves(msg):
        if leaf.get_content_disposition() != "attachment" and leaf.get_content_maintype() in {
            "text",
            "multipart",
        }:
            return leaf
    return None
