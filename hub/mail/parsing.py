"""Turn raw RFC 5322 bytes into a :class:`ParsedMail` the gateway can act on.

Inbound mail is untrusted and frequently malformed (wrong charsets, broken MIME, missing
Message-ID). The gateway must never answer 451 forever for a message it *could* store, so
parsing never raises: whatever can be read is returned and problems are listed in
``defects``. MIME structure is left to the stdlib ``email`` package (``policy.default``);
single parts are read by :mod:`hub.mail.mime`.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.headerregistry import Address
from email.message import Message
from email.parser import BytesParser
from email.policy import EmailPolicy
from email.utils import getaddresses, parseaddr, parsedate_to_datetime

from hub.mail.charsets import DEFAULT_ENCODINGS, decode_words
from hub.mail.mime import (
    MSGID,
    Attachment,
    attachments_of,
    bodies,
    body_hint,
    fallback_body,
    has_delivery_status,
    named,
    normalise_message_id,
    part_text,
)
from hub.mail.sanitize import decode_bytes, fold_quoted, looks_like_bounce
from hub.mail.uuencode import extract_uuencoded
from hub.sanitize import clean_html, html_to_text

__all__ = [
    "LOOP_HEADER",
    "Attachment",
    "ParsedMail",
    "decode_bytes",
    "fold_quoted",
    "looks_like_bounce",
    "normalise_message_id",
    "parse_message",
]

#: Header stamped on everything OpsHub sends; seeing it inbound means a mail loop.
LOOP_HEADER = "X-OpsHub-Loop"

_CACHEABLE = 1000  # header values longer than this are parsed every time


@functools.lru_cache(maxsize=8192)
def _parsed_header(name: str, value: str) -> object:
    return policy.default.header_fetch_parse(name, value)


class _CachingPolicy(EmailPolicy):
    """``policy.default`` that parses each distinct header value once.

    The stdlib re-parses a header on every access (``get_content_type`` alone reads
    Content-Type several times per part), which made parsing the gateway's biggest
    cost. Parsed headers are immutable, so sharing them between messages is safe.
    """

    def header_fetch_parse(self, name: str, value: str) -> str:
        if isinstance(value, str) and len(value) <= _CACHEABLE and not hasattr(value, "name"):
            return _parsed_header(name, value)  # type: ignore[return-value]
        return super().header_fetch_parse(name, value)  # type: ignore[no-any-return]


_POLICY = _CachingPolicy()
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")  # never meaningful in a header value


@dataclass(frozen=True)
class ParsedMail:
    """Everything the gateway needs from one message; addresses are lowercased."""

    message_id: str
    message_id_synthesized: bool
    in_reply_to: str | None
    references: tuple[str, ...]
    subject: str
    from_addr: str | None
    from_name: str | None
    to: tuple[str, ...]
    cc: tuple[str, ...]
    reply_to: tuple[str, ...]
    return_path: str | None  # header value, "" for the null sender "<>"
    envelope_from: str | None  # as given by the SMTP/IMAP layer
    date: datetime | None
    auto_submitted: str | None  # lowercased, e.g. "auto-replied"
    precedence: str | None  # lowercased
    list_id: str | None
    loop: str | None  # value of LOOP_HEADER
    x_loop: str | None
    auto_response_suppress: str | None  # Microsoft X-Auto-Response-Suppress, lowercased
    content_type: str
    text: str
    html: str | None
    attachments: tuple[Attachment, ...]
    content_sha256: str
    is_dsn: bool
    defects: tuple[str, ...]
    #: The header block's top, in order, as ``(lowercased name, unfolded value)``: the trace
    #: headers a relay adds (``Received``, ``Authentication-Results``...) up to the first
    #: header the sender wrote. Mail authentication reads only this.
    trace: tuple[tuple[str, str], ...] = ()
    from_count: int = 0  # addresses in From (more than one never authenticates)

    @property
    def sender(self) -> str | None:
        """Where a human reply should go: Reply-To first, else From."""
        return self.reply_to[0] if self.reply_to else self.from_addr


def _message_ids(value: str | None) -> tuple[str, ...]:
    seen: list[str] = []
    for found in MSGID.finditer(value or ""):
        mid = f"<{found.group(1)}>"
        if mid not in seen:
            seen.append(mid)
    return tuple(seen)


class _Reader:
    """Header accessors that survive malformed input by falling back to raw values."""

    def __init__(self, msg: Message, defects: list[str],
                 encodings: Sequence[str] = DEFAULT_ENCODINGS, hint: str | None = None) -> None:
        self.msg = msg
        self.defects = defects
        self.encodings, self.hint = encodings, hint
        self.raw: dict[str, str] = {}
        for name, value in msg.raw_items():
            self.raw.setdefault(name.lower(), value)

    def raw_text(self, name: str) -> str | None:
        value = self.raw.get(name.lower())
        if value is None:
            return None
        unfolded = re.sub(r"\r?\n[ \t]", " ", value)
        data = unfolded.encode("utf-8", "surrogateescape")
        return decode_bytes(data, None, self.encodings, self.hint)[0].strip()

    def text(self, name: str) -> str | None:
        if name.lower() not in self.raw:
            return None
        try:
            value = str(self.msg[name])
        except Exception as exc:  # broken header: the stdlib may raise on access
            self.defects.append(f"{name}: {exc.__class__.__name__}")
            return self.raw_text(name)
        if "\ufffd" in value or "=?" in value:
            # Raw 8-bit bytes, or encoded words the stdlib could not read (unknown or lying
            # charset, spaces inside, no closing ``?=``): the lenient chain reads them.
            lenient = decode_words(self.raw_text(name) or "", self.encodings)
            if lenient != value:
                self.defects.append(f"{name}: broken encoded words read leniently")
                value = lenient
        return _CONTROL.sub("", re.sub(r"[\r\n]+[ \t]*", " ", value)).strip()

    def lower(self, name: str) -> str | None:
        value = self.text(name)
        return value.lower() if value else None

    def addresses(self, name: str) -> list[tuple[str, str]]:
        """``[(display_name, addr_spec_lowercased)]``; empty group syntax yields nothing."""
        if name.lower() not in self.raw:
            return []
        try:
            header = self.msg[name]
            found: tuple[Address, ...] = tuple(getattr(header, "addresses", ()))
            pairs = [(a.display_name, a.addr_spec) for a in found]
        except Exception as exc:
            self.defects.append(f"{name}: {exc.__class__.__name__}")
            pairs = getaddresses([self.raw_text(name) or ""])
        out = [(n, a.strip().lower()) for n, a in pairs if "@" in a or a.strip() == ""]
        usable = [(n, a) for n, a in out if _encodable(a)]
        if len(usable) != len(out):  # raw 8-bit bytes in an address: nobody can be it
            self.defects.append(f"{name}: undecodable address dropped")
        return [(n if _encodable(n) else "", a) for n, a in usable]


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


_TRACE = frozenset({"received", "authentication-results", "return-path", "delivered-to",
                    "x-original-to", "received-spf", "x-received"})
_MAX_TRACE = 100


def _trace(msg: Message) -> tuple[tuple[str, str], ...]:
    """The topmost trace headers (see :attr:`ParsedMail.trace`), at most ``_MAX_TRACE``."""
    found: list[tuple[str, str]] = []
    for name, value in msg.raw_items():
        key = str(name).strip().lower()
        if key not in _TRACE and not key.startswith("arc-"):
            break
        text = value if isinstance(value, str) else str(value)
        found.append((key, " ".join(text.split())))
        if len(found) >= _MAX_TRACE:
            break
    return tuple(found)


def _date(reader: _Reader) -> datetime | None:
    raw = reader.raw_text("Date")
    if not raw:
        return None
    try:
        return parsedate_to_datetime(raw)
    except (TypeError, ValueError, IndexError):
        reader.defects.append("Date: unparseable")
        return None


def _return_path(reader: _Reader) -> str | None:
    raw = reader.raw_text("Return-Path")
    if raw is None:
        return None
    return parseaddr(raw)[1].strip().lower()


def parse_message(raw: bytes, envelope_from: str | None = None,
                  encodings: Sequence[str] = DEFAULT_ENCODINGS) -> ParsedMail:
    """Parse ``raw`` (as received, any line endings) without ever raising.

    ``envelope_from`` is the SMTP ``MAIL FROM`` (``""`` for the null sender), which the
    headers cannot be trusted to carry; it is kept verbatim for loop detection.
    ``encodings`` is the site's fallback list for undeclared 8-bit text
    (``HUB_MAIL_INPUT_ENCODINGS``, :mod:`hub.mail.charsets`).
    """
    defects: list[str] = []
    digest = hashlib.sha256(raw).hexdigest()
    msg = BytesParser(policy=_POLICY).parsebytes(raw)
    plain, rich = bodies(msg)
    if plain is None and rich is None:
        plain = fallback_body(msg)
    hint = body_hint(plain, encodings)
    reader = _Reader(msg, defects, encodings, hint)

    message_id = normalise_message_id(reader.raw_text("Message-ID"))
    synthesized = message_id is None
    if message_id is None:
        message_id = f"<{digest[:40]}@synthesized.opshub.invalid>"
        defects.append("Message-ID: missing, synthesized from content")

    html_src = part_text(rich, defects, encodings, hint) if rich is not None else None
    if plain is not None:
        text = part_text(plain, defects, encodings, hint)
    elif html_src is not None:
        text = html_to_text(html_src)
    else:
        text = ""
    attachments = attachments_of(raw, msg, (plain, rich), encodings, defects)
    text, uufiles = extract_uuencoded(text)
    attachments += [Attachment(f.filename, f.content_type, f.content, len(f.content), None,
                               "attachment") for f in uufiles]
    for part in msg.walk():
        defects.extend(f"MIME: {d.__class__.__name__}" for d in part.defects)

    senders = reader.addresses("From")
    from_name, from_addr = senders[0] if senders else (None, None)
    subject = reader.text("Subject") or ""
    content_type = msg.get_content_type()
    return ParsedMail(
        message_id=message_id,
        message_id_synthesized=synthesized,
        in_reply_to=normalise_message_id(reader.raw_text("In-Reply-To")),
        references=_message_ids(reader.raw_text("References")),
        subject=subject,
        from_addr=from_addr or None,
        from_name=from_name or None,
        to=tuple(a for _, a in reader.addresses("To") if a),
        cc=tuple(a for _, a in reader.addresses("Cc") if a),
        reply_to=tuple(a for _, a in reader.addresses("Reply-To") if a),
        return_path=_return_path(reader),
        envelope_from=envelope_from,
        date=_date(reader),
        auto_submitted=reader.lower("Auto-Submitted"),
        precedence=reader.lower("Precedence"),
        list_id=reader.text("List-Id"),
        loop=reader.text(LOOP_HEADER),
        x_loop=reader.lower("X-Loop"),
        auto_response_suppress=reader.lower("X-Auto-Response-Suppress"),
        content_type=content_type,
        text=text.replace("\r\n", "\n"),
        html=clean_html(html_src) if html_src is not None else None,
        attachments=named(attachments),
        content_sha256=digest,
        is_dsn=looks_like_bounce(
            content_type, msg.get_param("report-type"), subject, from_addr, envelope_from,
            delivery_status=has_delivery_status(msg),
        ),
        defects=tuple(dict.fromkeys(defects)),
        trace=_trace(msg),
        from_count=len(senders),
    )
