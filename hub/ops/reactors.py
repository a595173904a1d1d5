"""Durable reactions of the ops feature: metrics and hub rates (acks: nagios_acks).

They run after commit (``hub serve``'s ReactorWorker), so a broken RRD file is
retried later and never costs an alert its ticket.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import TYPE_CHECKING, Any, ClassVar

from hub.eventstore import StoredEvent
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


class MetricsReactor:
    """Store each alert's values in the RRD of its host/service."""

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
        self.store.update(metric_name(signal["host"], signal.get("service")), values, at)


RATE_SOURCES = ("alerts", "tickets", "mails")
RATES_METRIC = "hub/rates"


class HubRatesReactor:
    """Alerts, tickets and mails per minute, by the events' own times."""

    name = "ops-hub-rates"
    #: RRD files live in each node's data dir: every node keeps its own graphs.
    cluster_wide = False
    event_types: ClassVar[frozenset[str]] = frozenset(
        {"AlertReceived", "TicketCreated", "TicketCorresponded"})

    def __init__(self, store: MetricStore) -> None:
        self.store = store
        self.minute: int | None = None
        self.counts = dict.fromkeys(RATE_SOURCES, 0)

    def handles(self, event: StoredEvent) -> bool:
        if event.type not in self.event_types:
            return False
        return event.type in ("AlertReceived", "TicketCreated") or (
            event.type == "TicketCorresponded" and event.meta.get("source") == "email")

    def react(self, hub: Hub, event: StoredEvent) -> None:
        minute = int(event.at.replace(tzinfo=dt.UTC).timestamp()) // 60
        if self.minute is not None and minute > self.minute:
            self.flush(until=minute)
        if self.minute is None or minute > self.minute:
            self.minute = minute
        kind = {"AlertReceived": "alerts", "TicketCreated": "tickets"}.get(event.type, "mails")
        self.counts[kind] += 1

    def flush(self, until: int | None = None) -> None:
        """Write the finished minute, and zeros for quiet minutes up to ``until``."""
        if self.minute is None:
            return
        end = dt.datetime.fromtimestamp((self.minute + 1) * 60, dt.UTC)
        self.store.update(RATES_METRIC, {k: float(v) for k, v in self.counts.items()}, end)
        if until is not None and until > self.minute + 1:
            quiet = dt.datetime.fromtimestamp(until * 60, dt.UTC)
            self.store.update(RATES_METRIC, dict.fromkeys(RATE_SOURCES, 0.0), quiet)
        self.counts = dict.fromkeys(RATE_SOURCES, 0)
        self.minute = None
