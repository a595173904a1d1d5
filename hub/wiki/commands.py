"""Wiki commands: what an editor, the importer or the scheduler asks for."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class SavePage:
    """Save ``text`` as the next revision; ``base_revision`` is where the editor started.

    With a stale base the handler answers 409 with a three-way merge; ``merge=True``
    applies a clean merge at once.
    """

    web: str
    topic: str
    text: str
    base_revision: int
    summary: str = ""
    merge: bool = False
    parent: str | None = None
    fields: dict[str, Any] | None = None


@dataclass(frozen=True)
class ImportRevision:
    """One historical revision from TWiki: original author and date kept in the event."""

    web: str
    topic: str
    text: str
    author: str
    original_at: str
    summary: str = ""
    parent: str | None = None
    fields: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RestoreRevision:
    web: str
    topic: str
    revision: int


@dataclass(frozen=True)
class RenamePage:
    web: str
    topic: str
    new_web: str
    new_topic: str
    update_links: bool = True


@dataclass(frozen=True)
class SetPageFields:
    web: str
    topic: str
    fields: dict[str, Any]


@dataclass(frozen=True)
class AddAttachment:
    """Attach bytes already written to the BlobStore (the event carries the sha256)."""

    web: str
    topic: str
    name: str
    sha256: str
    size: int
    content_type: str = "application/octet-stream"
    comment: str = ""


@dataclass(frozen=True)
class Subscribe:
    web: str
    topic: str = ""
    username: str | None = None


@dataclass(frozen=True)
class Unsubscribe:
    web: str
    topic: str = ""
    username: str | None = None


@dataclass(frozen=True)
class RecordDigestSent:
    username: str
    upto: int
    count: int
