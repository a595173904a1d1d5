"""Alertmanager webhook (version 4), built to the documented format."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest

from hub.ops.alerts.alertmanager import parse_alertmanager
from hub.ops.alerts.signal import AlertPayloadError

STARTS = "2026-11-25T22:48:03.123456789Z"


def alert(status: str = "firing", **labels: str) -> dict[str, Any]:
    return {
        "status": status,
        "labels": {
            "alertname": "HighLatency",
            "instance": "web-01:9100",
            "job": "node",
            "severity": "critical",
            **labels,
        },
        "annotations": {"summary": "p99 latency above 2s", "description": "for 5 minutes"},
        "startsAt": STARTS,
        "endsAt": "2026-11-25T23:01:00Z" if status == "resolved" else "0001-01-01T00:00:00Z",
        "generatorURL": "http://prometheus:9090/graph?g0.expr=...",
        "fingerprint": "c6b0a5f4d2e1a3b7",
    }


def webhook(*alerts: dict[str, Any], status: str = "firing") -> dict[str, Any]:
    return {
        "version": "4",
        "groupKey": '{}:{alertname="HighLatency"}',
        "truncatedAlerts": 0,
        "status": status,
        "receiver": "opshub",
        "groupLabels": {"alertname": "HighLatency"},
        "commonLabels": {"alertname": "HighLatency", "job": "node"},
        "commonAnnotations": {},
        "externalURL": "http://alertmanager:9093",
        "alerts": list(alerts),
    }


def test_firing_alert_is_a_problem() -> None:
    (s,) = parse_alertmanager(webhook(alert()))
    assert s.source == "alertmanager"
    assert s.kind == "problem"
    assert s.problem_key == f"am:c6b0a5f4d2e1a3b7:{STARTS}"
    assert s.host == "web-01"
    assert s.service == "HighLatency"
    assert s.object_key == "web-01/HighLatency"
    assert s.title == "CRITICAL: web-01 / HighLatency"
    assert s.severity == "critical"
    assert s.state == "firing"
    assert s.output == "p99 latency above 2s\nfor 5 minutes"
    assert s.occurred_at == datetime(2026, 11, 25, 22, 48, 3, 123456, tzinfo=UTC)
    assert s.labels["job"] == "node"
    assert s.details["receiver"] == "opshub"
    assert s.details["annotations"]["summary"] == "p99 latency above 2s"


def test_resolved_alert_is_the_recovery_of_the_same_problem() -> None:
    (firing,) = parse_alertmanager(webhook(alert()))
    (resolved,) = parse_alertmanager(webhook(alert("resolved"), status="resolved"))
    assert resolved.kind == "recovery"
    assert resolved.severity == "ok"
    assert resolved.problem_key == firing.problem_key
    assert resolved.delivery_id != firing.delivery_id
    assert resolved.title == "RESOLVED: web-01 / HighLatency"
    assert resolved.occurred_at == datetime(2026, 11, 25, 23, 1, tzinfo=UTC)


def test_a_new_episode_of_the_same_alert_is_a_new_problem() -> None:
    again = alert()
    again["startsAt"] = "2026-11-26T08:00:00Z"
    (first,) = parse_alertmanager(webhook(alert()))
    (second,) = parse_alertmanager(webhook(again))
    assert first.problem_key != second.problem_key
    assert first.object_key == second.object_key


def test_retried_identical_delivery_repeats_the_delivery_id() -> None:
    doc = webhook(alert())
    assert (
        parse_alertmanager(doc)[0].delivery_id
        == parse_alertmanager(copy.deepcopy(doc))[0].delivery_id
    )


def test_one_signal_per_alert_in_the_group() -> None:
    signals = parse_alertmanager(
        webhook(alert(), alert(instance="web-02:9100", severity="warning", switch="sw-3"))
    )
    assert [s.host for s in signals] == ["web-01", "web-02"]
    assert [s.severity for s in signals] == ["critical", "warning"]
    assert signals[1].parent_hosts == ("sw-3",)


@pytest.mark.parametrize(
    ("label", "severity"), [("page", "critical"), ("info", "info"), ("bogus", "unknown")]
)
def test_severity_label_is_normalised(label: str, severity: str) -> None:
    (s,) = parse_alertmanager(webhook(alert(severity=label)))
    assert s.severity == severity


def test_host_label_wins_and_ipv6_instance_loses_its_port() -> None:
    (named,) = parse_alertmanager(webhook(alert(host="db-01")))
    assert named.host == "db-01"
    (v6,) = parse_alertmanager(webhook(alert(instance="[2001:db8::1]:9100")))
    assert v6.host == "2001:db8::1"


def test_alert_without_host_label_is_named_by_alertname() -> None:
    raw = alert()
    del raw["labels"]["instance"]
    raw["labels"]["parent"] = "core-1,core-2"
    (s,) = parse_alertmanager(webhook(raw))
    assert s.host == ""
    assert s.object_key == "HighLatency"
    assert s.title == "CRITICAL: HighLatency"
    assert s.parent_hosts == ("core-1", "core-2")


def test_missing_fingerprint_is_derived_from_labels() -> None:
    a, b = alert(), alert()
    del a["fingerprint"], b["fingerprint"]
    assert parse_alertmanager(webhook(a))[0].problem_key == (
        parse_alertmanager(webhook(b))[0].problem_key
    )


def test_empty_alert_list_gives_no_signals() -> None:
    assert parse_alertmanager(webhook()) == []


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda d: d.update(version="3"), "version"),
        (lambda d: d.update(alerts={"a": 1}), "alerts"),
        (lambda d: d["alerts"][0].update(status="pending"), "firing"),
        (lambda d: d["alerts"][0].pop("startsAt"), "startsAt"),
        (lambda d: d["alerts"][0].update(startsAt="yesterday"), "ISO"),
        (lambda d: d["alerts"][0].update(labels=["x"]), "labels"),
        (
            lambda d: (d["alerts"][0]["labels"].pop("alertname"), d["commonLabels"].clear()),
            "alertname",
        ),
        (lambda d: d["alerts"].append("nope"), "alert #1"),
    ],
)
def test_malformed_webhooks_raise_clear_errors(mutate: Any, message: str) -> None:
    doc = webhook(alert())
    mutate(doc)
    with pytest.raises(AlertPayloadError, match=message):
        parse_alertmanager(doc)
