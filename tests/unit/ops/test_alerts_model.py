"""The Alert aggregate's decisions, the ack line, and the ops settings (pure code)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import pytest

from hub.ops.alerts.flapping import FlapPolicy
from hub.ops.alerts.signal import AlertSignal
from hub.ops.config import OpsConfigError, load_ops_config
from hub.ops.model import Alert, Decision
from hub.ops.reactors import ack_line, signal_values

T0 = dt.datetime(2026, 1, 1, 12, 0)
POLICY = FlapPolicy(window=dt.timedelta(hours=1), start_changes=4, stop_changes=2)


def signal(kind: str = "problem", pid: str = "1", delivery: str = "d1", **kw: Any) -> AlertSignal:
    base = dict(source="nagios", kind=kind, problem_key=f"nagios:web:App:{pid}",
                object_key="web/App", delivery_id=delivery, host="web", service="App",
                title="CRITICAL: web / App", severity="critical" if kind == "problem" else "ok",
                state="CRITICAL" if kind == "problem" else "OK", output="out")
    base.update(kw)
    return AlertSignal(**base)  # type: ignore[arg-type]


def always(_: int) -> bool:
    return True


def run(alert: Alert, sig: AlertSignal, at: dt.datetime, ticket: int | None = None,
        on_recovery: str = "resolve") -> Decision:
    decision = alert.decide(sig, at, policy=POLICY, on_recovery=on_recovery, is_active=always)
    if decision.action != "duplicate":
        tid = ticket if decision.open_ticket else decision.ticket_id
        alert.record(sig, at, decision, tid)
        alert.mark_saved(alert.version + len(alert.pending))
    return decision


def test_problem_renotify_escalate_recover_and_duplicate() -> None:
    alert = Alert("web/App")
    warn = signal(severity="warning", state="WARNING")
    assert run(alert, warn, T0, ticket=7).action == "opened"
    again = run(alert, signal(delivery="d2"), T0 + dt.timedelta(minutes=5))
    assert (again.action, again.ticket_id, again.escalate) == ("updated", 7, True)
    assert "escalated #2" in again.note
    assert run(alert, signal(delivery="d2"), T0).action == "duplicate"
    done = run(alert, signal("recovery", delivery="d3"), T0 + dt.timedelta(minutes=9))
    assert (done.action, done.resolve, done.ticket_id) == ("resolved", True, 7)
    assert alert.episodes["nagios:web:App:1"].state == "resolved"
    assert alert.episodes["nagios:web:App:1"].count == 2


def test_resolved_key_coming_back_opens_a_new_episode() -> None:
    alert = Alert("web/App")
    run(alert, signal(), T0, ticket=1)
    run(alert, signal("recovery", delivery="r"), T0 + dt.timedelta(hours=2))
    back = run(alert, signal(delivery="again"), T0 + dt.timedelta(hours=5), ticket=2)
    assert back.action == "opened" and back.new_episode
    assert alert.episodes["nagios:web:App:1"].number == 2


def test_recovery_as_comment_and_unknown_recovery() -> None:
    alert = Alert("web/App")
    assert run(alert, signal("recovery", pid="9"), T0).action == "ignored"
    run(alert, signal(delivery="p"), T0, ticket=3)
    kept = run(alert, signal("recovery", delivery="r"), T0, on_recovery="comment")
    assert (kept.action, kept.resolve, kept.episode_state) == ("updated", False, "recovered")


def test_notes_attach_by_object_key_when_problem_id_is_zero() -> None:
    alert = Alert("web/App")
    assert run(alert, signal("downtime_start", pid="0", delivery="x"), T0).action == "ignored"
    run(alert, signal(), T0, ticket=4)
    downtime = run(alert, signal("downtime_start", pid="0", delivery="y"), T0)
    assert (downtime.action, downtime.ticket_id) == ("updated", 4)
    ack = run(alert, signal("acknowledgement", delivery="z",
                            details={"author": "bob", "comment": "on it"}), T0)
    assert ack.note == "Acknowledged in nagios by bob: on it"
    assert alert.episodes["nagios:web:App:1"].acknowledged
    # Nagios knows already: nothing is requested (our own write, once confirmed, is
    # still recorded as sent even when Nagios's ACKNOWLEDGEMENT notice came first).
    assert not alert.record_ack_requested("nagios:web:App:1", "alice", 4, "", "take")
    assert alert.record_ack_sent("nagios:web:App:1", "alice", 4)
    assert not alert.record_ack_sent("nagios:web:App:1", "alice", 4)  # once per episode


def test_flapping_is_summarised_without_ticket_churn() -> None:
    alert = Alert("web/App")
    actions = []
    for i in range(8):  # problem/recovery every minute, each problem a new problem id
        kind = "problem" if i % 2 == 0 else "recovery"
        decision = run(alert, signal(kind, pid=str(i // 2), delivery=f"f{i}"),
                       T0 + dt.timedelta(minutes=i), ticket=100 + i)
        actions.append((decision.action, decision.flapping, decision.ticket_id))
    assert actions[0][0] == "opened" and actions[1][0] == "resolved"
    assert actions[3] == ("updated", "start", 102)  # 4th change starts it: no resolve
    assert alert.flapping and alert.flap_ticket == 102
    assert actions[4:] == [("updated", None, 102)] * 4  # no new tickets, no resolves
    calm = T0 + dt.timedelta(hours=3)
    stop = run(alert, signal("problem", pid="9", delivery="late"), calm, ticket=200)
    assert (stop.flapping, stop.action, stop.ticket_id) == ("stop", "updated", 102)
    assert "Flapping stopped" in stop.note and not alert.flapping


def test_quiet_flapping_object_calms_down() -> None:
    alert = Alert("web/App")
    for i in range(4):
        kind = "problem" if i % 2 == 0 else "recovery"
        run(alert, signal(kind, pid=str(i), delivery=f"q{i}"), T0 + dt.timedelta(minutes=i),
            ticket=50)
    assert alert.flapping
    assert not alert.calmed_down(T0 + dt.timedelta(minutes=10), POLICY)
    assert alert.calmed_down(T0 + dt.timedelta(hours=2), POLICY)


def test_state_change_opens_once_then_updates() -> None:
    alert = Alert("keepalived/VI")
    ka = dataclasses.replace(signal(), source="keepalived", kind="state_change",
                             problem_key="keepalived:VI", object_key="keepalived/VI",
                             severity="info", state="MASTER")
    assert run(alert, ka, T0, ticket=5).action == "opened"
    nxt = dataclasses.replace(ka, delivery_id="k2", state="BACKUP")
    assert run(alert, nxt, T0).action == "updated"
    assert len(alert.episodes["keepalived:VI"].transitions) == 2


def test_long_object_keys_get_a_bounded_stream_id() -> None:
    assert len(Alert.stream_id_for("h/" + "x" * 500)) <= 200
    assert Alert.stream_id_for("web/App") == "alert-web/App"


def test_ack_line_strips_separators() -> None:
    line = ack_line("web", "App", "al;ice", "fix;\nnow", 1700000000)
    assert line == "[1700000000] ACKNOWLEDGE_SVC_PROBLEM;web;App;2;1;1;al,ice;fix, now\n"
    host = ack_line("edge", None, "bob", "x", 5)
    assert host == "[5] ACKNOWLEDGE_HOST_PROBLEM;edge;2;1;1;bob;x\n"


def test_signal_values() -> None:
    assert signal_values({"perfdata": {"load": 1}}) == {"load": 1.0}
    am = {"source": "alertmanager", "details": {"annotations": {"value": "9.5"}}}
    assert signal_values(am) == {"value": 9.5}
    assert signal_values({**am, "details": {"annotations": {"value": "high"}}}) == {}


def test_config_validation() -> None:
    config = load_ops_config({
        "alert_routes": [{"name": "db", "host": "db-*", "queue": "DBA",
                          "on_recovery": "comment"}],
        "alert_parents": {"web-01": "edge-01"}, "nagios": {"command_file": "/x/nagios.cmd"},
        "backuppc": {"default_period_hours": 30, "periods_hours": {"db-01": 48}},
    })
    assert config.rules[0].on_recovery == "comment"
    assert config.parents == {"web-01": ("edge-01",)}
    assert config.backup_periods["db-01"] == dt.timedelta(hours=48)
    with pytest.raises(OpsConfigError, match="routing rule bad"):
        load_ops_config({"alert_routes": [{"name": "bad", "queu": "x"}]})
    with pytest.raises(OpsConfigError, match="on_recovery"):
        load_ops_config({"alert_routes": [{"on_recovery": "explode"}]})
    with pytest.raises(OpsConfigError, match=r"backuppc\.default_period_hours"):
        load_ops_config({"backuppc": {"default_period_hours": -1}})
    with pytest.raises(OpsConfigError, match="alert_flapping"):
        load_ops_config({"alert_flapping": {"start_changes": 2, "stop_changes": 5}})
