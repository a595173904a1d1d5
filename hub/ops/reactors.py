"""Durable reactions of the ops feature: acknowledge back to Nagios, metrics, hub rates.

They run after commit (``hub serve``'s ReactorWorker), so a missing Nagios FIFO or
a broken RRD file is retried later and never costs an alert its ticket.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import time
from typing import TYPE_CHECKING, Any, ClassVar

import sqlalchemy as sa

from hub.accounts.queries import user_by_name
from hub.actors import system_actor
from hub.eventstore import StoredEvent
from hub.ops.commands import RecordAlertAck
from hub.ops.metrics import MetricStore
from hub.ops.tables import alerts

if TYPE_CHECKING:
    from hub.bootstrap import Hub

log = logging.getLogger(__name__)
MACHINE_SOURCES = frozenset({"alert", "system", "scheduler", "runbook"})
STAFF_EVENTS = frozenset({"TicketOwnerChanged", "TicketCommented", "TicketCorresponded"})


def clean_field(value: str, limit: int = 200) -> str:
    """External-command fields end at ';' and lines at a newline: remove both."""
    text = value.replace(";", ",").replace("\r", " ").replace("\n", " ").replace("\0", "")
    return " ".join(text.split())[:limit]


def ack_line(host: str, service: str | None, author: str, comment: str, now: float) -> str:
    parts = [clean_field(host)]
    if service:
        parts.append(clean_field(service))
    kind = "ACKNOWLEDGE_SVC_PROBLEM" if service else "ACKNOWLEDGE_HOST_PROBLEM"
    fields = ";".join([*parts, "2", "1", "1", clean_field(author, 64), clean_field(comment)])
    return f"[{int(now)}] {kind};{fields}\n"


def write_command(path: str, line: str) -> None:
    """Nagios' command file is a FIFO: non-blocking, append, one short atomic write."""
    fd = os.open(path, os.O_WRONLY | os.O_NONBLOCK | os.O_APPEND)
    try:
        os.write(fd, line.encode("utf-8"))
    finally:
        os.close(fd)


_OPEN_NAGIOS = sa.select(alerts).where(
    alerts.c.ticket_id == sa.bindparam("tid"), alerts.c.source == "nagios",
    alerts.c.state == "open", alerts.c.ack_sent.is_(False), alerts.c.acknowledged.is_(False))


class AckBackReactor:
    """Staff taking or commenting on a Nagios alert ticket acknowledges the problem."""

    name = "ops-nagios-ack"
    event_types: ClassVar[frozenset[str]] = STAFF_EVENTS

    def __init__(self, command_file: str | None) -> None:
        self.command_file = command_file

    def handles(self, event: StoredEvent) -> bool:
        return (self.command_file is not None and event.type in self.event_types
                and event.stream_id.startswith("ticket-")
                and event.meta.get("source") not in MACHINE_SOURCES)

    def react(self, hub: Hub, event: StoredEvent) -> None:
        assert self.command_file is not None
        author = str(event.meta.get("actor", ""))
        if event.type == "TicketOwnerChanged":
            if not event.data.get("new"):
                return
            text = f"taken by {event.data['new']}"
        else:
            first = str(event.data.get("body", "")).strip().splitlines()[:1]
            text = f"comment: {first[0]}" if first else "commented"
        ticket_id = int(event.stream_id.split("-", 1)[1])
        with hub.engine.connect() as conn:
            user = user_by_name(conn, author)
            if user is None or user.role not in ("admin", "staff"):
                return
            rows = conn.execute(_OPEN_NAGIOS, {"tid": ticket_id}).all()
        for row in rows:
            line = ack_line(row.host, row.service if row.object_type == "service" else None,
                            author, f"OpsHub ticket #{ticket_id} {text}", time.time())
            write_command(self.command_file, line)
            hub.bus.handle(RecordAlertAck(row.object_key, row.problem_key, author, ticket_id),
                           system_actor("alert", "nagios"),
                           idempotency_key=f"alert-ack:{row.problem_key}:{row.episode}")
            log.info("acknowledged %s in Nagios for ticket %s", row.problem_key, ticket_id)


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
