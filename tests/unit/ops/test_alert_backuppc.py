"""BackupPC DumpPostUserCmd results and the staleness check."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from hub.ops.alerts.backuppc import parse_backuppc, stale_hosts
from hub.ops.alerts.signal import AlertPayloadError


def dump(**extra: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "host": "db-01",
        "type": "incr",
        "xfer_ok": 0,
        "error": "Unable to read 4 bytes (ssh: connect to host db-01 port 22: No route to host)",
        "client": "db-01",
        "hostIP": "192.0.2.10",
        "share": "/",
    }
    doc.update(extra)
    return doc


def test_failed_dump_is_a_problem_for_the_host() -> None:
    s = parse_backuppc(dump())
    assert s.source == "backuppc"
    assert s.kind == "problem"
    assert s.problem_key == "backuppc:db-01"
    assert s.object_key == "db-01/Backup"
    assert s.title == "FAILED: db-01 / Backup (incr)"
    assert s.severity == "warning"
    assert "No route to host" in s.output
    assert s.details["host_ip"] == "192.0.2.10"
    assert s.details["share"] == "/"


def test_good_dump_resolves_the_same_problem() -> None:
    good = parse_backuppc(dump(xfer_ok="1", type="full", error=""))
    assert good.kind == "recovery"
    assert good.severity == "ok"
    assert good.problem_key == parse_backuppc(dump()).problem_key
    assert good.title == "OK: db-01 / Backup (full)"


@pytest.mark.parametrize(
    ("value", "ok"),
    [(0, False), (1, True), ("0", False), ("1", True), (True, True), (False, False)],
)
def test_xfer_ok_forms(value: object, ok: bool) -> None:
    assert parse_backuppc(dump(xfer_ok=value)).kind == ("recovery" if ok else "problem")


@pytest.mark.parametrize("value", [2, "maybe", None, 1.5, [1]])
def test_bad_xfer_ok_is_refused(value: object) -> None:
    with pytest.raises(AlertPayloadError, match="xfer_ok"):
        parse_backuppc(dump(xfer_ok=value))


@pytest.mark.parametrize("missing", ["host", "type"])
def test_required_fields(missing: str) -> None:
    doc = dump()
    del doc[missing]
    with pytest.raises(AlertPayloadError, match=missing):
        parse_backuppc(doc)


def test_delivery_id_uses_timestamp_and_dump_number_when_present() -> None:
    a = parse_backuppc(dump(timestamp="2026-11-25T03:00:00Z", dump_num=41))
    retry = parse_backuppc(dump(timestamp="2026-11-25T03:00:00Z", dump_num=41, share="/srv"))
    later = parse_backuppc(dump(timestamp="2026-11-26T03:00:00Z", dump_num=42))
    assert a.delivery_id == retry.delivery_id
    assert a.delivery_id != later.delivery_id
    assert a.occurred_at == datetime(2026, 11, 25, 3, tzinfo=UTC)


def test_delivery_id_without_timestamp_hashes_the_payload() -> None:
    assert parse_backuppc(dump()).delivery_id == parse_backuppc(dump()).delivery_id
    assert parse_backuppc(dump()).delivery_id != parse_backuppc(dump(share="/srv")).delivery_id


NOW = datetime(2026, 11, 25, 12, tzinfo=UTC)


def test_stale_hosts() -> None:
    last_good = {
        "fresh": NOW - timedelta(hours=20),
        "late": NOW - timedelta(hours=30),
        "weekly": NOW - timedelta(days=5),
    }
    periods = {"weekly": timedelta(days=7), "never": timedelta(days=1)}
    assert stale_hosts(last_good, periods, timedelta(days=1), NOW) == ["late", "never"]


def test_exactly_one_period_old_is_not_yet_stale() -> None:
    assert stale_hosts({"h": NOW - timedelta(days=1)}, {}, timedelta(days=1), NOW) == []


@pytest.mark.parametrize(
    ("last_good", "period", "now", "message"),
    [
        ({}, timedelta(days=1), datetime(2026, 1, 1), "now must be timezone-aware"),
        ({"h": datetime(2026, 1, 1)}, timedelta(days=1), NOW, "h must be timezone-aware"),
        ({}, timedelta(0), NOW, "positive"),
    ],
)
def test_stale_hosts_rejects_bad_input(
    last_good: dict[str, datetime], period: timedelta, now: datetime, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        stale_hosts(last_good, {}, period, now)
