"""Attribute a bounce to the exact ticket and recipient, and record it there.

A bounce never opens a ticket and is never answered. The VERP return path of
each outgoing message (``bounces+t<ticket>.o<ref>[.<rcpt>].<sig>@domain``) names
the ticket and the outbox row even when the report itself is unreadable; a
standard report's original Message-ID (one of ours, signed) is the fallback.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from hub.actors import system_actor
from hub.bootstrap import Hub
from hub.domain import DomainError
from hub.mail.addresses import Target
from hub.mail.dsn import DeliveryReport, RecipientStatus, parse_dsn
from hub.mail.tables import mail_outbox
from hub.mail.threading import ticket_from_message_id
from hub.tickets.commands import RecordDeliveryFailure

log = logging.getLogger(__name__)
GATEWAY = system_actor("email", "mail-gateway")


def _failed(rs: RecipientStatus) -> bool:
    return rs.action in ("failed", "delayed") or (rs.status or "")[:1] in ("4", "5")


def _outbox_row(hub: Hub, ref: str) -> Any:
    with hub.engine.connect() as conn:
        return conn.execute(sa.select(mail_outbox.c.recipient, mail_outbox.c.message_id)
                            .where(mail_outbox.c.ref == ref)).first()


def attribute(hub: Hub, raw: bytes, envelope_from: str | None,
              targets: Sequence[Target]) -> list[tuple[int, str, RecipientStatus | None, str]]:
    """``[(ticket_id, recipient, status_or_None, original_message_id)]`` for this bounce."""
    report = parse_dsn(raw, envelope_from) or DeliveryReport(False, None, None, None, ())
    by_rcpt = {rs.final_recipient or rs.original_recipient or "": rs for rs in report.recipients}
    found: list[tuple[int, str, RecipientStatus | None, str]] = []
    for target in targets:
        ref = target.bounce
        if ref is None:
            continue
        row = _outbox_row(hub, ref.outgoing_id)
        recipient = ref.recipient or (row.recipient if row is not None else None)
        if recipient is None and len(report.recipients) == 1:
            recipient = next(iter(by_rcpt))
        if not recipient:
            continue
        msgid = row.message_id if row is not None else report.original_message_id or ""
        found.append((ref.ticket_id, recipient, by_rcpt.get(recipient), msgid))
    if found or not report.original_message_id:
        return found
    settings = hub.settings
    ticket_id = ticket_from_message_id(report.original_message_id, settings.mail_domain,
                                       settings.secret_key)
    if ticket_id is None:
        return []
    return [(ticket_id, rcpt, rs, report.original_message_id)
            for rcpt, rs in by_rcpt.items() if rcpt and _failed(rs)]


def record_bounce(hub: Hub, raw: bytes, envelope_from: str | None, targets: Sequence[Target],
                  key: str) -> dict[str, Any]:
    """Record each attributed failure with ``RecordDeliveryFailure``; returns a summary."""
    recorded: list[dict[str, Any]] = []
    for ticket_id, recipient, rs, msgid in attribute(hub, raw, envelope_from, targets):
        status = (rs.status if rs else None) or "5.0.0"
        diagnostic = (rs.diagnostic_code if rs else None) or "bounce without details"
        permanent = rs.permanent if rs else True
        command = RecordDeliveryFailure(ticket_id=ticket_id, recipient=recipient, status=status,
                                        diagnostic=diagnostic, message_id=msgid or None,
                                        permanent=permanent)
        try:
            hub.bus.handle(command, GATEWAY, idempotency_key=f"mail:{key}:dsn:{recipient}"[:300])
        except DomainError as exc:
            log.warning("bounce for ticket %s not recorded: %s", ticket_id, exc.message)
            continue
        recorded.append({"ticket_id": ticket_id, "recipient": recipient, "status": status})
    if not recorded:
        return {"action": "bounce_ignored", "reason": "no ticket or recipient could be named"}
    return {"action": "bounce", "failures": recorded}
