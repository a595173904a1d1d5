"""Decide whether an automatic reply may be sent (RFC 3834), and rate-limit the ones that may.

A ticket system that answers an out-of-office reply with an acknowledgement, which triggers
another out-of-office reply, fills both mailboxes and the ticket in minutes. Every rule here
errs on the side of *not* replying: a missed acknowledgement costs little, a loop a lot.
"""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Collection, Iterable

from hub.mail.parsing import ParsedMail

__all__ = ["AutoreplyLimiter", "autoreply_allowed", "is_robot_address", "may_autoreply"]

_BULK_PRECEDENCE = frozenset({"bulk", "junk", "list"})
_ROBOT_LOCALS = frozenset(
    {"mailer-daemon", "postmaster", "listserv", "majordomo", "noreply", "no-reply",
     "do-not-reply", "donotreply", "bounce", "bounces"}
)  # fmt: skip


def _keyword(value: str) -> str:
    """First token of a header such as ``auto-replied (vacation)`` or ``bulk; x=y``."""
    found = re.match(r"\s*([a-z0-9-]+)", value.lower())
    return found.group(1) if found else value.strip().lower()


def is_robot_address(address: str) -> bool:
    """True for addresses that belong to software (RFC 3834 section 2 and common practice)."""
    local = address.strip().strip("<>").lower().rpartition("@")[0].partition("+")[0]
    return (
        local in _ROBOT_LOCALS
        or local.startswith("owner-")
        or local.endswith(("-request", "-owner", "-bounces"))
    )


def may_autoreply(
    parsed: ParsedMail,
    envelope_from: str | None,
    own_addresses: Collection[str],
    own_domains: Collection[str] = (),
) -> tuple[bool, str]:
    """Return ``(allowed, reason)``; the reason is logged and shown in the ticket history.

    ``envelope_from`` is the SMTP ``MAIL FROM`` (``""`` or ``"<>"`` for the null sender);
    when the gateway does not know it (``None``) the Return-Path header stands in.
    ``own_addresses`` are our queue addresses; ``own_domains`` catches every address of ours,
    including signed reply and bounce addresses.
    """
    sender = envelope_from if envelope_from is not None else parsed.return_path
    if sender is not None and sender.strip() in ("", "<>"):
        return False, "null return path"
    if parsed.is_dsn:
        return False, "delivery status notification"
    if parsed.auto_submitted and _keyword(parsed.auto_submitted) != "no":
        return False, f"Auto-Submitted: {parsed.auto_submitted}"
    if parsed.precedence and _keyword(parsed.precedence) in _BULK_PRECEDENCE:
        return False, f"Precedence: {parsed.precedence}"
    if parsed.list_id:
        return False, "mailing list (List-Id)"
    if parsed.loop:
        return False, "our loop header is present"
    suppress = parsed.auto_response_suppress or ""
    if any(word.strip() in ("all", "autoreply", "oof") for word in suppress.split(",")):
        return False, f"X-Auto-Response-Suppress: {suppress}"
    own = {a.strip().lower() for a in own_addresses}
    domains = {d.strip().lower().lstrip("@") for d in own_domains}
    candidates = [a for a in (sender, parsed.from_addr, *parsed.reply_to) if a]
    for address in candidates:
        addr = address.strip().strip("<>").lower()
        if is_robot_address(addr):
            return False, f"automated sender {addr}"
        if addr in own or addr.rpartition("@")[2] in domains:
            return False, f"our own address {addr}"
    if parsed.x_loop and (parsed.x_loop in own or parsed.x_loop.rpartition("@")[2] in domains):
        return False, "X-Loop names us"
    if not parsed.sender:
        return False, "no sender address"
    return True, "ok"


def autoreply_allowed(sent_at: Iterable[float], now: float, limit: int, window: float) -> bool:
    """Pure check: fewer than ``limit`` replies in the ``window`` seconds before ``now``.

    For a gateway running in several processes the timestamps come from the database; the
    in-memory :class:`AutoreplyLimiter` wraps this for the single-process case and tests.
    """
    return sum(1 for t in sent_at if now - window < t <= now) < limit


class AutoreplyLimiter:
    """At most ``limit`` autoreplies per address per ``window`` seconds (clock passed in).

    Memory is bounded: old timestamps are pruned on each call and at most ``max_addresses``
    addresses are tracked (the least recently used is forgotten, which at worst allows one
    extra reply to a sender nobody has written to in a while).
    """

    def __init__(self, limit: int = 3, window: float = 3600.0, max_addresses: int = 10_000):
        if limit < 0 or window <= 0 or max_addresses <= 0:
            raise ValueError("limit must be >= 0, window and max_addresses > 0")
        self.limit = limit
        self.window = window
        self.max_addresses = max_addresses
        self._sent: dict[str, deque[float]] = {}

    def allow(self, address: str, now: float) -> bool:
        """Record and allow a reply to ``address`` at ``now`` if under the limit."""
        key = address.strip().lower()
        times = self._sent.pop(key, deque())
        while times and times[0] <= now - self.window:
            times.popleft()
        allowed = autoreply_allowed(times, now, self.limit, self.window)
        if allowed:
            times.append(now)
        if times:
            self._sent[key] = times  # re-insert: dict order doubles as LRU order
        while len(self._sent) > self.max_addresses:
            del self._sent[next(iter(self._sent))]
        return allowed

    def recent(self, address: str, now: float) -> int:
        """How many replies to ``address`` count against the limit at ``now``."""
        times = self._sent.get(address.strip().lower(), ())
        return sum(1 for t in times if t > now - self.window)
