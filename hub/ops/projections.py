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
    sa.select(alerts.c.episode, alerts.c.count.label("n"), alerts.c.acknowledged)
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
    acknowledged=sa.bindparam("acknowledged"))


def _when(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value)


def _object_type(signal: dict[str, Any]) -> str:
    kind = (signal.get("details") or {}).get("object_type")
    if isinstance(kind, str) and kind in ("host", "service"):
        return kind
    return "service" if signal.get("service") else "host"


class AlertsProjection(TableProjection):
    name = "ops_alerts"
    tables = (alerts,)
    prefixes = ("alert-",)

    def on_AlertReceived(self, conn: sa.Connection, e: StoredEvent) -> None:
        d = e.data
        key = d.get("episode_key")
        if key is None:
            return
        signal = d["signal"]
        at = _when(d["at"])
        counts = signal["kind"] in ("problem", "state_change")
        latest = conn.execute(_LATEST, {"key": key}).first()
        if d["new_episode"] or latest is None:
            details = signal.get("details") or {}
            group = details.get("group_key") if signal["source"] == "alertmanager" else None
            conn.execute(_INSERT, dict(
                problem_key=key, episode=(latest.episode + 1) if latest else 1,
                object_key=signal["object_key"][:300], source=signal["source"],
                host=signal["host"][:255], service=(signal.get("service") or None),
                object_type=_object_type(signal), title=signal["title"][:500],
                ticket_id=d["ticket_id"], parent_ticket_id=d.get("parent_ticket_id"),
                group_key=group or None, state=d["episode_state"], severity=signal["severity"],
                count=1 if counts else 0, first_at=at, last_at=at,
                last_delivery=signal["delivery_id"][:120], flapping=bool(d.get("flapping")),
                acknowledged=signal["kind"] == "acknowledgement", ack_sent=False))
            return
        if counts and d["ticket_id"] is not None:
            conn.execute(_RENOTIFY, {
                "key": key, "ep": latest.episode, "state": d["episode_state"], "last_at": at,
                "last_delivery": signal["delivery_id"][:120], "n": latest.n + 1,
                "severity": signal["severity"], "ticket_id": d["ticket_id"],
                "acknowledged": latest.acknowledged})
            return
        values: dict[str, Any] = {"state": d["episode_state"], "last_at": at,
                                  "last_delivery": signal["delivery_id"][:120]}
        if counts:
            values.update(count=latest.n + 1, severity=signal["severity"])
        if d["ticket_id"] is not None:
            values["ticket_id"] = d["ticket_id"]
        if signal["kind"] == "acknowledgement":
            values["acknowledged"] = True
        conn.execute(_UPDATE.values(**values), {"key": key, "ep": latest.episode})

    def on_AlertFlappingStarted(self, conn: sa.Connection, e: StoredEvent) -> None:
        conn.execute(sa.update(alerts).where(alerts.c.object_key == e.data["object_key"])
                     .values(flapping=True))

    def on_AlertFlappingStopped(self, conn: sa.Connection, e: StoredEvent) -> None:
        conn.execute(sa.update(alerts).where(alerts.c.object_key == e.data["object_key"])
                     .values(flapping=False))

    def on_AlertAckSent(self, conn: sa.Connection, e: StoredEvent) -> None:
        conn.execute(_UPDATE.values(ack_sent=True),
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
