"""What others may ask of the channels feature.

``Notify`` is the one way anything in the hub reaches a person or a system outside it:
``hub.bus.handle(Notify(...), actor)`` returns ``{"id": ..., "state": ...}`` with state
``queued`` (the sender will deliver it), ``held_quiet`` (queued, waiting for the end of
the recipient's quiet hours), ``duplicate`` (this cause already notified this recipient
on this channel) or ``no_contact`` (the user gave no address for the channel; recorded
as a final failure so the reason is visible).
The ``Record*`` and ``ReceiveChannelReply`` commands are the sender's and the inbound
endpoints' way to put what happened outside into the event stream.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["VIAS", "Notify", "ReceiveChannelReply", "RecordDeliveryAttempt"]

VIAS = ("mail", "webhook", "xmpp", "sms")


@dataclass(frozen=True)
class Notify:
    via: str                      # "mail" | "webhook" | "xmpp" | "sms"
    subject: str
    text: str
    user: str | None = None       # a hub user: their contacts give the address
    address: str | None = None    # or an explicit address (a rule's webhook URL, a mail address)
    ticket_id: int | None = None
    urgent: bool = False          # pages: delivered during the user's quiet hours
    cause: str = ""               # stable: one delivery per (cause, user/address, via)
    payload: dict[str, Any] | None = None   # extra JSON fields for webhooks


@dataclass(frozen=True)
class RecordDeliveryAttempt:
    """The outcome of one attempt at delivery ``id`` (system actors only).

    ``attempt`` numbers the attempt from 1, so the same outcome recorded twice (a
    retry, a second node) changes nothing.
    """

    id: str
    attempt: int
    ok: bool
    error: str = ""
    final: bool = False
    retry_at: str | None = None


@dataclass(frozen=True)
class ReceiveChannelReply:
    """A message someone sent to the hub by SMS (Kannel) or XMPP (system actors only)."""

    via: str
    sender: str
    text: str
