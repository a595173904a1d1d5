"""Find the ticket a mail belongs to, and mint addresses/ids that lead back to it.

Three independent clues, in the order the gateway should trust them:

1. a signed per-ticket reply address (``general+t123.<rcpt>.<sig>@domain``), minted for one
   recipient: ``<rcpt>`` is a keyed digest of that recipient's address, so the address says
   whom it was given to (:func:`signed_for`) without revealing it. Addresses of the old form
   ``general+t123.<sig>@domain`` (no recipient) still thread, but prove nothing about the
   sender,
2. one of *our* Message-IDs in In-Reply-To/References (signed as well),
3. the ``[TAG #123]`` subject tag (unsigned: anyone can type it, so the gateway should only
   let it *add correspondence*, never grant rights).

Signatures are HMAC-SHA256 over the fields with the hub's secret key, truncated to 10 base32
characters (50 bits): short enough to survive in local parts and Message-IDs, far too long
to guess. Everything is lowercase because MTAs and clients may lowercase local parts.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Collection
from dataclasses import dataclass
from email.utils import parseaddr
from typing import Literal

__all__ = [
    "BOUNCE_LOCAL",
    "BounceRef",
    "Recipient",
    "add_tag",
    "bounce_address",
    "find_ticket_tag",
    "make_message_id",
    "parse_bounce_address",
    "parse_recipient",
    "queue_local_part",
    "recipient_token",
    "reply_address",
    "signed_for",
    "strip_subject",
    "ticket_from_message_id",
]

#: Local part of VERP return paths: ``bounces+t<ticket>.o<outgoing>[.<rcpt>].<sig>@domain``.
BOUNCE_LOCAL = "bounces"
_SIG_LEN = 10
_COMMENT_SUFFIX = "-comment"
_PREFIX = re.compile(r"^\s*((re|aw|fw|fwd|wg|tr|sv|vs|antw|rif|r)\s*(\[\d+\])?\s*:\s*)+", re.I)
_TOKEN_LEN = 8
_EXT = re.compile(r"^t(\d{1,18})\.([a-z2-7]{10})$")
_EXT_RCPT = re.compile(r"^t(\d{1,18})\.([a-z2-7]{8})\.([a-z2-7]{10})$")
_OUR_MSGID = re.compile(
    r"^<?hub\.t(\d{1,18})\.e(\d{1,20})(?:\.([a-z0-9]{1,32}))?\.([a-z2-7]{10})@(.+?)>?$"
)
_BOUNCE = re.compile(r"^t(\d{1,18})\.o([a-z0-9]{1,32})(?:\.(.+))?\.([a-z2-7]{10})$")
_ATOM_ADDR = re.compile(r"^[a-z0-9!#$%&'*+/=?^_`{|}~.-]+@[a-z0-9.-]+$")

Action = Literal["correspond", "comment"]


@dataclass(frozen=True)
class Recipient:
    """Where an inbound RCPT leads. ``ticket_id`` is set only when the signature verified;
    ``recipient_token`` only when the address was minted for one recipient."""

    queue: str
    action: Action
    ticket_id: int | None
    signed: bool
    recipient_token: str | None = None


@dataclass(frozen=True)
class BounceRef:
    """What a verified VERP return path says about the message that bounced."""

    ticket_id: int
    outgoing_id: str
    recipient: str | None


def _sign(secret: str | bytes, *fields: object) -> str:
    key = secret.encode() if isinstance(secret, str) else secret
    msg = "\x00".join(str(f) for f in fields).encode()
    digest = hmac.new(key, msg, hashlib.sha256).digest()
    return base64.b32encode(digest).decode("ascii").lower()[:_SIG_LEN]


def _verify(sig: str, secret: str | bytes, *fields: object) -> bool:
    return hmac.compare_digest(sig.lower(), _sign(secret, *fields))


def _tag_re(tag: str) -> re.Pattern[str]:
    return re.compile(rf"\[\s*{re.escape(tag.strip())}\s*#\s*(\d{{1,18}})\s*\]", re.I)


def find_ticket_tag(subject: str, tag: str) -> int | None:
    """Ticket id from the first ``[tag #id]`` in ``subject`` (case and spacing tolerant)."""
    found = _tag_re(tag).search(subject or "")
    return int(found.group(1)) if found else None


def add_tag(subject: str, tag: str, ticket_id: int) -> str:
    """Insert ``[tag #id]`` (after any ``Re:``) unless this ticket's tag is there (idempotent).

    Tags of other systems (``[JIRA-1]``) or other tickets are kept: removing text from a
    subject a person wrote would surprise them.
    """
    subject = " ".join((subject or "").split())
    if any(int(m.group(1)) == ticket_id for m in _tag_re(tag).finditer(subject)):
        return subject
    prefix = _PREFIX.match(subject)  # "Re: [hub #1] x" reads better than "[hub #1] Re: x"
    head, rest = ("", subject)
    if prefix:
        head, rest = prefix.group(0).strip() + " ", subject[prefix.end() :]
    return f"{head}[{tag} #{ticket_id}] {rest}".rstrip()


def strip_subject(subject: str, tag: str) -> str:
    """Subject without reply/forward prefixes and our tags, for titling a new ticket."""
    text = _tag_re(tag).sub(" ", subject or "")
    previous = None
    while previous != text:
        previous, text = text, _PREFIX.sub("", text.strip())
    return " ".join(text.split())


def queue_local_part(queue: str) -> str:
    """Mail local part of a queue name: ``"Network Ops"`` -> ``"network-ops"``."""
    return "-".join(queue.strip().lower().split())


def recipient_token(secret: str | bytes, address: str) -> str:
    """Keyed digest naming one recipient inside a reply address (8 base32 characters)."""
    return _sign(secret, "rcpt", address.strip().lower())[:_TOKEN_LEN]


def reply_address(
    queue_local: str, ticket_id: int, domain: str, secret: str | bytes, comment: bool = False,
    recipient: str | None = None,
) -> str:
    """Signed per-ticket address ``general+t123.<rcpt>.<sig>@domain`` for ``recipient``.

    Without ``recipient`` the old form ``general+t123.<sig>@domain`` is minted (it threads
    a reply but never identifies its sender); the hub only hands out recipient-bound ones.
    """
    local = queue_local_part(queue_local)
    base = local + (_COMMENT_SUFFIX if comment else "")
    kind = "comment" if comment else "correspond"
    if recipient is None:
        sig = _sign(secret, "reply", local, ticket_id, kind)
        return f"{base}+t{ticket_id}.{sig}@{domain.lower()}"
    token = recipient_token(secret, recipient)
    sig = _sign(secret, "reply-rcpt", local, ticket_id, kind, token)
    return f"{base}+t{ticket_id}.{token}.{sig}@{domain.lower()}"


def signed_for(found: Recipient, address: str | None, secret: str | bytes) -> bool:
    """Whether the verified reply address ``found`` was minted for ``address``."""
    if not found.signed or found.recipient_token is None or not address:
        return False
    return hmac.compare_digest(found.recipient_token, recipient_token(secret, address))


def parse_recipient(
    address: str, domain: str, secret: str | bytes, queues: Collection[str]
) -> Recipient | None:
    """Map an RCPT address to a queue and action; ``None`` means "550 5.1.1 unknown user".

    ``queues`` holds queue names as configured; the returned ``queue`` is that spelling. An
    extension that does not verify still reaches the queue (the mail is not lost) but carries
    no ticket id, so a forged address can only ever open a new ticket.
    """
    addr = parseaddr(address)[1].strip().lower() or address.strip().strip("<>").lower()
    local, at, dom = addr.rpartition("@")
    if not at or dom != domain.lower().rstrip("."):
        return None
    base, plus, ext = local.partition("+")
    by_local = {queue_local_part(q): q for q in queues}
    action: Action
    if base in by_local:
        queue_key, action = base, "correspond"
    elif base.endswith(_COMMENT_SUFFIX) and base[: -len(_COMMENT_SUFFIX)] in by_local:
        queue_key, action = base[: -len(_COMMENT_SUFFIX)], "comment"
    else:
        return None
    queue = by_local[queue_key]
    bound = _EXT_RCPT.match(ext) if plus else None
    if bound:
        ticket, token, sig = int(bound.group(1)), bound.group(2), bound.group(3)
        if _verify(sig, secret, "reply-rcpt", queue_key, ticket, action, token):
            return Recipient(queue=queue, action=action, ticket_id=ticket, signed=True,
                             recipient_token=token)
    found = _EXT.match(ext) if plus else None
    if found and _verify(found.group(2), secret, "reply", queue_key, int(found.group(1)), action):
        return Recipient(queue=queue, action=action, ticket_id=int(found.group(1)), signed=True)
    return Recipient(queue=queue, action=action, ticket_id=None, signed=False)


def make_message_id(
    ticket_id: int, event_position: int, domain: str, secret: str | bytes, part: str = ""
) -> str:
    """Our Message-ID for the mail caused by ``event_position`` on ``ticket_id``.

    Deterministic, so a retried notification keeps its id and recipients' clients dedupe it.
    ``part`` (``[a-z0-9]``) tells apart several mails caused by one event (requestor copy,
    staff copy). Signed so a stranger cannot thread mail into a ticket by guessing ids.
    """
    part = part.lower()
    if part and not re.fullmatch(r"[a-z0-9]{1,32}", part):
        raise ValueError(f"message id part must be 1-32 of [a-z0-9], got {part!r}")
    sig = _sign(secret, "msgid", ticket_id, event_position, part, domain.lower())
    middle = f".{part}" if part else ""
    return f"<hub.t{ticket_id}.e{event_position}{middle}.{sig}@{domain.lower()}>"


def ticket_from_message_id(msgid: str, domain: str, secret: str | bytes) -> int | None:
    """Ticket id of one of our own Message-IDs, or ``None`` (foreign, forged or garbled)."""
    found = _OUR_MSGID.match(msgid.strip().lower())
    if not found or found.group(5) != domain.lower():
        return None
    ticket, position, part, sig, dom = found.groups()
    if not _verify(sig, secret, "msgid", int(ticket), int(position), part or "", dom):
        return None
    return int(ticket)


def bounce_address(
    ticket_id: int, outgoing_id: int | str, recipient: str, domain: str, secret: str | bytes
) -> str:
    """VERP return path naming the outgoing message (and, when it fits, its recipient).

    Non-standard bounces rarely say which recipient failed; the return path always comes
    back. The recipient is encoded VERP-style (``alice=example.org``) only when it is a plain
    dot-atom address and the local part stays within 64 characters; otherwise the gateway
    attributes the bounce by ``outgoing_id`` alone.
    """
    out = str(outgoing_id).lower()
    if not re.fullmatch(r"[a-z0-9]{1,32}", out):
        raise ValueError(f"outgoing id must be 1-32 of [a-z0-9], got {outgoing_id!r}")
    rcpt = recipient.strip().lower()
    rcpt = rcpt if _ATOM_ADDR.match(rcpt) else ""
    local = f"{BOUNCE_LOCAL}+t{ticket_id}.o{out}"
    if rcpt and len(local) + len(rcpt) + _SIG_LEN + 2 <= 64:
        local += "." + rcpt.replace("@", "=")
    else:
        rcpt = ""
    sig = _sign(secret, "bounce", ticket_id, out, rcpt)
    return f"{local}.{sig}@{domain.lower()}"


def parse_bounce_address(address: str, domain: str, secret: str | bytes) -> BounceRef | None:
    """Verify and decode a :func:`bounce_address`; ``None`` when it is not one of ours."""
    addr = parseaddr(address)[1].strip().lower() or address.strip().strip("<>").lower()
    local, at, dom = addr.rpartition("@")
    base, plus, ext = local.partition("+")
    if not at or dom != domain.lower() or base != BOUNCE_LOCAL or not plus:
        return None
    found = _BOUNCE.match(ext)
    if not found:
        return None
    ticket, out, encoded, sig = found.groups()
    rcpt = ""
    if encoded:
        head, eq, tail = encoded.rpartition("=")
        rcpt = f"{head}@{tail}" if eq else ""
    if not _verify(sig, secret, "bounce", int(ticket), out, rcpt):
        return None
    return BounceRef(ticket_id=int(ticket), outgoing_id=out, recipient=rcpt or None)
