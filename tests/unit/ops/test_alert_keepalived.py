"""keepalived reports, replayed from the captured two-node VRRP scenarios."""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from hub.ops.alerts.keepalived import order_transitions, parse_keepalived, summarise_vrrp
from hub.ops.alerts.signal import AlertPayloadError, AlertSignal


def shared_dir() -> Path:
    env = os.environ.get("HUB_SHARED_DIR")
    path = Path(env) if env else Path(__file__).resolve().parents[3] / ".." / "shared"
    assert (path / "data").is_dir(), f"shared data not found at {path} (set HUB_SHARED_DIR)"
    return path


KEEPALIVED = shared_dir() / "data" / "keepalived"
SCENARIOS = sorted(p.name for p in KEEPALIVED.iterdir() if p.is_dir())


def scenario(name_prefix: str) -> list[AlertSignal]:
    """The scenario's POSTs in arrival (seq) order, parsed."""
    (directory,) = [KEEPALIVED / n for n in SCENARIOS if n.startswith(name_prefix)]
    docs = [json.loads(p.read_text()) for p in sorted(directory.glob("*.json"))]
    docs.sort(key=lambda d: d["seq"])
    return [parse_keepalived(d["body_json"]) for d in docs]


def history(through: str, extra: int | None = None) -> list[AlertSignal]:
    """Everything from scenario 01 up to ``through`` (optionally only its first items)."""
    signals: list[AlertSignal] = []
    for name in SCENARIOS:
        batch = scenario(name[:2])
        if name.startswith(through):
            return signals + (batch if extra is None else batch[:extra])
        signals += batch
    raise AssertionError(f"no scenario {through}")


def states(summary: dict[str, Any]) -> dict[str, str]:
    return {node: ns.state for node, ns in summary["nodes"].items()}


def test_all_nine_scenarios_are_there() -> None:
    assert len(SCENARIOS) == 9
    assert sum(len(scenario(n[:2])) for n in SCENARIOS) == 27


def test_a_report_becomes_a_state_change_signal() -> None:
    first = scenario("01")[0]
    assert first.kind == "state_change"
    assert first.problem_key == "keepalived:VI_HUB"
    assert first.object_key == "keepalived/VI_HUB"
    assert first.host == "node-a"
    assert first.service == "VI_HUB"
    assert first.title == "BACKUP: node-a / VI_HUB"
    assert first.severity == "info"
    assert first.details["priority"] == 150
    assert first.details["vip"] == "10.77.0.100/24"
    assert first.occurred_at == datetime(2026, 11, 25, 22, 59, 4, 434000, tzinfo=UTC)


def test_every_report_has_its_own_delivery_id_and_a_retry_repeats_it() -> None:
    signals = [s for name in SCENARIOS for s in scenario(name[:2])]
    assert len({s.delivery_id for s in signals}) == 27
    body = {"type": "INSTANCE", "name": "VI_1", "state": "MASTER", "node": "a"}
    stamped = {**body, "timestamp": "2026-11-25T22:59:04.434Z"}
    assert parse_keepalived(stamped).delivery_id == parse_keepalived(dict(stamped)).delivery_id
    later = {**body, "timestamp": "2026-11-25T22:59:05.000Z"}
    assert parse_keepalived(later).delivery_id != parse_keepalived(stamped).delivery_id


@pytest.mark.parametrize(("state", "severity"), [("FAULT", "critical"), ("STOP", "warning")])
def test_severity_of_bad_states(state: str, severity: str) -> None:
    s = parse_keepalived({"type": "INSTANCE", "name": "VI_1", "state": state, "priority": "100"})
    assert s.severity == severity
    assert s.details["priority"] == 100


def test_posts_out_of_order_are_ordered_by_timestamp() -> None:
    arrived = scenario("05")  # seq 11 (node-b BACKUP .642) arrived before seq 12 (.637)
    assert [s.host for s in arrived] == ["node-a", "node-b", "node-a"]
    ordered = order_transitions(arrived)
    assert [(s.host, s.state) for s in ordered] == [
        ("node-a", "BACKUP"),
        ("node-a", "MASTER"),
        ("node-b", "BACKUP"),
    ]


def test_untimed_signals_sort_last_in_arrival_order() -> None:
    timed = scenario("01")[0]
    untimed = [
        parse_keepalived({"type": "INSTANCE", "name": "VI_HUB", "state": s, "node": "x"})
        for s in ("BACKUP", "MASTER")
    ]
    assert order_transitions([*untimed, timed]) == [timed, *untimed]


def test_01_startup_a_master_b_backup() -> None:
    summary = summarise_vrrp(scenario("01"))
    assert summary["instance"] == "VI_HUB"
    assert states(summary) == {"node-a": "MASTER", "node-b": "BACKUP"}
    assert summary["masters"] == ["node-a"]
    assert not summary["split_brain"] and not summary["split_brain_seen"]


def test_02_graceful_stop_moves_master_to_b() -> None:
    summary = summarise_vrrp(history("02"))
    assert states(summary) == {"node-a": "STOP", "node-b": "MASTER"}
    assert not summary["split_brain_seen"]


def test_03_restarted_master_preempts() -> None:
    summary = summarise_vrrp(scenario("03"))
    assert states(summary) == {"node-a": "MASTER", "node-b": "BACKUP"}
    assert summary["masters"] == ["node-a"]


def test_04_sigkilled_master_says_nothing_only_the_new_master_reports() -> None:
    alone = summarise_vrrp(scenario("04"))
    assert states(alone) == {"node-b": "MASTER"}
    assert not alone["split_brain"]
    # With the history, node-a's last word was MASTER: indistinguishable from split brain.
    summary = summarise_vrrp(history("04"))
    assert states(summary) == {"node-a": "MASTER", "node-b": "MASTER"}
    assert summary["split_brain"]


def test_05_master_restarted_again_clears_the_suspicion() -> None:
    summary = summarise_vrrp(history("05"))
    assert states(summary) == {"node-a": "MASTER", "node-b": "BACKUP"}
    assert not summary["split_brain"]
    assert summary["split_brain_seen"]  # left over from scenario 04


def test_06_fault_via_track_script_and_back() -> None:
    signals = scenario("06")
    assert [s.state for s in signals[:2]] == ["FAULT", "MASTER"]
    assert signals[0].severity == "critical"
    summary = summarise_vrrp(history("06"))
    assert states(summary) == {"node-a": "MASTER", "node-b": "BACKUP"}
    assert not summary["all_fault_seen"]  # only one node was ever in FAULT


def test_07_hung_master_both_last_said_master() -> None:
    alone = scenario("07")
    assert [(s.host, s.state) for s in alone] == [("node-b", "MASTER"), ("node-b", "BACKUP")]
    during = summarise_vrrp(history("07", extra=1))
    assert states(during) == {"node-a": "MASTER", "node-b": "MASTER"}
    assert during["split_brain"]
    assert during["masters"] == ["node-a", "node-b"]
    after = summarise_vrrp(history("07"))
    assert not after["split_brain"]
    assert after["split_brain_seen"]


def test_08_link_down_both_fault() -> None:
    both_fault = summarise_vrrp(history("08", extra=2))
    assert states(both_fault) == {"node-a": "FAULT", "node-b": "FAULT"}
    assert both_fault["all_fault"]
    assert both_fault["masters"] == []
    alone = summarise_vrrp(scenario("08"))
    assert alone["all_fault_seen"] and not alone["all_fault"]
    assert states(alone) == {"node-a": "MASTER", "node-b": "BACKUP"}


def test_09_shutdown_both() -> None:
    summary = summarise_vrrp(history("09"))
    assert states(summary) == {"node-a": "STOP", "node-b": "STOP"}
    assert summary["masters"] == []
    assert not summary["all_fault"]
    assert summary["last_change"] == datetime(2026, 11, 25, 22, 59, 43, 174000, tzinfo=UTC)


def test_single_fault_counts_as_all_fault_only_when_it_is_the_only_expected_node() -> None:
    fault = parse_keepalived({"type": "INSTANCE", "name": "VI_1", "state": "FAULT", "node": "a"})
    assert not summarise_vrrp([fault])["all_fault"]
    assert summarise_vrrp([fault], expected_nodes=["a"])["all_fault"]
    assert not summarise_vrrp([fault], expected_nodes=["a", "b"])["all_fault"]


def test_summary_refuses_mixed_instances() -> None:
    a = parse_keepalived({"type": "INSTANCE", "name": "VI_1", "state": "MASTER", "node": "a"})
    b = parse_keepalived({"type": "INSTANCE", "name": "VI_2", "state": "MASTER", "node": "a"})
    with pytest.raises(AlertPayloadError, match="several VRRP instances"):
        summarise_vrrp([a, b])


def test_empty_summary() -> None:
    summary = summarise_vrrp([])
    assert summary["nodes"] == {} and summary["instance"] is None
    assert not summary["all_fault"]


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ({"name": "VI_1", "state": "MASTER"}, "type"),
        ({"type": "SYNC", "name": "VI_1", "state": "MASTER"}, "INSTANCE or GROUP"),
        ({"type": "INSTANCE", "state": "MASTER"}, "name"),
        ({"type": "INSTANCE", "name": "VI_1", "state": "PRIMARY"}, "state must be"),
        ({"type": "INSTANCE", "name": "VI_1", "state": "MASTER", "priority": "hi"}, "priority"),
        ({"type": "INSTANCE", "name": "VI_1", "state": "MASTER", "timestamp": "x"}, "ISO"),
    ],
)
def test_bad_reports_raise_clear_errors(doc: dict[str, Any], message: str) -> None:
    with pytest.raises(AlertPayloadError, match=message):
        parse_keepalived(doc)
