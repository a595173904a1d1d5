"""What the mail feature tells the world: changes to the admin-editable templates,
and what an admin decided about held outgoing mail.

Templates are stored on ``mailtemplate-<name>`` streams (the field names are the JSON
keys stored since the first release, so old databases read unchanged); decisions about
one outgoing message on ``outmail-<outbox id>``.
"""

from __future__ import annotations

from dataclasses import dataclass

from hub.event_registry import Event, event

__all__ = ["MailTemplateChanged", "MailTemplateReset", "OutgoingMailDiscarded",
           "OutgoingMailReleased"]


@event
@dataclass(frozen=True)
class MailTemplateChanged(Event):
    """An admin replaced the default template ``name`` (subject, text and optional HTML)."""

    name: str
    subject: str
    text: str
    html: str | None = None


@event
@dataclass(frozen=True)
class MailTemplateReset(Event):
    """An admin dropped the override of ``name``: the built-in default applies again."""

    name: str


@event
@dataclass(frozen=True)
class OutgoingMailReleased(Event):
    """An admin let a held (or failed) message go: it is queued for the smarthost again.

    ``previous`` is the state it left and ``reason`` why it had been waiting."""

    outbox_id: int
    recipient: str
    kind: str
    previous: str
    reason: str | None = None


@event
@dataclass(frozen=True)
class OutgoingMailDiscarded(Event):
    """An admin decided a message is never to be sent."""

    outbox_id: int
    recipient: str
    kind: str
    previous: str
