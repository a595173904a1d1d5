"""Channel command handlers: resolve the recipient, queue once per cause, record outcomes.

The recipient's address is fixed when the notification is queued (from the user's
contacts, or the explicit address given), so what was queued is what is sent, even if
the contacts change while it waits; quiet hours are decided then too.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from hub.accounts import commands as ac
from hub.accounts import queries as aq
from hub.actors import Actor
from hub.channels import commands as c
from hub.channels import events as ev
from hub.channels.model import Notification, delivery_id, iso
from hub.domain import Aggregate, PermissionDeniedError, ValidationError
from hub.eventstore import utcnow
from hub.messagebus import MessageBus, UnitOfWork

SLACK_HOSTS = ("hooks.slack.com",)


def _webhook_format(url: str, payload: dict[str, Any] | None) -> str:
    """Slack/Mattermost bodies for Slack's hosts or when asked (``payload.format``)."""
    if payload and payload.get("format") in ("slack", "generic"):
        return str(payload["format"])
    host = (urlsplit(url).hostname or "").lower()
    return "slack" if host in SLACK_HOSTS else "generic"


class ChannelHandlers:
    """Handlers bound to a clock (``now``), which unit tests replace."""

    def __init__(self, now: Callable[[], dt.datetime] = utcnow) -> None:
        self.now = now

    def notify(self, cmd: c.Notify, uow: UnitOfWork, actor: Actor) -> dict[str, Any]:
        if cmd.via not in c.VIAS:
            raise ValidationError(f"via is one of {list(c.VIAS)}, not {cmd.via!r}")
        if (cmd.user is None) == (cmd.address is None):
            raise ValidationError("a notification names a user or an address, not both")
        if cmd.payload is not None and not isinstance(cmd.payload, dict):
            raise ValidationError("payload is a JSON object")
        hold: dt.datetime | None = None
        fmt = "generic"
        if cmd.user is not None:
            contacts = aq.contacts_of(uow.conn, cmd.user)
            if contacts is None:
                raise ValidationError(f"unknown user {cmd.user!r}", field="user")
            address = contacts.address_for(cmd.via)
            fmt = contacts.webhook_format
            if not cmd.urgent:
                hold = aq.quiet_until(contacts.quiet_hours, self.now())
        else:
            address = ac.clean_address(cmd.via, cmd.address)
            if cmd.via == "webhook":
                fmt = _webhook_format(address, cmd.payload)
        note = uow.get(Notification, delivery_id(cmd.cause, cmd.user or address or "", cmd.via),
                       must_exist=False)
        if note.exists:
            return {"id": note.id, "state": "duplicate"}
        if address is None:
            if not actor.is_staff:
                raise PermissionDeniedError("only staff and the hub itself send notifications")
            note.no_contact(via=cmd.via, user=cmd.user, cause=cmd.cause,
                            ticket_id=cmd.ticket_id,
                            error=f"{cmd.user} has no {cmd.via} contact")
            uow.add(note)
            return {"id": note.id, "state": "no_contact"}
        payload = {k: v for k, v in (cmd.payload or {}).items() if k != "format"} or None
        note.queue(actor, via=cmd.via, user=cmd.user, address=address, subject=cmd.subject,
                   text=cmd.text, ticket_id=cmd.ticket_id, urgent=cmd.urgent,
                   cause=cmd.cause, payload=payload, webhook_format=fmt,
                   hold_until=iso(hold) if hold else None)
        uow.add(note)
        return {"id": note.id, "state": "held_quiet" if hold else "queued"}

    def record_attempt(self, cmd: c.RecordDeliveryAttempt, uow: UnitOfWork,
                       actor: Actor) -> bool:
        note = uow.get(Notification, cmd.id)
        return note.attempted(actor, cmd.attempt, ok=cmd.ok, error=cmd.error,
                              final=cmd.final, retry_at=cmd.retry_at)

    def receive_reply(self, cmd: c.ReceiveChannelReply, uow: UnitOfWork,
                      actor: Actor) -> dict[str, Any]:
        if not actor.is_system:
            raise PermissionDeniedError("inbound channel messages come from the hub itself")
        if cmd.via not in ("sms", "xmpp"):
            raise ValidationError("replies arrive by sms or xmpp")
        sender = cmd.sender.strip()
        sender = sender.split("/", 1)[0].lower() if cmd.via == "xmpp" else sender
        if cmd.via == "sms" and sender and not sender.startswith("+") and sender.isdigit():
            sender = "+" + sender  # Kannel's %p may leave out the plus of an E.164 number
        user = aq.user_by_contact(uow.conn, cmd.via, sender)
        reply = _Reply(uuid.uuid4().hex[:24])
        reply.received(ev.ChannelReplyReceived(via=cmd.via, sender=sender[:300], user=user,
                                               text=cmd.text[:4000]))
        uow.add(reply)
        return {"user": user, "sender": sender}


class _Reply(Aggregate):
    """One inbound message: a stream of its own, so replies never contend."""

    stream_prefix = "channelreply"

    def received(self, event: ev.ChannelReplyReceived) -> None:
        self._record(event)


def register(bus: MessageBus, handlers: ChannelHandlers) -> None:
    bus.register(c.Notify, handlers.notify)
    bus.register(c.RecordDeliveryAttempt, handlers.record_attempt)
    bus.register(c.ReceiveChannelReply, handlers.receive_reply)
