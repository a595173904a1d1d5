"""Typed ops events keep the stored JSON of existing databases (same keys, nulls kept)."""

from __future__ import annotations

import datetime as dt

from hub.event_registry import is_known
from hub.ops.alerts.flapping import FlapPolicy
from hub.ops.alerts.signal import AlertSignal
from hub.ops.events import AlertReceived, AlertRunbookRouted
from hub.ops.model import Alert

AT = dt.datetime(2026, 11, 25, 22, 50)


def signal(kind: str = "problem") -> AlertSignal:
    return AlertSignal(source="nagios", kind=kind, problem_key="nagios:web-02:HTTP:1",
                       object_key="web-02/HTTP", delivery_id=f"d-{kind}", host="web-02",
                       service="HTTP", title="CRITICAL: web-02 / HTTP", severity="critical",
                       state="CRITICAL", output="down")


def test_given_ignored_recovery_when_recorded_then_null_keys_are_stored() -> None:
    alert = Alert("web-02/HTTP")
    decision = alert.decide(signal("recovery"), AT, policy=FlapPolicy(), on_recovery="resolve",
                            is_active=lambda t: True)
    alert.record(signal("recovery"), AT, decision, None)
    [stored] = alert.pending
    assert stored.type == "AlertReceived"
    assert stored.data["ticket_id"] is None and stored.data["episode_key"] is None
    assert set(stored.data) == {"signal", "at", "action", "ticket_id", "episode_key",
                                "new_episode", "episode_state", "change", "parent_ticket_id",
                                "flags", "flapping"}
    assert AlertReceived.from_data(stored.data).action == "ignored"


def test_given_routed_runbook_when_recorded_then_fact_for_runbooks() -> None:
    alert = Alert("web-02/HTTP")
    alert.record_runbook_routed(signal(), 7, "Runbooks.DrainWebNode", {"node": "web-02"})
    [stored] = alert.pending
    assert is_known("AlertRunbookRouted")
    assert AlertRunbookRouted.from_data(stored.data) == AlertRunbookRouted(
        object_key="web-02/HTTP", problem_key="nagios:web-02:HTTP:1", ticket_id=7,
        runbook="Runbooks.DrainWebNode", params={"node": "web-02"},
        title="CRITICAL: web-02 / HTTP")


def test_every_applier_names_a_registered_event() -> None:
    Alert.check_appliers()
