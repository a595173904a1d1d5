"""Tickets opened and resolved, per queue and overall, kept in RRD files by a reactor.

A durable reactor (not a projection: RRD files are outside the SQL transaction
and keep no history to rebuild from) counts ``TicketCreated`` as *opened* and a
``TicketStatusChanged`` from an active to an inactive status as *resolved*. The
counting itself is ops' (:mod:`hub.ops.counts`, through ``hub.ops.queries``): every
count lands whole in its minute, and reads include the minute still running.

Each dashboard period has one resolution and says so on its axis: the last three
hours per minute, a day or a week per hour, a month per day. A burst of tickets in
one minute is that many per minute on the minute graph and that many per hour on
the hour graph, never a rate scaled to another unit.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from hub.eventstore import StoredEvent
from hub.ops import queries as oq
from hub.tickets import queries as tq

if TYPE_CHECKING:
    from hub.bootstrap import Hub

SOURCES = ("opened", "resolved")


@dataclass(frozen=True)
class Period:
    label: str  # as the page names it: "last 3 hours"
    span: int  # seconds
    per: str  # minute | hour | day


PERIODS = {
    "hours": Period("last 3 hours", 3 * 3600, "minute"),
    "day": Period("last day", 86400, "hour"),
    "week": Period("last week", 7 * 86400, "hour"),
    "month": Period("last month", 31 * 86400, "day"),
}


def metric_store(hub: Hub) -> oq.MetricStore:
    return oq.metric_store(hub)


def series_name(queue: str | None) -> str:
    """One RRD file per queue; ``_all`` cannot clash as queue names start with a letter."""
    return f"desk_tickets_{queue.lower()}" if queue else "desk_tickets__all"


class TicketRatesReactor:
    """Durable: runs in ``hub serve``'s reactor worker, retried on failure.

    Counts of one second are gathered and written on the worker's next tick.
    """

    name = "desk-ticket-rates"
    #: RRD files live in each node's data dir: every node keeps its own graphs.
    cluster_wide = False
    event_types: ClassVar[frozenset[str]] = frozenset({"TicketCreated", "TicketStatusChanged"})

    def __init__(self) -> None:
        self.buffer: oq.CountBuffer | None = None

    def handles(self, event: StoredEvent) -> bool:
        return event.stream_id.startswith("ticket-") and event.type in self.event_types

    def _buffer(self, hub: Hub) -> oq.CountBuffer:
        if self.buffer is None:
            self.buffer = oq.CountBuffer(metric_store(hub))
        return self.buffer

    def react(self, hub: Hub, event: StoredEvent) -> None:
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
        buffer = self._buffer(hub)
        buffer.add(series_name(queue), SOURCES, event.at, source)
        buffer.add(series_name(None), SOURCES, event.at, source)

    def tick(self, hub: Hub) -> None:
        """Write what the last events gathered (called on every step of the worker)."""
        self._buffer(hub).flush()


def _queue_and_inactive(hub: Hub, ticket_id: int) -> tuple[str, set[str]] | None:
    with hub.engine.connect() as conn:
        brief = tq.ticket_brief(conn, ticket_id)
        if brief is None:
            return None
        lifecycle = tq.lifecycle_of(conn, brief.queue)
    inactive = set(lifecycle.inactive or tq.DEFAULT_LIFECYCLE.inactive)
    return brief.queue, inactive


def graph_spec(queue: str | None, period: str) -> oq.CountGraph:
    chosen = PERIODS[period]
    title = f"Tickets opened and resolved per {chosen.per}, {queue or 'all queues'}, {chosen.label}"
    return oq.CountGraph(name=series_name(queue), sources=SOURCES, labels=SOURCES,
                         title=title, what="tickets", span=chosen.span, per=chosen.per)


def graph(hub: Hub, queue: str | None, period: str, now: dt.datetime | None = None) -> bytes:
    """A PNG of opened and resolved tickets at the period's resolution (axes only before
    the first ticket)."""
    stamp = None if now is None else int(now.timestamp())
    return oq.count_graph(metric_store(hub), graph_spec(queue, period), stamp)


def totals(hub: Hub, queue: str | None, period: str,
           end: dt.datetime | None = None) -> dict[str, int]:
    """Tickets opened and resolved over the period, the running minute included."""
    chosen = PERIODS[period]
    stamp = None if end is None else int(end.timestamp())
    rows = oq.count_series(metric_store(hub), series_name(queue), SOURCES, chosen.span,
                           oq.COUNT_STEPS[chosen.per], stamp)
    return oq.count_totals(rows, SOURCES)
