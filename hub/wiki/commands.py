"""Wiki commands: what an editor, the importer or the scheduler asks for.

Besides the command dataclasses (sent through the bus), this is where higher features
plug into the wiki: ``register_fenced_renderer`` (runbooks renders ``op`` blocks) and
``install_demo`` (``hub init``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from hub.wiki import fences
from hub.wiki.fences import FencedBlock, FencedRenderer

if TYPE_CHECKING:
    import sqlalchemy as sa

    from hub.actors import Actor
    from hub.bootstrap import Hub
    from hub.wiki.access import Access

__all__ = [
    "AddAttachment",
    "FencedBlock",
    "FencedRenderer",
    "ImportAttachment",
    "ImportRevision",
    "PageSearch",
    "RecordDigestSent",
    "RenamePage",
    "RestoreRevision",
    "SavePage",
    "SetPageFields",
    "Subscribe",
    "Unsubscribe",
    "install_demo",
    "register_fenced_renderer",
    "register_page_search",
]

PAGE_SEARCH_SERVICE = "wiki_page_search"


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
    form: str | None = None  # %META:FORM{name}%
    field_titles: dict[str, str] | None = None  # %META:FIELD{title}% by field name
    moved: Mapping[str, str] | None = None  # %META:TOPICMOVED{from to by date}%


@dataclass(frozen=True)
class ImportAttachment:
    """An attachment from TWiki's ``pub/`` with its ``%META:FILEATTACHMENT%`` data.

    Unlike :class:`AddAttachment` it names the original uploader and date, so only the
    importer (a system actor) sends it.
    """

    web: str
    topic: str
    name: str
    sha256: str
    size: int
    content_type: str
    comment: str
    author: str
    original_at: str | None = None
    hidden: bool = False


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


def register_fenced_renderer(info: str, render: FencedRenderer) -> None:
    """Render fenced blocks whose info string starts with ``info`` by ``render``.

    Called from a higher feature's ``register(hub)`` (runbooks registers ``op``,
    ``op-included`` and ``params``).  ``render`` gets a :class:`FencedBlock` (body,
    per-info index from 1, page web/topic, the caller's ``fence_context``, an ``errors``
    list to append to) and returns HTML, which the wiki sanitises like everything else.
    """
    fences.register(info, render)


def install_demo(hub: Hub) -> list[str]:
    """Create the wiki demo topics that are missing (idempotent); returns ``Web.Topic`` names."""
    from hub.wiki.setup import create_demo

    return create_demo(hub)


def record_digest_sent(uow: Any, username: str, upto: int, count: int) -> None:
    """Inside the caller's unit of work (a ``hub.messagebus.UnitOfWork``): ``username``'s
    digest of ``count`` changes up to position ``upto`` went out.

    The mail feature queues the digest in its outbox in the same transaction, so a
    digest is recorded exactly when it is queued, never twice and never lost.
    """
    from hub.wiki.model import WikiSubscription

    uow.get(WikiSubscription, username, must_exist=False).digest_sent(upto, count)


class PageSearch(Protocol):
    """Answers ``%SEARCH%``: hits ``{web, topic, title, snippet}`` (plain-text snippet).

    ``access`` is the reader's ACL checker (``hub.wiki.queries.access_for``); every hit
    must be one the reader may view.
    """

    def __call__(self, hub: Hub, conn: sa.Connection, viewer: Actor, text: str, *,
                 web: str, limit: int, access: Access | None = None,
                 ) -> Sequence[Mapping[str, Any]]: ...


def register_page_search(hub: Hub, search: PageSearch) -> None:
    """Let ``%SEARCH%`` use ``search`` (the search feature registers its index here).

    Without one, ``%SEARCH%`` shows a notice instead of results.
    """
    hub.services[PAGE_SEARCH_SERVICE] = search
