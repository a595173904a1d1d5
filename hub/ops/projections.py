"""Read models of the alert streams: ``alerts`` (one row per episode) and ``backup_hosts``.

Both are derived from event data only (the sender's time stored in the event, never
the clock), so a rebuild from position 0 gives the same rows.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from hub.eventstore import StoredEvent
from hub.ops.tables import alerts, backup_hosts, nagios_host_aliases
from hub.projections import TableProjection

_LATEST = (
    sa.select(alerts.c.episode, alerts.c.count.label("n"), alerts.c.acknowledged,
              alerts.c.last_state, alerts.c.state_since, alerts.c.first_at)
    .where(alerts.c.problem_key == sa.bindparam("key"))
    .order_by(alerts.c.episode.desc()).limit(1)
)
_ROW = (alerts.c.problem_key == sa.bindparam("key")) & (alerts.c.episode == sa.bindparam("ep"))
_UPDATE = sa.update(alerts).where(_ROW)
_INSERT = sa.insert(alerts)
# Built once with every column a re-notification may change: statement building
# costs more than the update itself on the alert-storm path.
_RENOTIFY = _UPDATE.values(
    state=sa.bindparam("state"), last_at=sa.bindparam("last_at"),
    last_delivery=sa.bindparam("last_delivery"), count=sa.bindparam("n"),
    severity=sa.bindparam("severity"), ticket_id=sa.bindparam("ticket_id"),
    acknowledged=sa.bindparam("acknowledged"), last_state=sa.bindparam("last_state"),
    state_since=sa.bindparam("state_since"), output=sa.bindparam("output"))
_OBJECT = alerts.c.object_key == sa.bindparam("object_key")
_SOURCE_FLAPPING = sa.select(alerts.c.problem_key).where(
    _OBJECT, alerts.c.source_flapping.is_(True)).limit(1)
MAX_OUTPUT = 4000  # characters of plugin output kept for the alerts page
COUNTED = ("problem", "state_change")  # kinds that are a (re-)notification of a problem
STATEFUL = (*COUNTED, "recovery")  # kinds whose state word and output describe the object
FLAP_NOTICES = {"flapping_start": True, "flapping_stop": False}


def _when(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value)


def _object_type(signal: dict[str, Any]) -> str:
    kind = (signal.get("details") or {}).get("object_type")
    if isinstance(kind, str) and kind in ("host", "service"):
        return kind
    return "service" if signal.get("service") else "host"


def _state_word(signal: dict[str, Any]) -> str:
    return str(signal.get("state") or "")[:20]


def _output(signal: dict[str, Any]) -> str:
    return str(signal.get("output") or "")[:MAX_OUTPUT]


def _ack_author(signal: dict[str, Any]) -> str | None:
    """Who acknowledged, as the source names them (Nagios: NOTIFICATIONAUTHOR)."""
    author = str((signal.get("details") or {}).get("author") or "").strip()
    return author[:100] or None


class AlertsProjection(TableProjection):
    name = "ops_alerts"
    tables = (alerts,)
    prefixes = ("alert-",)

    def on_AlertReceived(self, conn: sa.Connection, e: StoredEvent) -> None:
        d = e.data
        signal = d["signal"]
        object_key = signal["object_key"][:300]
        if signal["kind"] in FLAP_NOTICES:
            # The source's own flapping detection (Nagios FLAPPINGSTART/STOP) marks the
            # object, whichever of its episodes the notice was filed under.
            conn.execute(sa.update(alerts).where(alerts.c.object_key == object_key)
                         .values(source_flapping=FLAP_NOTICES[signal["kind"]]))
        key = d.get("episode_key")
        if key is None:
            return
        at = _when(d["at"])
        counts = signal["kind"] in COUNTED
        latest = conn.execute(_LATEST, {"key": key}).first()
        if d["new_episode"] or latest is None:
            self._insert(conn, d, signal, key, at, latest.episode if latest else 0)
            return
        state_since = latest.state_since or latest.first_at
        if signal["kind"] in STATEFUL and _state_word(signal) != latest.last_state:
            state_since = at
        if counts and d["ticket_id"] is not None:
            conn.execute(_RENOTIFY, {
                "key": key, "ep": latest.episode, "state": d["episode_state"], "last_at": at,
                "last_delivery": signal["delivery_id"][:120], "n": latest.n + 1,
                "severity": signal["severity"], "ticket_id": d["ticket_id"],
                "acknowledged": latest.acknowledged, "last_state": _state_word(signal),
                "state_since": state_since, "output": _output(signal)})
            return
        values: dict[str, Any] = {"state": d["episode_state"], "last_at": at,
                                  "last_delivery": signal["delivery_id"][:120]}
        if counts:
            values.update(count=latest.n + 1, severity=signal["severity"])
        if signal["kind"] in STATEFUL:
            values.update(last_state=_state_word(signal), state_since=state_since,
                          output=_output(signal))
        if d["ticket_id"] is not None:
            values["ticket_id"] = d["ticket_id"]
        if signal["kind"] == "acknowledgement":
            values["acknowledged"] = True
            if (author := _ack_author(signal)) is not None:
                values["acknowledged_by"] = author
        conn.execute(_UPDATE.values(**values), {"key": key, "ep": latest.episode})

    @staticmethod
    def _insert(conn: sa.Connection, d: dict[str, Any], signal: dict[str, Any], key: str,
                at: dt.datetime, previous_episode: int) -> None:
        details = signal.get("details") or {}
        group = details.get("group_key") if signal["source"] == "alertmanager" else None
        object_key = signal["object_key"][:300]
        flapping_source = conn.execute(_SOURCE_FLAPPING,
                                       {"object_key": object_key}).first() is not None
        acknowledged = signal["kind"] == "acknowledgement"
        conn.execute(_INSERT, dict(
            problem_key=key, episode=previous_episode + 1, object_key=object_key,
            source=signal["source"], host=signal["host"][:255],
            service=(signal.get("service") or None), object_type=_object_type(signal),
            title=signal["title"][:500], ticket_id=d["ticket_id"],
            parent_ticket_id=d.get("parent_ticket_id"), group_key=group or None,
            state=d["episode_state"], severity=signal["severity"],
            count=1 if signal["kind"] in COUNTED else 0, first_at=at, last_at=at,
            last_delivery=signal["delivery_id"][:120], flapping=bool(d.get("flapping")),
            acknowledged=acknowledged, ack_sent=False, last_state=_state_word(signal),
            state_since=at, output=_output(signal),
            acknowledged_by=_ack_author(signal) if acknowledged else None,
            source_flapping=flapping_source))

    def on_AlertFlappingStarted(self, conn: sa.Connection, e: StoredEvent) -> None:
        conn.execute(sa.update(alerts).where(alerts.c.object_key == e.data["object_key"])
                     .values(flapping=True))

    def on_AlertFlappingStopped(self, conn: sa.Connection, e: StoredEvent) -> None:
        conn.execute(sa.update(alerts).where(alerts.c.object_key == e.data["object_key"])
                     .values(flapping=False))

    def on_AlertAckRequested(self, conn: sa.Connection, e: StoredEvent) -> None:
        """Someone acknowledged in the hub: shown as asked for until Nagios confirms."""
        conn.execute(_UPDATE.values(ack_requested_by=str(e.data["author"])[:100]),
                     {"key": e.data["problem_key"], "ep": e.data["episode"]})

    def on_AlertAckFailed(self, conn: sa.Connection, e: StoredEvent) -> None:
        """The tries gave up: the request is over (Acknowledge may be pressed again)."""
        if e.data["final"]:
            conn.execute(_UPDATE.values(ack_requested_by=None),
                         {"key": e.data["problem_key"], "ep": e.data["episode"]})

    def on_AlertAckSent(self, conn: sa.Connection, e: StoredEvent) -> None:
        """Nagios shows the hub's acknowledgement: it counts, in the requester's name."""
        conn.execute(_UPDATE.values(ack_sent=True, acknowledged_by=sa.func.coalesce(
            alerts.c.acknowledged_by, str(e.data["author"])[:100])),
            {"key": e.data["problem_key"], "ep": e.data["episode"]})


class BackupHostsProjection(TableProjection):
    """Last good and failed dump per host, from BackupPC's own reports."""

    name = "ops_backup_hosts"
    tables = (backup_hosts,)
    prefixes = ("alert-",)

    def on_AlertReceived(self, conn: sa.Connection, e: StoredEvent) -> None:
        signal = e.data["signal"]
        details = signal.get("details") or {}
        if signal["source"] != "backuppc" or details.get("stale"):
            return
        at = _when(e.data["at"])
        column = "last_good" if signal["kind"] == "recovery" else "last_failure"
        host = signal["host"][:255]
        values = {column: at, "last_type": str(details.get("type", ""))[:20]}
        exists = conn.execute(sa.select(backup_hosts.c.host)
                              .where(backup_hosts.c.host == host)).first()
        if exists is None:
            conn.execute(sa.insert(backup_hosts).values(host=host, **values))
        else:
            conn.execute(sa.update(backup_hosts).where(backup_hosts.c.host == host)
                         .values(**values))


class NagiosAliasesProjection(TableProjection):
    """``HOSTALIAS -> HOSTNAME`` as Nagios's JSON notifications state them.

    The stock service mail names only the alias; acknowledging needs the name.
    """

    name = "ops_nagios_aliases"
    tables = (nagios_host_aliases,)
    prefixes = ("alert-",)

    def on_AlertReceived(self, conn: sa.Connection, e: StoredEvent) -> None:
        signal = e.data["signal"]
        alias = str((signal.get("details") or {}).get("host_alias") or "")[:255]
        if signal["source"] != "nagios" or not alias or alias == signal["host"]:
            return
        host = signal["host"][:255]
        done = conn.execute(sa.update(nagios_host_aliases).where(
            nagios_host_aliases.c.alias == alias).values(host_name=host)).rowcount
        if not done:
            conn.execute(sa.insert(nagios_host_aliases).values(alias=alias, host_name=host))
