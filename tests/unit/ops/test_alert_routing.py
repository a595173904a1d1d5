"""Routing rules: first match wins, defaults from severity, config errors named."""

from __future__ import annotations

from typing import Any

import pytest

from hub.ops.alerts.routing import (
    Route,
    RoutingRule,
    RoutingRuleError,
    default_priority,
    load_rules,
    route,
)
from hub.ops.alerts.signal import AlertSignal


def make(
    source: str = "nagios",
    host: str = "web-01",
    service: str | None = "App Health",
    severity: str = "critical",
    labels: dict[str, str] | None = None,
) -> AlertSignal:
    return AlertSignal(
        source=source,
        kind="problem",
        problem_key=f"k:{host}:{service}",
        object_key=f"{host}/{service}" if service else host,
        delivery_id="d",
        host=host,
        service=service,
        title=f"X: {host}",
        severity=severity,
        state="X",
        labels=labels or {},
    )


CONFIG: list[dict[str, Any]] = [
    {"name": "db", "host": "db-*", "queue": "DBA", "owner": "carol"},
    {
        "name": "web health",
        "source": "nagios",
        "host": "WEB-*",
        "service": "App *",
        "severity": ["critical"],
        "queue": "Web",
        "priority": 90,
        "runbook": "Ops/DrainWeb",
        "runbook_params": {"node": "{{ ticket.host }}"},
    },
    {"name": "team label", "labels": {"team": "net"}, "queue": "Network"},
    {"name": "warnings", "severity": "warning", "priority": 30},
]


@pytest.mark.parametrize(
    ("severity", "priority"),
    [
        ("critical", 80),
        ("warning", 50),
        ("unknown", 40),
        ("info", 20),
        ("ok", 20),
    ],
)
def test_default_priorities(severity: str, priority: int) -> None:
    assert default_priority(severity) == priority
    assert route(make(severity=severity), []) == Route("General", priority)


def test_first_matching_rule_wins_with_globs_case_insensitive() -> None:
    rules = load_rules(CONFIG)
    assert route(make(), rules) == Route(
        "Web", 90, None, "Ops/DrainWeb", {"node": "{{ ticket.host }}"}
    )
    assert route(make(host="db-01"), rules) == Route("DBA", 80, "carol")


def test_conditions_must_all_hold() -> None:
    rules = load_rules(CONFIG)
    assert route(make(severity="unknown"), rules).queue == "General"
    assert route(make(source="alertmanager"), rules).queue == "General"
    assert route(make(service="Disk"), rules).queue == "General"


def test_service_pattern_never_matches_a_host_alert() -> None:
    rules = [RoutingRule(service="*", queue="Services")]
    assert route(make(service=None), rules).queue == "General"
    assert route(make(), rules).queue == "Services"


def test_label_equality_and_rule_without_queue_uses_default() -> None:
    rules = load_rules(CONFIG)
    assert route(make(host="sw-1", labels={"team": "net"}), rules).queue == "Network"
    assert route(make(host="sw-1", labels={"team": "web"}), rules).queue == "General"
    assert route(make(host="x", severity="warning"), rules, default_queue="Ops") == Route("Ops", 30)


@pytest.mark.parametrize(
    ("item", "message"),
    [
        (
            {"name": "typo", "sevrity": "critical"},
            "routing rule typo: unknown keys \\['sevrity'\\]",
        ),
        ({"source": "zabbix"}, "routing rule #0: source must be one of"),
        ({"severity": ["critical", "major"]}, "unknown severity \\['major'\\]"),
        ({"severity": []}, "non-empty list"),
        ({"priority": 100}, "0-99"),
        ({"priority": "high"}, "0-99"),
        ({"priority": True}, "0-99"),
        ({"host": ""}, "host must be a non-empty string"),
        ({"labels": {"team": 1}}, "labels must be a table of strings"),
        ({"runbook_params": ["node"]}, "runbook_params must be a table"),
    ],
)
def test_bad_rules_raise_named_errors(item: dict[str, Any], message: str) -> None:
    with pytest.raises(RoutingRuleError, match=message):
        load_rules([item])


def test_rules_must_be_a_list_of_tables() -> None:
    with pytest.raises(RoutingRuleError, match="list of tables"):
        load_rules("host = 'x'")  # type: ignore[arg-type]
    with pytest.raises(RoutingRuleError, match="#1 must be a table"):
        load_rules([{}, "x"])  # type: ignore[list-item]
    assert issubclass(RoutingRuleError, ValueError)
