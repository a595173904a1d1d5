"""The search index as a tracked, rebuildable projection outside the SQL transaction.

One writer (an ``fcntl`` lock in the index directory, so a CLI process and
``hub serve`` never write at once), batches of events per commit, documents written by
unique key with ``update_document``, and this node's position recorded after each
commit (``hub.search.tracking``: row ``search:<node>`` and a file in the index).  A
crash between commit and position write replays a batch, which changes nothing
(ticket documents remember their last event position).

The index is node-local: every node keeps its own, at its own position.
``SearchIndexer`` sits among the hub's reactors only for their clock: it reacts to no
event through the reactors' shared position (one node's reactor moving that position
past an event would hide it from every other node's index), but on each step of the
worker it indexes the next batch after its *own* position (0 for a new index), so a
new node or a deleted index catches up by itself, a batch at a time.
"""

from __future__ import annotations

import fcntl
import json
import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from hub.eventstore import StoredEvent
from hub.search import documents as docs
from hub.search import tracking
from hub.search.index import SearchIndex, index_of
from hub.tickets.queries import internal_fields

if TYPE_CHECKING:
    from hub.bootstrap import Hub

log = logging.getLogger(__name__)
BATCH = 5000
PREFIXES = ("ticket-", "page-")


class IndexBusyError(RuntimeError):
    """Another process holds the index writer lock."""


class _WriterLock:
    def __init__(self, index: SearchIndex, wait: bool) -> None:
        self.index = index
        self.wait = wait

    def __enter__(self) -> _WriterLock:
        self.index.path.mkdir(parents=True, exist_ok=True)
        self.handle = open(self.index.path / "writer.lock", "a+")
        try:
            fcntl.flock(self.handle, fcntl.LOCK_EX | (0 if self.wait else fcntl.LOCK_NB))
        except BlockingIOError as exc:
            self.handle.close()
            raise IndexBusyError("the search index is being written by another process") \
                from exc
        return self

    def __exit__(self, *exc: object) -> None:
        fcntl.flock(self.handle, fcntl.LOCK_UN)
        self.handle.close()


def _internal_fields(conn: sa.Connection, queues: set[str]) -> dict[str, frozenset[str]]:
    """Internal custom fields per queue (lower-cased key), from the tickets' queries."""
    return {q.lower(): internal_fields(conn, q) for q in sorted(queues)}


def _apply_batch(hub: Hub, index: SearchIndex, events: list[StoredEvent],
                 fresh: set[str] | None = None) -> int:
    """Index one batch in one commit.

    ``fresh`` (during a rebuild into an empty index) holds the keys written so far:
    a key not in it cannot exist yet, so it is added without the delete-by-key lookup.
    """
    ix = index.ix()
    tickets: dict[str, dict[str, Any] | None] = {}
    pages: set[tuple[str, str]] = set()
    with ix.searcher() as searcher:
        for event in events:
            if event.stream_id.startswith("ticket-"):
                key = docs.ticket_key(event.stream_id.split("-", 1)[1])
                if key not in tickets:
                    stored = searcher.document(key=key)
                    tickets[key] = _loaded(stored) if stored else None
                tickets[key] = docs.fold_ticket(tickets[key], event)
            elif event.stream_id.startswith("page-"):
                pages.update(docs.page_keys_of(event))
    if not tickets and not pages:
        return 0
    writer = ix.writer(limitmb=256)
    try:
        with hub.engine.connect() as conn:
            internal = _internal_fields(conn, {str(d["queue"]) for d in tickets.values()
                                               if d is not None})
            for key, doc in tickets.items():
                if doc is None:
                    writer.delete_by_term("key", key)
                else:
                    hidden = internal.get(str(doc["queue"]).lower(), frozenset())
                    _write(writer, _dumped(docs.ticket_fields_for_index(doc, hidden)), fresh)
            for web, topic in sorted(pages):
                page = docs.page_doc(conn, web, topic)
                if page is None:
                    writer.delete_by_term("key", docs.page_key(web, topic))
                else:
                    _write(writer, _dumped(page), fresh)
    except BaseException:
        writer.cancel()
        raise
    writer.commit()
    return len(tickets) + len(pages)


def _write(writer: Any, doc: dict[str, Any], fresh: set[str] | None) -> None:
    if fresh is not None and doc["key"] not in fresh:
        fresh.add(doc["key"])
        writer.add_document(**doc)
    else:
        writer.update_document(**doc)


def _dumped(doc: dict[str, Any]) -> dict[str, Any]:
    """The stored document plus the combined search fields (title counted twice)."""
    public = "\n".join(str(doc.get(k) or "") for k in ("title", "title", "body", "fields",
                                                       "attachments"))
    staff = "\n".join([public, str(doc.get("private") or ""), str(doc.get("ifields") or "")])
    out = {**doc, "state": json.dumps(doc["state"]), "content": public, "content_staff": staff}
    out.pop("ifields", None)  # internal field values live only in content_staff
    return out


def _loaded(stored: dict[str, Any]) -> dict[str, Any]:
    doc = dict(stored)
    doc["state"] = json.loads(doc["state"])
    return doc


def catch_up(hub: Hub, *, batch: int = BATCH, wait: bool = False,
             progress: Callable[[int], object] | None = None,
             max_batches: int | None = None) -> int:
    """Index every event after the index's position; returns documents written.

    Without ``wait`` a busy index (another process writing) is left to that process.
    ``max_batches`` stops early (the reactor worker's step must not block the other
    reactors for a whole catch-up); the next call goes on from there.
    """
    index = index_of(hub)
    try:
        with _WriterLock(index, wait):
            return _catch_up_locked(hub, index, batch, progress, None, max_batches)
    except IndexBusyError:
        if wait:
            raise
        return 0


def _catch_up_locked(hub: Hub, index: SearchIndex, batch: int,
                     progress: Callable[[int], object] | None, fresh: set[str] | None,
                     max_batches: int | None = None) -> int:
    position = tracking.position(hub, index)
    written = 0
    batches = 0
    while max_batches is None or batches < max_batches:
        batches += 1
        with hub.engine.connect() as conn:
            events = hub.store.read_all(conn, position, batch)
        if not events:
            return written
        relevant = [e for e in events if e.stream_id.startswith(PREFIXES)]
        written += _apply_batch(hub, index, relevant, fresh)
        position = events[-1].position
        tracking.save(hub, index, position)
        if progress is not None:
            progress(len(events))
    return written


def rebuild(hub: Hub, progress: Callable[[int], object] | None = None) -> int:
    """Empty the index and replay the whole store into it (``hub projections rebuild``)."""
    index = index_of(hub)
    with _WriterLock(index, wait=True):
        index.reset()
        tracking.save(hub, index, 0)
        return _catch_up_locked(hub, index, BATCH, progress, set())


class SearchIndexer:
    """A node-local reactor: the worker's clock drives this node's own catch-up."""

    name = "search-index"
    #: Runs on every node, never elected as the cluster's one consumer.
    cluster_wide = False
    #: Batches (of ``BATCH`` events) per worker step while a new node catches up.
    batches_per_step = 1

    def __init__(self) -> None:
        self._retry_at = 0.0
        self._delay = 0.0

    def handles(self, event: StoredEvent) -> bool:
        return False  # nothing through the reactors' position: see tick()

    def react(self, hub: Hub, event: StoredEvent) -> None:
        """Never called (``handles`` is False); the protocol asks for it."""

    def tick(self, hub: Hub) -> None:
        """Index the next batch after this node's position; back off while failing."""
        now = time.monotonic()
        if now < self._retry_at:
            return
        try:
            catch_up(hub, max_batches=self.batches_per_step)
        except Exception:
            self._delay = min(max(self._delay * 2, 1.0), 30.0)
            self._retry_at = now + self._delay
            log.exception("search index: catching up failed; next try in %.0f s",
                          self._delay)
            return
        self._delay, self._retry_at = 0.0, 0.0
