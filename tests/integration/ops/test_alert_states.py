"""The per-process alert cache (``hub.ops.alert_states``) hands out exactly the alert a
replay of its stream gives, and falls back to a replay whenever it cannot be sure."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from hub.bootstrap import Hub, bootstrap
from hub.db import make_engine
from hub.eventstore import Metadata
from hub.messagebus import UnitOfWork
from hub.ops.alerts.nagios import parse_nagios
from hub.ops.alerts.signal import AlertSignal
from hub.ops.commands import ReceiveAlert
from hub.ops.handlers import submit
from hub.ops.model import Alert

BASE = 1_795_646_913


def _signal(number: int, state: str = "CRITICAL", kind: str = "PROBLEM") -> AlertSignal:
    parsed = parse_nagios({
        "NOTIFICATIONTYPE": kind, "NOTIFICATIONNUMBER": str(number), "HOSTNAME": "web-01",
        "HOSTSTATE": "UP", "SERVICEDESC": "Disk", "SERVICESTATE": state,
        "SERVICEOUTPUT": f"{state}: disk (notification {number})",
        "SERVICEPROBLEMID": "501", "LASTSERVICEPROBLEMID": "0",
        "SERVICENOTIFICATIONID": str(9000 + number), "TIMET": str(BASE + number * 60)})
    return parsed[0] if isinstance(parsed, list) else parsed


def _replayed(hub: Hub, key: str) -> dict[str, Any]:
    with UnitOfWork(hub.engine, hub.store, hub.runner, Metadata()) as uow:
        return vars(uow.get(Alert, key, must_exist=False))


def _cached(hub: Hub, key: str) -> tuple[dict[str, Any], int]:
    """The alert as the handler loads it, and how many event rows that read."""
    states = hub.bus.handlers[ReceiveAlert].__self__.states  # type: ignore[attr-defined]
    rows = []

    def count(conn: object, cursor: Any, statement: str, *_: object) -> None:
        if "FROM events" in statement and "LIMIT" not in statement:
            rows.append(statement)

    sa.event.listen(hub.engine, "before_cursor_execute", count)
    try:
        with UnitOfWork(hub.engine, hub.store, hub.runner, Metadata()) as uow:
            return vars(states.load(uow, key)), len(rows)
    finally:
        sa.event.remove(hub.engine, "before_cursor_execute", count)


def test_a_renotified_alert_comes_from_the_cache_equal_to_its_replay(any_hub: Hub) -> None:
    for number in range(1, 8):
        submit(any_hub, _signal(number, "CRITICAL" if number % 3 else "WARNING"))
    key = _signal(1).object_key
    cached, stream_reads = _cached(any_hub, key)
    assert stream_reads == 0  # no replay of the stream
    assert cached == _replayed(any_hub, key)
    assert cached["version"] == 7
    submit(any_hub, _signal(8, "OK", "RECOVERY"))
    cached, stream_reads = _cached(any_hub, key)
    assert stream_reads == 0 and cached == _replayed(any_hub, key)


def test_an_event_from_another_process_makes_the_next_load_replay(any_hub: Hub) -> None:
    for number in range(1, 4):
        submit(any_hub, _signal(number))
    other = bootstrap(any_hub.settings, make_engine(any_hub.settings.sqlalchemy_url))
    try:
        submit(other, _signal(4))  # this process's cache never saw it
    finally:
        other.engine.dispose()
    key = _signal(1).object_key
    cached, stream_reads = _cached(any_hub, key)
    assert stream_reads == 1
    assert cached == _replayed(any_hub, key) and cached["version"] == 4
    assert submit(any_hub, _signal(4))["action"] == "duplicate"
    submit(any_hub, _signal(5))
    cached, stream_reads = _cached(any_hub, key)
    assert stream_reads == 0 and cached == _replayed(any_hub, key)
