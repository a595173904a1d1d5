"""What the mail feature tells the world: changes to the admin-editable templates.

Stored on ``mailtemplate-<name>`` streams; the field names are the JSON keys
stored since the first release, so old databases read unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass

from hub.event_registry import Event, event

__all__ = ["MailTemplateChanged", "MailTemplateReset"]


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
