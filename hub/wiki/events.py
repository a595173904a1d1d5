"""The wiki's facts: what happened to pages and subscriptions, as typed events.

Field names are the JSON keys stored since the first release, so existing databases
read unchanged.  Fields typed ``X | None`` without a default (``parent``) were always
written, ``null`` included; ``original_at`` defaults to ``None`` and is left out
unless the revision came from an import, as before.  Other features (search, mail's
digest) react to these by type name.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hub.event_registry import Event, event


@event
@dataclass(frozen=True)
class PageCreated(Event):
    """A topic came into existence (its first revision follows as ``PageRevised``)."""

    web: str
    topic: str
    parent: str | None


@event
@dataclass(frozen=True)
class PageRevised(Event):
    """A new revision was saved; ``base_revision`` is where the editor started."""

    revision: int
    text: str
    author: str
    summary: str
    base_revision: int
    original_at: str | None = None  # TWiki's date of an imported revision


@event
@dataclass(frozen=True)
class PageRestored(Event):
    """An old revision's text was saved again as revision ``revision``."""

    revision: int
    text: str
    author: str
    summary: str
    restored_from: int


@event
@dataclass(frozen=True)
class PageParentChanged(Event):
    """The topic's parent (``Web.Topic``, or ``None`` for no parent) changed."""

    parent: str | None


@event
@dataclass(frozen=True)
class PageRenamed(Event):
    """This topic moved away; its content lives on in ``to_web.to_topic``."""

    to_web: str
    to_topic: str


@event
@dataclass(frozen=True)
class PageMovedIn(Event):
    """A renamed topic arrived here with its whole current state."""

    web: str
    topic: str
    from_web: str
    from_topic: str
    revision: int
    text: str
    parent: str | None
    fields: dict[str, Any]
    attachments: dict[str, int]
    form: str | None = None  # the DataForm's name, when the topic carries one


@event
@dataclass(frozen=True)
class PageMoveRecorded(Event):
    """A move made before the import (TWiki's ``%META:TOPICMOVED%``), kept as history."""

    from_name: str
    to_name: str
    by: str
    original_at: str | None = None


@event
@dataclass(frozen=True)
class PageFieldsSet(Event):
    """The topic's form fields were replaced.

    ``form`` (the DataForm topic's name) and ``titles`` (field name -> label) are
    written only when known, e.g. from TWiki's ``%META:FORM%``/``%META:FIELD%``.
    """

    fields: dict[str, Any]
    form: str | None = None
    titles: dict[str, str] | None = None


@event
@dataclass(frozen=True)
class AttachmentAdded(Event):
    """Version ``version`` of attachment ``name`` (bytes in the BlobStore by sha256)."""

    name: str
    version: int
    sha256: str
    size: int
    content_type: str
    comment: str
    author: str
    original_at: str | None = None  # TWiki's upload date of an imported attachment
    hidden: bool | None = None  # TWiki's attr="h": left out of the list, still downloadable


@event
@dataclass(frozen=True)
class WikiSubscribed(Event):
    """A user subscribed to a web (``topic`` empty) or a topic."""

    web: str
    topic: str


@event
@dataclass(frozen=True)
class WikiUnsubscribed(Event):
    web: str
    topic: str


@event
@dataclass(frozen=True)
class WikiDigestSent(Event):
    """A digest of ``count`` changes up to store position ``upto`` went out."""

    upto: int
    count: int
