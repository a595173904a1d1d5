"""Mail-specific text hygiene: lenient charset decoding, reply folding, bounce recognition.

HTML sanitising shared with the wiki and web lives in :mod:`hub.sanitize`; this module holds
the heuristics only inbound mail needs. They are kept apart from :mod:`hub.mail.parsing` so
the MIME walk stays readable and these rules can be tuned (new client quirks, new bounce
subjects) without touching it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from hub.mail.charsets import DEFAULT_ENCODINGS, decode_undeclared

__all__ = ["decode_bytes", "fold_quoted", "looks_like_bounce"]

_BOUNCE_SUBJECT = re.compile(  # anchored: a human's "Re: Undeliverable ..." is not a bounce
    r"^\s*(undelivered mail returned to sender|delivery status notification"
    r"|undeliverable:|undeliverable mail|mail delivery failed|returned mail:|failure notice"
    r"|delivery failure|mail system error|unzustellbar:|non remis|non-remis)",
    re.IGNORECASE,
)
_DAEMONS = ("mailer-daemon@", "postmaster@")


def decode_bytes(data: bytes, declared: str | None,
                 encodings: Sequence[str] = DEFAULT_ENCODINGS,
                 hint: str | None = None) -> tuple[str, str | None]:
    """Decode text leniently: the declared charset, else the site's fallback list
    (:func:`hub.mail.charsets.decode_undeclared`, RT's ``EmailInputEncodings``).

    Senders routinely lie (``us-ascii`` with 8-bit bytes) or name charsets Python does not
    know (``x-unknown``). Returns the text and a defect description when the declared charset
    could not be used; never raises. NUL characters are dropped (PostgreSQL text rejects them
    and no legitimate mail text contains them).
    """
    text, problem = _decode(data, declared, encodings, hint)
    return text.replace("\x00", ""), problem


def _decode(data: bytes, declared: str | None, encodings: Sequence[str],
            hint: str | None) -> tuple[str, str | None]:
    problem = None
    if declared:
        try:
            return data.decode(declared), None
        except LookupError:
            problem = f"charset: unknown {declared!r}"
        except (UnicodeDecodeError, ValueError):
            problem = f"charset: content is not {declared!r}"
    return decode_undeclared(data, encodings, hint), problem


def looks_like_bounce(
    content_type: str,
    report_type: object,
    subject: str,
    from_addr: str | None,
    envelope_from: str | None = None,
    delivery_status: bool = False,
) -> bool:
    """True for RFC 3464 reports and for the usual non-standard bounce shapes.

    A ``message/delivery-status`` part (``delivery_status``) makes a report even when the
    ``report-type`` parameter is missing or the container is not ``multipart/report``
    (some MTAs and gateways send ``multipart/mixed``).

    Non-standard bounces (qmail, Exchange, old Gmail) are recognised by a bounce subject at the
    very start, or by a daemon sender with a null envelope sender. They count as "a DSN without
    details", so the gateway neither opens tickets for them nor replies to them.
    """
    if content_type == "multipart/report" and str(report_type or "").lower() == (
        "delivery-status"
    ):
        return True
    if delivery_status:  # a message/delivery-status part: a report, whatever the parameters
        return True
    if _BOUNCE_SUBJECT.search(subject or ""):
        return True
    daemon = (from_addr or "").lower().startswith(_DAEMONS)
    return daemon and envelope_from in ("", "<>")


_SIGNATURE = re.compile(r"^-- ?$")
_SEPARATOR = re.compile(
    r"^\s*(-{3,}\s*(original message|ursprüngliche nachricht|forwarded message)\s*-{3,}"
    r"|_{20,})\s*$",
    re.IGNORECASE,
)
_ATTRIBUTION = re.compile(
    r"^\s*(on|am|le|el|il|op)\s.+\b(wrote|schrieb|a écrit|escribió|ha scritto|schreef)\b"
    r"[^:]{0,80}:\s*$",
    re.IGNORECASE,
)
_OUTLOOK_HEADER = re.compile(r"^\s*(from|von|de)\s*:\s*\S", re.IGNORECASE)
_OUTLOOK_NEXT = re.compile(r"^\s*(sent|date|gesendet|datum|envoyé|to|an)\s*:", re.IGNORECASE)


def _hard_marker(lines: list[str], i: int) -> bool:
    line = lines[i]
    if _SIGNATURE.match(line) or _SEPARATOR.match(line):
        return True
    nxt = lines[i + 1] if i + 1 < len(lines) else ""
    return bool(_OUTLOOK_HEADER.match(line) and _OUTLOOK_NEXT.match(nxt))


def _is_history(lines: list[str], k: int) -> int:
    """How many lines ending at ``k`` belong to quoted history (0 when ``lines[k]`` is new)."""
    line = lines[k]
    if not line.strip() or line.lstrip().startswith(">") or _ATTRIBUTION.match(line):
        return 1
    if k > 0 and _ATTRIBUTION.match(f"{lines[k - 1]} {line}"):  # attribution wrapped in two
        return 2
    return 0


def fold_quoted(text: str) -> tuple[str, str]:
    """Split a reply into ``(new_text, history)`` so the UI can collapse the history.

    History starts at the first signature delimiter or "Original Message" separator, or at the
    trailing block of ``>`` lines with its "On ... wrote:" attribution. Quotes followed by new
    text (inline replies) stay in the new part: hiding an answer is worse than showing a quote.
    """
    lines = text.replace("\r\n", "\n").split("\n")
    cut = next((i for i in range(len(lines)) if _hard_marker(lines, i)), len(lines))
    start, k = cut, cut - 1
    while k >= 0:
        taken = _is_history(lines, k)
        if not taken:
            break
        if lines[k].strip():
            start = k - taken + 1
        k -= taken
    while start < cut and not lines[start].strip():
        start += 1
    new = "\n".join(lines[:start]).rstrip()
    history = "\n".join(lines[start:]).strip("\n")
    return new, history
