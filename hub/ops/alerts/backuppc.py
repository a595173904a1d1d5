"""BackupPC dump results (``DumpPostUserCmd``) and the check for hosts gone silent.

BackupPC runs ``DumpPostUserCmd`` after each dump with ``$xferOK``; a failed dump
opens (or updates) the host's backup ticket and the next good dump resolves it.
BackupPC runs no hook at all for a host that never answers, so a missing good dump
is only visible by its absence: :func:`stale_hosts` is the scheduler's half.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from hub.ops.alerts._fields import opt_str, parse_time, req_str, require_mapping, stable_hash
from hub.ops.alerts.signal import AlertPayloadError, AlertSignal

_TRUE = {"1", "true", "yes"}
_FALSE = {"0", "false", "no"}
SERVICE = "Backup"


def parse_backuppc(doc: Mapping[str, Any]) -> AlertSignal:
    """Failed dump -> problem (warning: BackupPC retries at its next wakeup), good -> recovery.

    The problem key is the host alone: one open backup ticket per host, whatever the
    dump type or share.
    """
    body = require_mapping(doc, "BackupPC notification")
    host = req_str(body, "host", "BackupPC notification")
    dump_type = req_str(body, "type", "BackupPC notification").lower()
    ok = _xfer_ok(body.get("xfer_ok"))
    error = opt_str(body, "error")
    timestamp = opt_str(body, "timestamp")
    dump_num = opt_str(body, "dump_num") or opt_str(body, "backup_num")
    if timestamp or dump_num:
        delivery = stable_hash(host, dump_type, ok, timestamp, dump_num)
    else:
        delivery = stable_hash(dict(body))
    word = "OK" if ok else "FAILED"
    output = error if not ok else f"{dump_type} backup of {host} succeeded"
    return AlertSignal(
        source="backuppc",
        kind="recovery" if ok else "problem",
        problem_key=f"backuppc:{host}",
        object_key=f"{host}/{SERVICE}",
        delivery_id="backuppc:" + delivery,
        host=host,
        service=SERVICE,
        title=f"{word}: {host} / {SERVICE} ({dump_type})",
        severity="ok" if ok else "warning",
        state=word,
        output=output or f"{dump_type} backup of {host} failed (no error text)",
        details={
            "type": dump_type,
            "xfer_ok": ok,
            "error": error,
            "client": opt_str(body, "client"),
            "host_ip": opt_str(body, "host_ip") or opt_str(body, "hostIP"),
            "share": opt_str(body, "share"),
            "dump_num": dump_num,
            "timestamp": timestamp,
        },
        occurred_at=parse_time(body.get("timestamp"), "timestamp"),
        labels={"type": dump_type},
    )


def _xfer_ok(value: object) -> bool:
    """BackupPC's ``$xferOK`` is 0/1; scripts send it as a number, string or bool."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return value == 1
    if isinstance(value, str):
        text = value.strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
    raise AlertPayloadError(
        f"xfer_ok must be 0, 1, '0', '1', true or false, got {value!r}", field_name="xfer_ok"
    )


def stale_hosts(
    last_good: Mapping[str, datetime],
    periods: Mapping[str, timedelta],
    default_period: timedelta,
    now: datetime,
) -> list[str]:
    """Hosts whose last good dump is older than their period, sorted.

    A host named in ``periods`` but absent from ``last_good`` has never had a good
    dump and is stale too: that is exactly the host BackupPC stays silent about.
    All times must be timezone-aware so that no local-time guess creeps in.
    """
    if now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    for name, period in {**periods, "(default)": default_period}.items():
        if period <= timedelta(0):
            raise ValueError(f"backup period for {name} must be positive, got {period}")
    stale: list[str] = []
    for host in sorted(set(last_good) | set(periods)):
        seen = last_good.get(host)
        if seen is not None and seen.utcoffset() is None:
            raise ValueError(f"last good backup time of {host} must be timezone-aware")
        if seen is None or now - seen > periods.get(host, default_period):
            stale.append(host)
    return stale
