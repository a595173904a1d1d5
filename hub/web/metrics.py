"""Tickets opened and resolved, per queue and overall, kept in RRD files by a reactor.

A durable reactor (not a projection: RRD files are outside the SQL transaction
and keep no history to rebuild from) counts ``TicketCreated`` as *opened* and a
``TicketStatusChanged`` from an active to an inactive status as *resolved*. The
data sources are ABSOLUTE counters with a one-minute step: each update carries
the number of tickets since the previous one. RRD needs strictly increasing
times, so two events in one second are recorded a second apart, and quiet gaps
are filled with zeros so an hour without tickets draws as 0, not as unknown.
"""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

import rrdtool

from hub.eventstore import StoredEvent
from hub.ops.queries import MetricStore
from hub.tickets import queries as tq

if TYPE_CHECKING:
    from hub.bootstrap import Hub

STEP = 60
SOURCES = ("opened", "resolved")
MAX_FILL = 2 * 24 * 3600 // STEP  # zero points written at most, covering two days
PERIODS = {"day": 86400, "week": 7 * 86400, "month": 31 * 86400}
_lock = threading.Lock()


def metric_store(hub: Hub) -> MetricStore:
    return MetricStore(hub.settings.data_dir / "rrd")


def series_name(queue: str | None) -> str:
    """One RRD file per queue; ``_all`` cannot clash as queue names start with a letter."""
    return f"desk_tickets_{queue.lower()}" if queue else "desk_tickets__all"


def _epoch(at: dt.datetime) -> int:
    return int(at.replace(tzinfo=dt.UTC).timestamp()) if at.tzinfo is None else int(
        at.timestamp())


def count(store: MetricStore, name: str, source: str, at: dt.datetime) -> None:
    """Add one to ``source`` of series ``name`` at time ``at``."""
    with _lock:
        existed = store.file(name).exists()
        path = store.ensure(name, list(SOURCES), kind="ABSOLUTE", step=STEP, start=at)
        if not existed:
            # A zero just before the first count keeps that count inside one step.
            _push(path, _epoch(at) - 1, {}, bump=False)
        _push(path, _epoch(at), {source: 1})


def touch(store: MetricStore, name: str, now: dt.datetime) -> None:
    """Write zeros up to ``now`` so the graph's recent past is known to be quiet."""
    with _lock:
        path = store.file(name)
        if path.exists():
            _push(path, _epoch(now), {}, bump=False)


def _push(path: Path, when: int, values: dict[str, int], bump: bool = True) -> None:
    last = int(rrdtool.last(str(path)))
    if when <= last:
        if not bump:
            return
        when = last + 1
    points: list[str] = []
    filler = last + STEP
    while filler < when and len(points) < MAX_FILL:
        points.append(f"{filler}:0:0")
        filler += STEP
    if values or not bump:
        points.append(f"{when}:" + ":".join(str(values.get(s, 0)) for s in SOURCES))
    rrdtool.update(str(path), "--template", ":".join(SOURCES), *points)


class TicketRatesReactor:
    """Durable: runs in ``hub serve``'s reactor worker, retried on failure."""

    name = "desk-ticket-rates"
    #: RRD files live in each node's data dir: every node keeps its own graphs.
    cluster_wide = False
    event_types: ClassVar[frozenset[str]] = frozenset({"TicketCreated", "TicketStatusChanged"})

    def handles(self, event: StoredEvent) -> bool:
        return event.stream_id.startswith("ticket-") and event.type in self.event_types

    def react(self, hub: Hub, event: StoredEvent) -> None:
        store = metric_store(hub)
        if event.type == "TicketCreated":
            queue = str(event.data["queue"])
            source = "opened"
        else:
            found = _queue_and_inactive(hub, int(event.stream_id.split("-", 1)[1]))
            if found is None:
                return
            queue, inactive = found
            if event.data.get("new") not in inactive or event.data.get("old") in inactive:
                return
            source = "resolved"
        count(store, series_name(queue), source, event.at)
        count(store, series_name(None), source, event.at)


def _queue_and_inactive(hub: Hub, ticket_id: int) -> tuple[str, set[str]] | None:
    with hub.engine.connect() as conn:
        brief = tq.ticket_brief(conn, ticket_id)
        if brief is None:
            return None
        lifecycle = tq.lifecycle_of(conn, brief.queue)
    inactive = set(lifecycle.inactive or tq.DEFAULT_LIFECYCLE.inactive)
    return brief.queue, inactive


def touch_all(hub: Hub, now: dt.datetime | None = None) -> None:
    """Scheduler job: close the current steps of every desk series with zeros."""
    store = metric_store(hub)
    now = now or dt.datetime.now(dt.UTC)
    if not store.root.exists():
        return
    for path in store.root.glob("desk_tickets_*.rrd"):
        touch(store, path.stem, now)


def graph(hub: Hub, queue: str | None, period: str) -> bytes:
    """A PNG of opened and resolved tickets per hour (empty before the first ticket)."""
    with _lock:
        path = metric_store(hub).ensure(series_name(queue), list(SOURCES), kind="ABSOLUTE",
                                        step=STEP)
    seconds = PERIODS[period]
    ref = str(path).replace(":", "\\:")
    title = f"Tickets per hour, {queue or 'all queues'}, last {period}"
    with _lock:
        result = rrdtool.graphv(
            "-", "--imgformat", "PNG", "--start", f"-{seconds}", "--end", "now",
            "--title", title[:100], "--vertical-label", "tickets/hour", "--width", "640",
            "--height", "180", "--lower-limit", "0",
            f"DEF:o={ref}:opened:AVERAGE", f"DEF:r={ref}:resolved:AVERAGE",
            "CDEF:oh=o,3600,*", "CDEF:rh=r,3600,*",
            "LINE2:oh#1f5fa8:opened", "LINE2:rh#2e7d32:resolved")
    return bytes(result["image"])


def totals(hub: Hub, queue: str | None, period: str,
           end: dt.datetime | None = None) -> dict[str, float]:
    """Tickets opened and resolved over the period (for the text beside each graph).

    RRD consolidates a step once it is over, so the running minute is not counted yet.
    """
    path = metric_store(hub).file(series_name(queue))
    if not path.exists():
        return {s: 0.0 for s in SOURCES}
    with _lock:
        (_start, _end, step), names, rows = rrdtool.fetch(
            str(path), "AVERAGE", "--end", str(_epoch(end)) if end else "now",
            "--start", f"end-{PERIODS[period]}")
    out = {s: 0.0 for s in SOURCES}
    for row in rows:
        for name, value in zip(names, row, strict=True):
            if value is not None and name in out:
                out[name] += value * step
    return {k: round(v, 1) for k, v in out.items()}
