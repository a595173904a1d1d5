"""Read delivery status notifications (RFC 3464) so bounces land on the right ticket.

A bounce must never open a ticket or trigger a reply; it should mark the failed recipient
on the ticket whose message bounced. Standard reports give per-recipient status and the
original Message-ID (one of ours, see :func:`hub.mail.threading.ticket_from_message_id`);
non-standard ones are recognised loosely and reported without details, leaving attribution
to the VERP return path (:func:`hub.mail.threading.parse_bounce_address`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email import policy
from email.message import Message
from email.parser import BytesParser, HeaderParser
from email.utils import parseaddr

from hub.mail.parsing import normalise_message_id
from hub.mail.sanitize import decode_bytes, looks_like_bounce

__all__ = ["DeliveryReport", "RecipientStatus", "looks_like_bounce", "parse_dsn"]


@dataclass(frozen=True)
class RecipientStatus:
    """One per-recipient block of a report; addresses lowercased, type prefixes removed."""

    final_recipient: str | None
    original_recipient: str | None
    action: str | None  # failed | delayed | delivered | relayed | expanded
    status: str | None  # e.g. "5.1.1"
    diagnostic_code: str | None
    remote_mta: str | None

    @property
    def permanent(self) -> bool:
        """A hard bounce: stop mailing this address for this ticket."""
        return self.action == "failed" or (self.status or "").startswith("5")


@dataclass(frozen=True)
class DeliveryReport:
    """What a bounce says. ``standard`` is False for loosely recognised bounces."""

    standard: bool
    reporting_mta: str | None
    original_message_id: str | None
    original_subject: str | None
    recipients: tuple[RecipientStatus, ...]


_FIELD_TYPE = re.compile(r"^\s*[A-Za-z0-9-]+\s*;\s*")
_STATUS = re.compile(r"\b([245]\.\d{1,3}\.\d{1,3})\b")
_BODY_MSGID = re.compile(r"^\s*message-id:\s*(<[^<>\s]+>)", re.IGNORECASE | re.MULTILINE)
_BODY_SUBJECT = re.compile(r"^\s*subject:\s*(.+)$", re.IGNORECASE | re.MULTILINE)


def _value(fields: dict[str, str], name: str, strip_type: bool = True) -> str | None:
    raw = fields.get(name.lower())
    if raw is None:
        return None
    value = " ".join(raw.split())
    if strip_type:
        value = _FIELD_TYPE.sub("", value, count=1)
    return value or None


def _blocks(part: Message) -> list[dict[str, str]]:
    """Field groups of a ``message/delivery-status`` part, however it was encoded."""
    payload = part.get_payload()
    groups: list[dict[str, str]] = []
    if isinstance(payload, list):  # the stdlib splits the part into header blocks
        for block in payload:
            if isinstance(block, Message):
                groups.append({k.lower(): str(v) for k, v in block.items()})
        return groups
    data = part.get_payload(decode=True)
    text = decode_bytes(data, "utf-8")[0] if isinstance(data, bytes) else str(payload)
    for chunk in re.split(r"\r?\n[ \t]*\r?\n", text.replace("\r\n", "\n")):
        if chunk.strip():
            block = HeaderParser(policy=policy.compat32).parsestr(chunk.strip() + "\n")
            groups.append({k.lower(): str(v) for k, v in block.items()})
    return groups


def _recipient(fields: dict[str, str]) -> RecipientStatus:
    final = _value(fields, "Final-Recipient")
    original = _value(fields, "Original-Recipient")
    status = _value(fields, "Status")
    found = _STATUS.search(status or "")
    action = _value(fields, "Action")
    return RecipientStatus(
        final_recipient=final.strip("<>").lower() if final else None,
        original_recipient=original.strip("<>").lower() if original else None,
        action=action.lower() if action else None,
        status=found.group(1) if found else status,
        diagnostic_code=_value(fields, "Diagnostic-Code"),
        remote_mta=_value(fields, "Remote-MTA"),
    )


def _original_headers(msg: Message) -> Message | None:
    for part in msg.walk():
        ctype = part.get_content_type()
        if ctype in ("message/rfc822", "message/global"):
            inner = part.get_payload()
            if isinstance(inner, list) and inner and isinstance(inner[0], Message):
                return inner[0]
        if ctype in ("text/rfc822-headers", "message/rfc822-headers", "message/global-headers"):
            data = part.get_payload(decode=True)
            text = decode_bytes(data if isinstance(data, bytes) else b"", "utf-8")[0]
            return HeaderParser(policy=policy.default).parsestr(text)
    return None


def _loose_original(msg: Message) -> tuple[str | None, str | None]:
    """Message-ID/Subject quoted in a non-standard bounce's text parts."""
    for part in msg.walk():
        if part.get_content_maintype() != "text":
            continue
        data = part.get_payload(decode=True)
        text = decode_bytes(data if isinstance(data, bytes) else b"", part.get_content_charset())[0]
        found = _BODY_MSGID.search(text)
        if found:
            subject = _BODY_SUBJECT.search(text[max(0, found.start() - 2000) :])
            return found.group(1), subject.group(1).strip() if subject else None
    return None, None


def parse_dsn(raw: bytes, envelope_from: str | None = None) -> DeliveryReport | None:
    """Parse a bounce; ``None`` when ``raw`` does not look like one.

    Never raises: a bounce too malformed to read is still reported (without details), so the
    gateway files it as a bounce instead of opening a ticket for a mailer daemon.
    """
    try:
        msg = BytesParser(policy=policy.default).parsebytes(raw)
        subject = str(msg.get("Subject", "") or "")
        from_addr = parseaddr(str(msg.get("From", "") or ""))[1]
        report_type = msg.get_param("report-type")
        if not looks_like_bounce(
            msg.get_content_type(), report_type, subject, from_addr, envelope_from,
            delivery_status=_status_part(msg) is not None,
        ):
            return None
    except Exception:
        return None
    try:
        return _report(msg)
    except Exception:
        return DeliveryReport(False, None, None, None, ())


def _status_part(msg: Message) -> Message | None:
    """The ``message/delivery-status`` part, wherever it is (``report-type`` or not)."""
    kinds = ("message/delivery-status", "message/global-delivery-status")
    return next((p for p in msg.walk() if p.get_content_type() in kinds), None)


def _report(msg: Message) -> DeliveryReport:
    status_part = _status_part(msg)
    groups = _blocks(status_part) if status_part is not None else []
    original = _original_headers(msg)
    orig_subject: str | None
    if original is not None:
        msgid = normalise_message_id(str(original.get("Message-ID", "") or ""))
        orig_subject = " ".join(str(original.get("Subject", "") or "").split()) or None
    else:
        msgid, orig_subject = _loose_original(msg)
    per_message = groups[0] if groups and "reporting-mta" in groups[0] else {}
    recipients = tuple(
        _recipient(g) for g in groups if "final-recipient" in g or "original-recipient" in g
    )
    return DeliveryReport(
        standard=status_part is not None,
        reporting_mta=_value(per_message, "Reporting-MTA"),
        original_message_id=normalise_message_id(msgid),
        original_subject=orig_subject,
        recipients=recipients,
    )
