"""Durable reactions of the ops feature: metrics and hub counts (acks: nagios_acks).

They run after commit (``hub serve``'s ReactorWorker), so a broken RRD file is
retried later and never costs an alert its ticket.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import TYPE_CHECKING, Any, ClassVar

from hub.eventstore import StoredEvent
from hub.ops.alerts.perfdata import parse_perfdata_items
from hub.ops.counts import CountBuffer
from hub.ops.metrics import MetricStore
from hub.ops.nagios_acks import AckBackReactor, ack_line, clean_field, write_command

if TYPE_CHECKING:
    from hub.bootstrap import Hub

log = logging.getLogger(__name__)
__all__ = ["AckBackReactor", "HubRatesReactor", "MetricsReactor", "ack_line", "clean_field",
           "write_command"]


def metric_name(host: str, service: str | None) -> str:
    return f"{host}/{service or 'host'}"


def _numeric(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if number == number and abs(number) != float("inf") else None


def signal_values(signal: dict[str, Any]) -> dict[str, float]:
    """Nagios perfdata, or an Alertmanager annotation/label ``value`` if numeric."""
    values = {str(k): float(v) for k, v in (signal.get("perfdata") or {}).items()}
    if not values and signal.get("source") == "alertmanager":
        annotations = (signal.get("details") or {}).get("annotations") or {}
        number = _numeric(annotations.get("value"))
        if number is not None:
            values["value"] = number
    return values


def signal_units(signal: dict[str, Any]) -> dict[str, str]:
    """The perfdata units of the signal's values (``{"time": "s", "size": "B"}``), read
    from the raw macro the signal keeps (its parsed perfdata holds numbers only)."""
    macros = (signal.get("details") or {}).get("macros") or {}
    text = macros.get("SERVICEPERFDATA" if signal.get("service") else "HOSTPERFDATA")
    values = signal.get("perfdata") or {}
    return {label: item.uom for label, item in parse_perfdata_items(text).items()
            if label in values}


class MetricsReactor:
    """Store each alert's values in the RRD of its host/service, with their units."""

    name = "ops-alert-metrics"
    #: RRD files live in each node's data dir: every node keeps its own graphs.
    cluster_wide = False
    event_types: ClassVar[frozenset[str]] = frozenset({"AlertReceived"})

    def __init__(self, store: MetricStore) -> None:
        self.store = store

    def handles(self, event: StoredEvent) -> bool:
        return event.type in self.event_types

    def react(self, hub: Hub, event: StoredEvent) -> None:
        signal = event.data["signal"]
        values = signal_values(signal)
        if not values:
            return
        at = dt.datetime.fromisoformat(event.data["at"]).replace(tzinfo=dt.UTC)
        name = metric_name(signal["host"], signal.get("service"))
        self.store.update(name, values, at)
        self.store.record_units(name, signal_units(signal))


RATE_SOURCES = ("alerts", "tickets", "mails")
#: The hub's own counts (ABSOLUTE, :mod:`hub.ops.counts`); ``hub/rates`` held per-minute
#: gauges before and is left as it was.
RATES_METRIC = "hub/counts"


class HubRatesReactor:
    """Alerts, tickets and mails counted at the events' own times, whole per minute.

    Counts of one second are gathered and written on the worker's next tick, so a
    graph drawn a moment after an event shows it.
    """

    name = "ops-hub-rates"
    #: RRD files live in each node's data dir: every node keeps its own graphs.
    cluster_wide = False
    event_types: ClassVar[frozenset[str]] = frozenset(
        {"AlertReceived", "TicketCreated", "TicketCorresponded"})
    kinds: ClassVar[dict[str, str]] = {"AlertReceived": "alerts", "TicketCreated": "tickets",
                                       "TicketCorresponded": "mails"}

    def __init__(self, store: MetricStore) -> None:
        self.buffer = CountBuffer(store)

    def handles(self, event: StoredEvent) -> bool:
        if event.type not in self.event_types:
            return False
        return event.type in ("AlertReceived", "TicketCreated") or (
            event.type == "TicketCorresponded" and event.meta.get("source") == "email")

    def react(self, hub: Hub, event: StoredEvent) -> None:
        self.buffer.add(RATES_METRIC, RATE_SOURCES, event.at, self.kinds[event.type])

    def tick(self, hub: Hub) -> None:
        """Write what the last events gathered (called on every step of the worker)."""
        self.buffer.flush()
