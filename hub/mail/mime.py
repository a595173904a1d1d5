"""Reading single MIME parts of untrusted mail: bytes, text, attachments, bodies.

Split from :mod:`hub.mail.parsing` (which reads the headers and assembles the
:class:`~hub.mail.parsing.ParsedMail`): every function here copes with a broken
part by returning what it can and noting a defect, never by raising.
"""

from __future__ import annotations

import mimetypes
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from email import policy
from email.message import EmailMessage, Message

from hub.mail.charsets import DEFAULT_ENCODINGS, decode_words, detected_charset
from hub.mail.rawparts import Path, original_part
from hub.mail.sanitize import decode_bytes

MSGID = re.compile(r"<([^<>\s]+)>")
_RAW_8BIT = re.compile("[\udc80-\udcff]")


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
    for leaf, _ in leaf_paths(part):
        yield leaf


def leaf_paths(part: Message, path: Path = ()) -> Iterator[tuple[Message, Path]]:
    """Each leaf with its ``[(boundary, index)]`` path (:mod:`hub.mail.rawparts`)."""
    if part.get_content_maintype() == "multipart" and part.is_multipart():
        boundary = part.get_boundary() or ""
        for index, sub in enumerate(part.get_payload()):
            if isinstance(sub, Message):
                yield from leaf_paths(sub, (*path, (boundary, index)))
    else:
        yield part, path


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


def part_text(part: Message, defects: list[str],
              encodings: Sequence[str] = DEFAULT_ENCODINGS, hint: str | None = None) -> str:
    data, declared = _part_bytes(part), part.get_content_charset()
    text, problem = decode_bytes(data, declared, encodings, hint)
    if problem:
        defects.append(problem)
    elif not declared and not data.isascii():  # a guess: keep the original beside it
        chosen = detected_charset(data, encodings)
        if chosen != "utf-8":
            defects.append(f"charset: undeclared 8-bit text read as {chosen}")
    return text


def _filename(part: Message, encodings: Sequence[str]) -> str | None:
    try:
        name = part.get_filename() or part.get_param("name")
    except Exception:
        return None
    if isinstance(name, tuple):  # undecoded RFC 2231 triple
        name = decode_bytes(name[2].encode("latin-1", "replace"), name[0] or None, encodings)[0]
    if not isinstance(name, str) or not name.strip():
        return None
    if _RAW_8BIT.search(name):  # raw 8-bit bytes in the parameter
        name = decode_bytes(name.encode("utf-8", "surrogateescape"), None, encodings)[0]
    # Non-standard but common: encoded words inside a quoted parameter, often broken.
    name = decode_words(name, encodings)
    name = re.sub(r"[\x00-\x1f\x7f]", "", name)
    return name.replace("/", "_").replace("\\", "_").strip() or None


def generated_name(index: int, content_type: str) -> str:
    """``attachment-<n>.<ext>`` for a part that names no file (never "None")."""
    special = {"message/rfc822": ".eml", "message/global": ".eml", "text/plain": ".txt",
               "message/delivery-status": ".txt", "application/octet-stream": ".bin"}
    ext = (special.get(content_type) or mimetypes.guess_extension(content_type)
           or (".txt" if content_type.startswith("text/") else ".bin"))
    return f"attachment-{index}{ext}"


def named(attachments: Sequence[Attachment]) -> tuple[Attachment, ...]:
    """Every attachment with a file name; unnamed ones numbered in order from 1."""
    out: list[Attachment] = []
    for index, att in enumerate(attachments, start=1):
        out.append(att if att.filename else replace(
            att, filename=generated_name(index, att.content_type)))
    return tuple(out)


def _attachment(part: Message, encodings: Sequence[str], original: bytes | None) -> Attachment:
    disposition = (part.get_content_disposition() or "").lower()
    content = original if original is not None else _part_bytes(part)
    cid = normalise_message_id(str(part.get("Content-ID", "") or ""))
    return Attachment(
        filename=_filename(part, encodings),
        content_type=part.get_content_type(),
        content=content,
        size=len(content),
        content_id=cid[1:-1] if cid else None,
        disposition="attachment" if disposition == "attachment" else "inline",
    )


def safe_attachment(part: Message, defects: list[str],
                    encodings: Sequence[str] = DEFAULT_ENCODINGS,
                    original: bytes | None = None) -> Attachment | None:
    """``original``: the part's bytes as received (forwarded messages keep them)."""
    try:
        return _attachment(part, encodings, original)
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


def body_hint(plain: Message | None, encodings: Sequence[str]) -> str | None:
    """The charset an undeclared (or wrongly declared) 8-bit text body turns out to be:
    the headers of the same message most likely share it, and are too short to detect."""
    if plain is None:
        return None
    try:
        data = plain.get_payload(decode=True)
    except Exception:
        return None
    if not isinstance(data, bytes) or data.isascii():
        return None
    declared = plain.get_content_charset()
    if declared:
        try:
            data.decode(declared)
        except (LookupError, UnicodeDecodeError, ValueError):
            pass
        else:
            return declared
    return detected_charset(data, encodings)


def attachments_of(raw: bytes, msg: Message, skip: tuple[Message | None, ...],
                 encodings: Sequence[str], defects: list[str]) -> list[Attachment]:
    """Every non-body leaf; forwarded messages as the bytes the sender sent."""
    found: list[Attachment] = []
    for leaf, path in leaf_paths(msg):
        if any(leaf is body for body in skip):
            continue
        original = None
        if leaf.get_content_type() in ("message/rfc822", "message/global"):
            try:
                original = original_part(raw, path,
                                         str(leaf.get("Content-Transfer-Encoding", "")))
            except Exception:  # never raise while parsing: re-serialising is the fallback
                original = None
            if original is None:
                defects.append("MIME: forwarded message not found in the raw bytes")
        if (att := safe_attachment(leaf, defects, encodings, original)) is not None:
            found.append(att)
    return found


def has_delivery_status(msg: Message) -> bool:
    return any(part.get_content_type() in ("message/delivery-status",
                                           "message/global-delivery-status")
               for part in msg.walk())
