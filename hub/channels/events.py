"""What the channels feature tells the world: notifications queued, delivered or failed,
and replies that people sent back by SMS or XMPP.

A notification's stream (``notification-<id>``) holds its whole life; the delivery
queue (:mod:`hub.channels.tables`) is a projection of it, so ``hub projections
rebuild`` gives the same queue. Secrets never appear here: webhook signatures, the
XMPP and Kannel passwords stay in the settings.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hub.event_registry import Event, event


@event
@dataclass(frozen=True)
class NotificationQueued(Event):
    """One message for one recipient on one channel, waiting for the sender.

    ``hold_until`` (ISO UTC) is set when it arrived in the recipient's quiet hours and
    is not urgent: it goes when they end.
    """

    id: str
    via: str
    user: str | None
    address: str
    subject: str
    text: str
    ticket_id: int | None
    urgent: bool
    cause: str
    payload: dict[str, Any] | None = None
    webhook_format: str = "generic"
    hold_until: str | None = None


@event
@dataclass(frozen=True)
class NotificationDelivered(Event):
    """The receiver accepted it (HTTP 2xx, the XMPP server took the stanza, Kannel
    answered Accepted/Sent, the smarthost took the mail)."""

    id: str
    via: str
    user: str | None
    address: str
    cause: str
    ticket_id: int | None
    attempts: int = 1


@event
@dataclass(frozen=True)
class NotificationFailed(Event):
    """An attempt failed; ``final`` when no further attempt will be made (then
    ``retry_at`` is ``None``), else the sender tries again at ``retry_at`` (ISO UTC)."""

    id: str
    via: str
    user: str | None
    cause: str
    error: str
    final: bool
    attempts: int = 0
    retry_at: str | None = None
    ticket_id: int | None = None
    address: str | None = None


@event
@dataclass(frozen=True)
class ChannelReplyReceived(Event):
    """An inbound SMS or XMPP message: ``user`` is the hub user whose contact is the
    sender, ``None`` for anyone else (recorded, but acting as nobody)."""

    via: str
    sender: str
    user: str | None
    text: str
