"""The Whoosh index under ``data_dir/index``: schema, opening, searchers, position file.

One index holds tickets and topics.  Documents are keyed by ``key`` (``ticket:42``,
``page:Web.Topic``) and written with ``update_document`` so replays are idempotent.
Readers share the index object and keep one searcher per thread, refreshed per query
(cheap when nothing changed) instead of reopening the index.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
from pathlib import Path
from typing import Any

from whoosh import index as windex
from whoosh.analysis import StandardAnalyzer
from whoosh.fields import ID, KEYWORD, STORED, TEXT, Schema

STAFF_ONLY = frozenset({"private", "ifields", "readers", "tviewers", "content_staff"})
#: Unfielded words search one combined field (one posting list per word, not six):
#: ``content`` for customers, ``content_staff`` (plus comments, internal fields) for staff.
DEFAULT_FIELD = "content"
STAFF_DEFAULT_FIELD = "content_staff"


def _kw() -> KEYWORD:
    return KEYWORD(stored=True, lowercase=True, commas=True, scorable=False)


def make_schema() -> Schema:
    analyzer = StandardAnalyzer(minsize=1)
    return Schema(
        key=ID(unique=True, stored=True),
        kind=ID(stored=True),
        ref=STORED(),
        title=TEXT(stored=True, analyzer=analyzer, field_boost=2.0),
        body=STORED(),  # searched through content/content_staff, kept for snippets
        private=STORED(),  # staff comments: searched only through content_staff
        fields=TEXT(stored=True, analyzer=analyzer),
        attachments=TEXT(stored=True, analyzer=analyzer),
        content=TEXT(analyzer=analyzer),
        content_staff=TEXT(analyzer=analyzer),
        queue=_kw(), status=_kw(), owner=_kw(), web=_kw(), topic=_kw(), author=_kw(),
        readers=_kw(), tviewers=_kw(),
        state=STORED(),  # JSON-able extra state (ticket watchers/fields, page acl, position)
    )


class SearchIndex:
    """Owns the on-disk index of one hub; safe to share between threads for reading."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._ix: Any = None
        self._lock = threading.Lock()
        self._local = threading.local()

    @property
    def position_file(self) -> Path:
        return self.path / "position"

    def ix(self) -> Any:
        with self._lock:
            if self._ix is None:
                self.path.mkdir(parents=True, exist_ok=True)
                schema = make_schema()
                if windex.exists_in(str(self.path)):
                    self._ix = windex.open_dir(str(self.path))
                    if set(self._ix.schema.names()) != set(schema.names()):
                        # An index from an older release: start afresh from position 0.
                        self._ix = windex.create_in(str(self.path), schema)
                        self.position_file.unlink(missing_ok=True)
                else:
                    self._ix = windex.create_in(str(self.path), schema)
            return self._ix

    def reset(self) -> None:
        """Start an empty index (for a rebuild); the caller holds the writer lock."""
        with self._lock:
            self.path.mkdir(parents=True, exist_ok=True)
            for child in self.path.iterdir():
                if child.name in ("writer.lock",):
                    continue
                if child.is_dir():
                    shutil.rmtree(child)
                else:
                    child.unlink()
            self._ix = windex.create_in(str(self.path), make_schema())
            self._local = threading.local()

    def searcher(self) -> Any:
        """This thread's searcher, refreshed to the newest commit."""
        ix: Any = self.ix()
        current = getattr(self._local, "searcher", None)
        same_index = getattr(self._local, "ix", None) is ix
        if current is None or not same_index:
            current = ix.searcher()
            self._local.ix = ix
        else:
            # No close() of the old one: the fresh searcher reuses its segment readers.
            try:
                current = current.refresh()
            except TypeError:  # Whoosh cannot refresh from an empty index's reader
                current = ix.searcher()
        self._local.searcher = current
        return current

    def position(self) -> int:
        try:
            return int(self.position_file.read_text().strip() or 0)
        except (FileNotFoundError, ValueError):
            return 0

    def save_position(self, position: int) -> None:
        fd, tmp = tempfile.mkstemp(dir=self.path, prefix=".pos-")
        with os.fdopen(fd, "w") as fh:
            fh.write(str(position))
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, self.position_file)


def index_of(hub: Any) -> SearchIndex:
    """The hub's index object (one per hub, created on first use)."""
    services: dict[str, Any] = hub.services
    if "search_index" not in services:
        services["search_index"] = SearchIndex(Path(hub.settings.data_dir) / "index")
    return services["search_index"]  # type: ignore[no-any-return]
