"""Acknowledgements back to Nagios: requested in the hub, confirmed in Nagios's status.

Why a queue and not a plain reaction: the FIFO write is fire-and-forget. Nagios
rejects an alias as host name ("External command failed" in its log, nothing to the
writer), and while Nagios is down nobody reads the FIFO. A reactor that retries the
same event five times in three seconds and then parks it loses the acknowledgement.
So the reactor only turns :class:`AlertAckRequested` into a row of ``nagios_acks``;
:meth:`AckBackReactor.tick` writes the command under the Nagios host name, waits
for ``status.dat`` to show ``problem_has_been_acknowledged=1`` and only then records
:class:`AlertAckSent`; otherwise it retries with backoff (30 s doubling to 30 min,
for 12 h by default) and says on the ticket when it could not be done.
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
from hub.db import WRITE
from hub.domain import DomainError
from hub.eventstore import StoredEvent, utcnow
from hub.ops.alerts.routing import route
from hub.ops.alerts.signal import AlertSignal
from hub.ops.commands import AcknowledgeAlert, RecordAlertAck, RecordAlertAckFailed
from hub.ops.config import OpsConfig
from hub.ops.model import Alert
from hub.ops.tables import alerts, nagios_acks, nagios_host_aliases
from hub.reactors import Write

if TYPE_CHECKING:
    from hub.bootstrap import Hub

log = logging.getLogger(__name__)
MACHINE_SOURCES = frozenset({"alert", "system", "scheduler", "runbook"})
STAFF_EVENTS = frozenset({"TicketOwnerChanged", "TicketCommented", "TicketCorresponded"})
ACTOR = system_actor("alert", "nagios")


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
_PK = (nagios_acks.c.problem_key == sa.bindparam("key")) & (
    nagios_acks.c.episode == sa.bindparam("ep"))


class AckBackReactor:
    """Staff acknowledging an alert (explicitly, or by a take or comment the route
    counts as one) gets the problem acknowledged in Nagios, verified."""

    name = "ops-nagios-ack"
    event_types: ClassVar[frozenset[str]] = STAFF_EVENTS | {"AlertAckRequested"}

    def __init__(self, command_file: str | None, config: OpsConfig | None = None) -> None:
        self.command_file = command_file
        self.config = config or OpsConfig(command_file=command_file)
        self.policy = self.config.nagios
        self._next_tick = 0.0

    def handles(self, event: StoredEvent) -> bool:
        if self.command_file is None or event.type not in self.event_types:
            return False
        if event.type == "AlertAckRequested":
            return True
        return (event.stream_id.startswith("ticket-")
                and event.meta.get("source") not in MACHINE_SOURCES)

    def react(self, hub: Hub, event: StoredEvent) -> Write | None:
        if event.type == "AlertAckRequested":
            return lambda conn: self._enqueue(conn, event.data)
        author = str(event.meta.get("actor", ""))
        if event.type == "TicketOwnerChanged":
            if not event.data.get("new"):
                return None
            reason, text = "take", f"taken by {event.data['new']}"
        else:
            first = str(event.data.get("body", "")).strip().splitlines()[:1]
            reason, text = "comment", (f"comment: {first[0]}" if first else "commented")
        ticket_id = int(event.stream_id.split("-", 1)[1])
        with hub.engine.connect() as conn:
            user = user_by_name(conn, author)
            if user is None or user.role not in ("admin", "staff"):
                return None
            rows = conn.execute(_OPEN_NAGIOS, {"tid": ticket_id}).all()
            keys = tuple(r.problem_key for r in rows if self._route_acks(hub, conn, r, reason))
        if not keys:
            return None
        try:
            hub.bus.handle(AcknowledgeAlert(ticket_id, text, reason, author, keys), ACTOR,
                           idempotency_key=f"alert-ack-request:{event.position}")
        except DomainError as exc:  # resolved or gone meanwhile: nothing to acknowledge
            log.info("no acknowledgement for ticket %s: %s", ticket_id, exc.message)
        return None

    def _route_acks(self, hub: Hub, conn: sa.Connection, row: Any, reason: str) -> bool:
        """The alert's route says whether a take (default yes) or comment (no) acks."""
        stream = hub.store.read_stream(conn, Alert.stream_id_for(row.object_key))
        signal = next((AlertSignal.from_dict(e.data["signal"]) for e in reversed(stream)
                       if e.type == "AlertReceived" and e.data.get("episode_key")
                       == row.problem_key), None)
        if signal is None:
            return reason == "take"
        chosen = route(signal, self.config.rules, self.config.default_queue)
        return chosen.ack_on_take if reason == "take" else chosen.ack_on_comment

    @staticmethod
    def _enqueue(conn: sa.Connection, d: dict[str, Any]) -> None:
        """Queue the acknowledgement, in the transaction that passes its request event."""
        reason, comment = d["reason"], d["comment"].strip()
        if reason == "acknowledge":
            comment = f"acknowledged by {d['author']}" + (f": {comment}" if comment else "")
        now = utcnow()
        row = conn.execute(sa.select(alerts).where(
            alerts.c.problem_key == d["problem_key"],
            alerts.c.episode == d["episode"])).first()
        if row is None:
            return
        known = conn.execute(sa.select(nagios_acks.c.state).where(_PK),
                             {"key": d["problem_key"], "ep": d["episode"]}).scalar()
        values = dict(object_key=d["object_key"], ticket_id=d["ticket_id"], host=row.host,
                      service=row.service if row.object_type == "service" else None,
                      author=d["author"][:100],
                      comment=f"OpsHub ticket #{d['ticket_id']} {comment}"[:500],
                      state="pending", attempts=0, error="", nagios_host=None,
                      created_at=now, next_at=now, written_at=None, reported=False)
        if known is None:
            conn.execute(sa.insert(nagios_acks).values(
                problem_key=d["problem_key"], episode=d["episode"], **values))
        elif known in ("failed", "dropped"):
            conn.execute(sa.update(nagios_acks).where(_PK).values(**values),
                         {"key": d["problem_key"], "ep": d["episode"]})

    # -- the queue ---------------------------------------------------------------
    def tick(self, hub: Hub, now: dt.datetime | None = None) -> int:
        """Move due acknowledgements on; returns how many rows were handled."""
        if self.command_file is None or (now is None and time.monotonic() < self._next_tick):
            return 0
        self._next_tick = time.monotonic() + 0.5
        now = now or utcnow()
        with hub.engine.connect() as conn:
            rows = conn.execute(sa.select(nagios_acks).where(
                nagios_acks.c.state.in_(("pending", "written")), nagios_acks.c.next_at <= now)
                .order_by(nagios_acks.c.next_at).limit(50)).all()
        done = 0
        for row in rows:
            if self._claim(hub, row, now):
                self._step(hub, row, now)
                done += 1
        return done

    @staticmethod
    def _update(hub: Hub, row: Any, **values: Any) -> int:
        with hub.engine.connect().execution_options(**WRITE) as conn, conn.begin():
            return int(conn.execute(sa.update(nagios_acks).where(_PK).values(**values),
                                    {"key": row.problem_key, "ep": row.episode}).rowcount)

    @staticmethod
    def _claim(hub: Hub, row: Any, now: dt.datetime) -> bool:
        """One node moves a row on: the update only matches the row as it was read."""
        with hub.engine.connect().execution_options(**WRITE) as conn, conn.begin():
            return bool(conn.execute(sa.update(nagios_acks).where(
                _PK, nagios_acks.c.state == row.state, nagios_acks.c.next_at == row.next_at)
                .values(next_at=now + dt.timedelta(seconds=60)),
                {"key": row.problem_key, "ep": row.episode}).rowcount)

    def _step(self, hub: Hub, row: Any, now: dt.datetime) -> None:
        with hub.engine.connect() as conn:
            episode = conn.execute(sa.select(alerts).where(
                alerts.c.problem_key == row.problem_key, alerts.c.episode == row.episode)).first()
            seen: dict[str, str] = {str(a): str(h) for a, h in conn.execute(
                sa.select(nagios_host_aliases.c.alias, nagios_host_aliases.c.host_name))}
        if episode is None or episode.state == "resolved":
            self._update(hub, row, state="dropped", error="the problem ended first")
            return
        if row.state == "written":
            self._check(hub, row, now)
            return
        if episode.ack_sent or episode.acknowledged:  # done in Nagios by someone else
            self._update(hub, row, state="confirmed")
            return
        files = self.policy.files
        host = files.resolve_host(row.host, seen)
        if files.knows_host(host) is False:
            self._failed(hub, row, now, f"Nagios defines no host {host!r} (nor such an alias); "
                         "map it in [nagios] host_aliases", written=False)
            return
        line = ack_line(host, row.service, row.author, row.comment, time.time())
        assert self.command_file is not None
        try:
            write_command(self.command_file, line)
        except OSError as exc:
            self._failed(hub, row, now, f"cannot write {self.command_file}: {exc.strerror or exc}"
                         " (is Nagios running?)", written=False)
            return
        log.info("wrote %s", line.strip())
        self._update(hub, row, state="written", attempts=row.attempts + 1, nagios_host=host,
                     written_at=now, next_at=now + dt.timedelta(seconds=1))

    def _check(self, hub: Hub, row: Any, now: dt.datetime) -> None:
        try:
            acked = self.policy.files.acknowledged(row.nagios_host, row.service)
        except OSError as exc:
            self._failed(hub, row, now, f"cannot read the status file: {exc}", written=True,
                         counted=True)
            return
        if acked:
            hub.bus.handle(RecordAlertAck(row.object_key, row.problem_key, row.author,
                                          row.ticket_id), ACTOR,
                           idempotency_key=f"alert-ack:{row.problem_key}:{row.episode}")
            self._update(hub, row, state="confirmed", error="")
            log.info("Nagios confirms the acknowledgement of %s", row.problem_key)
        elif acked is None:
            self._update(hub, row, state="failed", error="no [nagios] status_file to confirm")
            self._report(hub, row, 0, "written to Nagios's command file, but no [nagios] "
                         "status_file is configured to confirm it", written=True, final=True)
        elif now < row.written_at + dt.timedelta(seconds=self.policy.confirm_seconds):
            self._update(hub, row, next_at=now + dt.timedelta(seconds=1))
        else:
            self._failed(hub, row, now, f"Nagios's status shows no acknowledgement of "
                         f"{row.nagios_host}{'/' + row.service if row.service else ''} "
                         f"{self.policy.confirm_seconds:g} s after writing it (Nagios "
                         "rejected it? its log says 'External command failed')",
                         written=True, counted=True)

    def _failed(self, hub: Hub, row: Any, now: dt.datetime, error: str, *, written: bool,
                counted: bool = False) -> None:
        attempts = row.attempts if counted else row.attempts + 1
        delay = dt.timedelta(seconds=self.policy.delay(attempts))
        final = now + delay > row.created_at + dt.timedelta(hours=self.policy.give_up_hours)
        self._update(hub, row, state="failed" if final else "pending", attempts=attempts,
                     error=error[:4000], next_at=now + delay, reported=True)
        log.warning("Nagios acknowledgement of %s: %s (attempt %d)", row.problem_key, error,
                    attempts)
        if final or not row.reported:
            self._report(hub, row, attempts, error, written=written, final=final)

    @staticmethod
    def _report(hub: Hub, row: Any, attempts: int, error: str, *, written: bool,
                final: bool) -> None:
        hub.bus.handle(RecordAlertAckFailed(row.object_key, row.problem_key, row.author,
                                            row.ticket_id, attempts, error, written, final),
                       ACTOR, idempotency_key=f"alert-ack-failed:{row.problem_key}:"
                       f"{row.episode}:{row.created_at.isoformat()}:{int(final)}")
