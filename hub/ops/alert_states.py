"""Replayed alerts kept per process, so a re-notification does not replay its stream.

An alert storm notifies the same problems again and again, and every notification
loaded its alert by replaying each event of the alert's stream (twenty and more,
each with the whole signal). This cache holds, per stream, the alert as of its last
*committed* event, named by version and global position: it is filled by replays
read inside a transaction and advanced only by the bus's post-commit reactions, so
it never holds the state of an attempt that rolled back. A load asks for the
stream's last (version, position) with one indexed query and hands out a copy when
both match; anything else (an event appended by another process, nothing cached)
replays as before. Copies are made under a lock, so no caller shares the cached one.
"""

from __future__ import annotations

import pickle
import threading
import weakref
from collections import OrderedDict

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from hub.db import events
from hub.eventstore import StoredEvent
from hub.messagebus import UnitOfWork
from hub.ops.model import Alert

MAX_ALERTS = 4096
_LAST = (sa.select(events.c.version, events.c.position)
         .where(events.c.stream_id == sa.bindparam("stream_id"))
         .order_by(events.c.version.desc()).limit(1))
Entry = tuple[int, int, Alert]  # version, position of that event, the alert


def _copy(alert: Alert) -> Alert:
    """A deep copy; a pickle round trip is twice as fast as ``copy.deepcopy`` here (the
    bytes never leave this function, so nothing untrusted is ever unpickled)."""
    copied: Alert = pickle.loads(pickle.dumps(alert, pickle.HIGHEST_PROTOCOL))  # noqa: S301
    return copied


class AlertStates:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._engines: weakref.WeakKeyDictionary[Engine, OrderedDict[str, Entry]] = (
            weakref.WeakKeyDictionary())

    def _cache(self, engine: Engine) -> OrderedDict[str, Entry]:
        cache = self._engines.get(engine)
        if cache is None:
            cache = self._engines[engine] = OrderedDict()
        return cache

    def load(self, uow: UnitOfWork, key: str) -> Alert:
        """The alert ``key`` as ``uow.get(Alert, key, must_exist=False)`` gives it."""
        stream_id = Alert.stream_id_for(key)
        held = uow.loaded(stream_id)
        if isinstance(held, Alert):
            return held
        last = uow.conn.execute(_LAST, {"stream_id": stream_id}).first()
        if last is not None:
            with self._lock:
                entry = self._cache(uow.engine).get(stream_id)
                if entry is not None and entry[:2] == (last.version, last.position):
                    alert = _copy(entry[2])
                    uow.add(alert)
                    return alert
        alert = uow.get(Alert, key, must_exist=False)
        if last is not None and alert.version == last.version:
            with self._lock:
                self._put(uow.engine, stream_id, (last.version, last.position,
                                                  _copy(alert)))
        return alert

    def _put(self, engine: Engine, stream_id: str, entry: Entry) -> None:
        cache = self._cache(engine)
        cache[stream_id] = entry
        cache.move_to_end(stream_id)
        while len(cache) > MAX_ALERTS:
            cache.popitem(last=False)

    def advance(self, engine: Engine, event: StoredEvent) -> None:
        """A committed event (the bus's reaction): move its alert's entry past it."""
        if not event.stream_id.startswith(f"{Alert.stream_prefix}-"):
            return
        with self._lock:
            cache = self._cache(engine)
            entry = cache.get(event.stream_id)
            if entry is None:
                return
            if entry[0] + 1 != event.version or entry[1] >= event.position:
                del cache[event.stream_id]  # another process moved it: replay next time
                return
            entry[2].replay([event])
            self._put(engine, event.stream_id, (event.version, event.position, entry[2]))
