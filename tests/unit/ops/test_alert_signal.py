"""The normalised signal: its own checks and its JSON round trip."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from hub.ops.alerts.signal import AlertPayloadError, AlertSignal

BASE = AlertSignal(
    source="nagios",
    kind="problem",
    problem_key="nagios:web-01:App Health:1",
    object_key="web-01/App Health",
    delivery_id="nagios:abc",
    host="web-01",
    service="App Health",
    title="CRITICAL: web-01 / App Health",
    severity="critical",
    state="CRITICAL",
    output="line1\nline2",
    details={"macros": {"HOSTNAME": "web-01"}},
    occurred_at=datetime(2026, 11, 25, 22, 48, 33, tzinfo=UTC),
    labels={"team": "web"},
    parent_hosts=("sw-1",),
    perfdata={"time": 0.5},
)


def test_round_trip_through_json() -> None:
    data = json.loads(json.dumps(BASE.to_dict()))
    assert AlertSignal.from_dict(data) == BASE
    assert data["occurred_at"] == "2026-11-25T22:48:33+00:00"
    assert BASE.is_problem and not BASE.is_recovery


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"source": "zabbix"}, "source"),
        ({"kind": "resolved"}, "kind"),
        ({"severity": "high"}, "severity"),
        ({"problem_key": ""}, "problem_key"),
        ({"occurred_at": datetime(2026, 1, 1)}, "timezone-aware"),
    ],
)
def test_invalid_signals_are_refused(change: dict[str, object], message: str) -> None:
    with pytest.raises(AlertPayloadError, match=message):
        replace(BASE, **change)  # type: ignore[arg-type]


def test_payload_error_is_a_value_error_with_the_field() -> None:
    error = AlertPayloadError("bad", field_name="x")
    assert isinstance(error, ValueError)
    assert (error.message, error.field_name) == ("bad", "x")
