"""Typed runbook events: registered, and stored with the same keys as before."""

from __future__ import annotations

from hub.actors import system_actor
from hub.runbooks.model import Run
from hub.runbooks.suggestions import TicketRunbooks

STEPS = [{"n": 1, "name": "Drain", "action": "lb.drain", "params": {"pool": "web"},
          "approval": "none", "timeout": 300}]


def test_every_applier_names_a_registered_event() -> None:
    Run.check_appliers()
    TicketRunbooks.check_appliers()


def test_given_run_when_started_and_planned_then_null_keys_are_kept() -> None:
    run = Run("1")
    run.start(system_actor("cli", "alice"), runbook="Runbooks.Drain", revision=3,
              ticket_id=None, params={}, steps=STEPS)
    run.record_plans([{"n": 1, "plan": None, "error": "no route"}])
    started, planned, stopped = run.pending
    assert started.data["ticket_id"] is None and started.data["started_by"] == "alice"
    assert planned.type == "StepPlanned"
    assert planned.data == {"n": 1, "plan": None, "error": "no route"}
    # a plan that cannot be made fails the step, and the run stops at it
    assert (stopped.type, stopped.data) == ("RunFailed", {"n": 1})
    assert run.step(1)["state"] == "failed" and run.status == "failed"


def test_given_suggestion_when_recorded_then_typed_payload() -> None:
    agg = TicketRunbooks("7")
    assert agg.suggest(system_actor("alert", "nagios"), "Runbooks.Drain", {"node": "a"}, "r")
    [stored] = agg.pending
    assert stored.data == {"ticket_id": 7, "runbook": "Runbooks.Drain", "params": {"node": "a"},
                           "reason": "r", "by": "nagios"}
    assert not agg.suggest(system_actor("alert", "nagios"), "Runbooks.Drain", {"node": "a"}, "r")
