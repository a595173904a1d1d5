"""PagerDuty Events API v2 shaped events, built to PagerDuty's published format."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from hub.ops.alerts.events_v2 import parse_events_v2
from hub.ops.alerts.signal import AlertPayloadError

ROUTING_KEY = "R0123456789ABCDEF0123456789ABCDE"


def trigger(**extra: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "routing_key": ROUTING_KEY,
        "event_action": "trigger",
        "dedup_key": "disk-full-db-01",
        "payload": {
            "summary": "Disk /var at 97% on db-01",
            "source": "db-01",
            "severity": "critical",
            "timestamp": "2026-11-25T22:50:00.000+01:00",
            "component": "postgres",
            "group": "prod-db",
            "class": "disk",
            "custom_details": {"free_bytes": 1024},
        },
        "client": "Grafana",
        "client_url": "https://grafana.example/d/abc",
    }
    doc.update(extra)
    return doc


def test_trigger_is_a_problem() -> None:
    s = parse_events_v2(trigger())
    assert s.source == "events"
    assert s.kind == "problem"
    assert s.problem_key == f"ev2:{ROUTING_KEY}:disk-full-db-01"
    assert s.host == "db-01"
    assert s.service == "postgres"
    assert s.title == "CRITICAL: db-01 / Disk /var at 97% on db-01"
    assert s.severity == "critical"
    assert s.output == "Disk /var at 97% on db-01"
    assert s.occurred_at == datetime(2026, 11, 25, 21, 50, tzinfo=UTC)
    assert s.labels == {"component": "postgres", "group": "prod-db", "class": "disk"}
    assert s.details["custom_details"] == {"free_bytes": 1024}
    assert ROUTING_KEY not in str(s.details)


def test_acknowledge_and_resolve_share_the_problem_key_without_payload() -> None:
    problem = parse_events_v2(trigger())
    ack = parse_events_v2(
        {"routing_key": ROUTING_KEY, "event_action": "acknowledge", "dedup_key": "disk-full-db-01"}
    )
    resolve = parse_events_v2(
        {"routing_key": ROUTING_KEY, "event_action": "resolve", "dedup_key": "disk-full-db-01"}
    )
    assert (ack.kind, resolve.kind) == ("acknowledgement", "recovery")
    assert ack.problem_key == resolve.problem_key == problem.problem_key
    assert ack.object_key == problem.object_key
    assert resolve.severity == "ok"
    assert resolve.title == "RESOLVED: disk-full-db-01"
    assert len({problem.delivery_id, ack.delivery_id, resolve.delivery_id}) == 3


def test_trigger_without_dedup_key_derives_a_stable_one() -> None:
    a = parse_events_v2(trigger(dedup_key=None))
    b = parse_events_v2(trigger(dedup_key=None))
    other = trigger(dedup_key=None)
    other["payload"] = {**other["payload"], "source": "db-02"}
    assert a.problem_key == b.problem_key
    assert a.problem_key.startswith(f"ev2:{ROUTING_KEY}:derived-")
    assert parse_events_v2(other).problem_key != a.problem_key


def test_retry_repeats_the_delivery_id_but_a_changed_payload_does_not() -> None:
    first = parse_events_v2(trigger())
    assert parse_events_v2(trigger()).delivery_id == first.delivery_id
    changed = trigger()
    changed["payload"] = {**changed["payload"], "summary": "Disk /var at 99% on db-01"}
    assert parse_events_v2(changed).delivery_id != first.delivery_id
    assert parse_events_v2(changed).problem_key == first.problem_key


def test_missing_routing_key_gives_an_empty_segment() -> None:
    doc = trigger()
    del doc["routing_key"]
    assert parse_events_v2(doc).problem_key == "ev2::disk-full-db-01"


@pytest.mark.parametrize(("pd", "ours"), [("error", "critical"), ("warning", "warning")])
def test_severity_mapping(pd: str, ours: str) -> None:
    doc = trigger()
    doc["payload"]["severity"] = pd
    s = parse_events_v2(doc)
    assert s.severity == ours
    assert s.state == pd


def test_long_title_is_clipped_but_summary_kept() -> None:
    doc = trigger()
    doc["payload"]["summary"] = "x" * 1024
    s = parse_events_v2(doc)
    assert len(s.title) == 200
    assert len(s.output) == 1024


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d.update(event_action="escalate"), "event_action"),
        (lambda d: d.pop("event_action"), "event_action"),
        (lambda d: d.update(event_action="resolve", dedup_key=""), "dedup_key is required"),
        (lambda d: d.update(dedup_key="k" * 256), "255"),
        (lambda d: d.pop("payload"), "payload is required"),
        (lambda d: d["payload"].pop("summary"), "summary"),
        (lambda d: d["payload"].pop("source"), "source"),
        (lambda d: d["payload"].pop("severity"), "severity"),
        (lambda d: d["payload"].update(severity="fatal"), "severity must be one of"),
        (lambda d: d["payload"].update(summary="s" * 1025), "1024"),
        (lambda d: d["payload"].update(timestamp="noon"), "timestamp"),
        (lambda d: d.update(payload="text"), "payload must be a JSON object"),
    ],
)
def test_pagerduty_validation(mutate: Any, message: str) -> None:
    doc = trigger()
    mutate(doc)
    with pytest.raises(AlertPayloadError, match=message):
        parse_events_v2(doc)


def test_not_an_object() -> None:
    with pytest.raises(AlertPayloadError, match="JSON object"):
        parse_events_v2("trigger")  # type: ignore[arg-type]
