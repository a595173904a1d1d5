"""Who sent a mail, as far as the hub can tell (CONTRACT.md, "Mail authentication").

Anyone can write any ``From:`` line, so the hub believes a sender only on evidence:

* **the signed reply address**: every notification carries a Reply-To minted for its one
  recipient (``general+t12.<rcpt>.<sig>@domain``). A message to it counts as coming from
  that recipient only when both the ``From`` address and the envelope ``MAIL FROM`` are
  that recipient (:attr:`Identity.own_address`);
* **a trusted relay's Authentication-Results**: the MTA in front of the hub (Postfix with
  opendkim/opendmarc, rspamd, Exim) checks DKIM and SPF and says so in an
  ``Authentication-Results`` header (RFC 8601). Only headers whose authserv-id is one of
  ``HUB_MAIL_TRUSTED_RELAYS`` count, only the topmost ones (those in the trace block at the
  top of the message, above the Received header of the hop before the relay), and only a
  ``dkim=pass`` whose signing domain is the From domain or an ``spf=pass`` for the From
  domain (with the envelope in that domain too).

Mail commands need a staff user writing to their own signed reply address and, when
``HUB_MAIL_AUTH=required`` (the default once a relay is configured), a relay's pass.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence
from dataclasses import dataclass

import authres  # type: ignore[import-untyped]

from hub.config import Settings
from hub.mail.addresses import Target
from hub.mail.parsing import ParsedMail
from hub.mail.threading import Recipient, signed_for

log = logging.getLogger(__name__)

__all__ = ["Identity", "identify", "relay_passes", "trusted_results"]


@dataclass(frozen=True)
class Identity:
    """What the hub may believe about the sender of one message."""

    address: str | None  # the From address, lowercased (None when unusable)
    own_address: bool  # written to the reply address minted for ``address``, envelope too
    relay_pass: bool  # a trusted relay's DKIM/SPF pass for the From domain
    required: bool  # HUB_MAIL_AUTH=required

    @property
    def authenticated(self) -> bool:
        """The hub verified that ``address`` sent this message."""
        return self.relay_pass or (self.own_address and not self.required)

    @property
    def may_command(self) -> bool:
        """Proof enough for mail commands (the sender must also be staff)."""
        return self.own_address and (self.relay_pass or not self.required)

    def why_not(self) -> str:
        """Why commands in this message were not applied (for the refusal notice)."""
        if not self.own_address:
            return ("commands are only applied from staff writing to their own reply "
                    "address (the Reply-To of a notification sent to them)")
        return ("commands are only applied from mail a trusted relay authenticated "
                "(DKIM or SPF pass for the sender's domain)")


def trusted_results(trace: Sequence[tuple[str, str]],
                    relays: Collection[str]) -> list[object]:
    """Parsed Authentication-Results of trusted relays at the top of the message.

    The block ends at the first ``Received`` header below a trusted result (the hop before
    the relay: anything under it was written by whoever sent the message to the relay).
    Headers that do not parse, or name another authserv-id, are ignored.
    """
    trusted = {r.strip().lower() for r in relays if r.strip()}
    found: list[object] = []
    if not trusted:
        return found
    for name, value in trace:
        if name == "received" and found:
            break
        if name != "authentication-results":
            continue
        try:
            header = authres.AuthenticationResultsHeader.parse_value(value)
        except Exception:  # malformed header: authres raises its own errors and others
            log.info("ignoring an Authentication-Results header that does not parse")
            continue
        if str(header.authserv_id or "").strip().lower() in trusted:
            found.append(header)
    return found


def _domain(value: str | None) -> str:
    return (value or "").strip().strip("<>").rpartition("@")[2].strip().lower().rstrip(".")


def _prop(result: object, ptype: str, name: str) -> str | None:
    for prop in getattr(result, "properties", ()) or ():
        if str(getattr(prop, "type", "")).lower() == ptype and \
                str(getattr(prop, "name", "")).lower() == name:
            return str(getattr(prop, "value", "") or "")
    return None


def relay_passes(trace: Sequence[tuple[str, str]], relays: Collection[str],
                 from_addr: str | None, envelope_from: str | None) -> bool:
    """A trusted relay says ``dkim=pass`` (signed by the From domain) or ``spf=pass``
    (for the From domain, which the envelope shares)."""
    domain = _domain(from_addr)
    if not domain:
        return False
    for header in trusted_results(trace, relays):
        for result in getattr(header, "results", ()) or ():
            method = str(getattr(result, "method", "")).lower()
            if str(getattr(result, "result", "")).lower() != "pass":
                continue
            if method == "dkim":
                signer = _prop(result, "header", "d") or _domain(_prop(result, "header", "i"))
                if signer and signer.strip().lower().rstrip(".") == domain:
                    return True
            elif method == "spf":
                checked = _domain(_prop(result, "smtp", "mailfrom"))
                if checked == domain and _domain(envelope_from) == domain:
                    return True
    return False


def identify(parsed: ParsedMail, envelope_from: str | None, target: Target | None,
             settings: Settings) -> Identity:
    """The evidence about who sent ``parsed`` (to ``target``, via ``envelope_from``)."""
    address = (parsed.from_addr or "").strip().lower() or None
    single = parsed.from_count == 1 and address is not None
    envelope = (envelope_from or "").strip().strip("<>").lower()
    own = False
    if single and target is not None and target.recipient_token is not None:
        found = Recipient(target.queue, target.action, target.ticket_id, target.signed,
                          target.recipient_token)
        own = envelope == address and signed_for(found, address, settings.secret_key)
    relay = single and relay_passes(parsed.trace, settings.mail_trusted_relays, address,
                                    envelope)
    return Identity(address=address, own_address=own, relay_pass=relay,
                    required=settings.mail_auth_required)
