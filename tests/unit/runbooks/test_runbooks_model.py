"""The Run aggregate's rules, without a database."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from hub.actors import Actor
from hub.domain import NotFoundError, PermissionDeniedError, StateConflictError, ValidationError
from hub.runbooks.model import Run, public

ALICE = Actor("alice", role="staff")
BOB = Actor("bob", role="staff")
NOW = dt.datetime(2025, 1, 1, 12, 0)


def steps(*approvals: str) -> list[dict[str, Any]]:
    return [{"n": i, "name": f"step {i}", "action": "lb.drain",
             "params": {"pool": "web", "server": f"s{i}"}, "approval": a, "timeout": 30}
            for i, a in enumerate(approvals, start=1)]


def started(*approvals: str) -> Run:
    run = Run("1")
    run.start(ALICE, runbook="Runbooks.X", revision=3, ticket_id=None, params={},
              steps=steps(*approvals))
    run.record_plans([{"n": i, "plan": {"summary": "s", "changes": [f"c{i}"]}}
                      for i in range(1, len(approvals) + 1)])
    return run


def digest(run: Run, n: int) -> str:
    value = public(run)["steps"][n - 1]["plan_digest"]
    assert isinstance(value, str) and value.startswith("sha256:")
    return value


def apply_ok(run: Run, n: int, token: int) -> None:
    run.begin_apply(BOB, n, NOW, token=token, resources=[], until=NOW)
    run.record_applied(n, token, "done", {})
    run.record_verified(n, token, "checked")


def test_step_by_step_to_completion() -> None:
    run = started("required", "none")
    with pytest.raises(PermissionDeniedError):
        run.approve(ALICE, 1, NOW, 3600, digest(run, 1))
    with pytest.raises(StateConflictError, match="needs approval"):
        run.check_apply(1, NOW)
    with pytest.raises(StateConflictError, match="must wait"):
        run.check_apply(2, NOW)
    run.approve(BOB, 1, NOW, 3600, digest(run, 1))
    with pytest.raises(StateConflictError, match="needs no approval"):
        run.approve(BOB, 2, NOW, 3600, "sha256:x")
    apply_ok(run, 1, 7)
    apply_ok(run, 2, 8)
    assert run.status == "completed"
    assert [s["state"] for s in public(run)["steps"]] == ["verified", "verified"]
    with pytest.raises(NotFoundError):
        run.step(3)


def test_approval_expires_and_a_changed_plan_drops_it() -> None:
    run = started("required")
    run.approve(BOB, 1, NOW, 60, digest(run, 1))
    with pytest.raises(StateConflictError, match="expired"):
        run.check_apply(1, NOW + dt.timedelta(seconds=61))
    run.approve(BOB, 1, NOW + dt.timedelta(seconds=61), 60, digest(run, 1))  # again
    run.record_plans([{"n": 1, "plan": {"summary": "s", "changes": ["something else"]}}])
    assert run.step(1)["state"] == "planned" and run.step(1)["approved_by"] is None


def test_failure_stops_the_run_and_stale_fences_are_refused() -> None:
    run = started("none", "none")
    run.begin_apply(BOB, 1, NOW, token=5, resources=["lb:web/s1"], until=NOW)
    with pytest.raises(StateConflictError, match="being applied"):
        run.check_apply(1, NOW)
    with pytest.raises(StateConflictError, match="stale fence"):
        run.record_applied(1, 4, "late", {})
    run.record_failed(1, 5, "apply", "boom", {"action": "lb.ready", "params": {}})
    assert run.status == "failed"
    with pytest.raises(StateConflictError):
        run.check_apply(2, NOW)
    assert run.check_inverse(1, NOW)["action"] == "lb.ready"
    run.begin_inverse(BOB, 1, NOW, token=6, resources=[], until=NOW)
    run.record_inverse(1, 6, True, "ready again")
    with pytest.raises(StateConflictError):
        run.check_inverse(1, NOW)
    run.skip(BOB, 1, "handled by hand")
    assert run.status == "running"
    run.abort(BOB, "enough")
    assert run.status == "aborted"
    with pytest.raises(StateConflictError):
        run.skip(BOB, 2, "too late")


def test_replay_gives_the_same_state() -> None:
    run = started("required", "none")
    run.approve(BOB, 1, NOW, 3600, digest(run, 1))
    apply_ok(run, 1, 1)
    copy = Run("1")
    from hub.eventstore import StoredEvent

    copy.replay([StoredEvent(i, "run-1", i, e.type, 1, e.data, {}, NOW)
                 for i, e in enumerate(run.pending, start=1)])
    replayed, recorded = public(copy), public(run)
    # the stored events carry their times; the fresh aggregate has not been stored yet
    assert (replayed.pop("started_at"), recorded.pop("started_at")) == (
        "2025-01-01T12:00:00Z", None)
    assert replayed == recorded


def test_an_approval_names_the_plan_it_approves() -> None:
    run = started("required")
    shown = digest(run, 1)
    with pytest.raises(ValidationError, match="plan_digest"):
        run.approve(BOB, 1, NOW, 3600)  # no digest at all
    with pytest.raises(StateConflictError, match="plan changed"):
        run.approve(BOB, 1, NOW, 3600, "sha256:" + "0" * 64)
    run.record_plans([{"n": 1, "plan": {"summary": "s", "changes": ["drain s1 AND s2"]}}])
    assert digest(run, 1) != shown
    with pytest.raises(StateConflictError, match="plan changed"):
        run.approve(BOB, 1, NOW, 3600, shown)  # the plan Bob saw is not the plan now
    run.approve(BOB, 1, NOW, 3600, digest(run, 1))
    assert run.step(1)["state"] == "approved"
    assert run.step(1)["approved_digest"] == digest(run, 1)
    run.record_plans([{"n": 1, "plan": {"summary": "s", "changes": ["yet another"]}}])
    assert run.step(1)["state"] == "planned"  # re-planned differently: approve again
    with pytest.raises(StateConflictError, match="needs approval"):
        run.check_apply(1, NOW)


def test_the_starter_cannot_approve_under_another_spelling_nor_the_system() -> None:
    run = started("required")
    with pytest.raises(PermissionDeniedError):
        run.approve(Actor("ALICE ", role="staff"), 1, NOW, 3600, digest(run, 1))
    with pytest.raises(PermissionDeniedError):
        run.approve(Actor("runbook-planner"), 1, NOW, 3600, digest(run, 1))


def test_skipping_needs_a_reason_and_a_gated_step_someone_else() -> None:
    run = started("required", "none")
    with pytest.raises(ValidationError, match="reason"):
        run.skip(BOB, 1, "  ")
    with pytest.raises(PermissionDeniedError, match="someone other"):
        run.skip(ALICE, 1, "not needed")
    run.skip(ALICE, 2, "not needed")  # no approval needed: the starter may skip it
    run.skip(BOB, 1, "done by hand")
    assert [s["state"] for s in run.steps] == ["skipped", "skipped"]


def conditional(*whens: str | None) -> Run:
    """A run whose step n has condition ``whens[n-1]`` ("1 verified" = step 1 verified)."""
    specs = steps(*["none"] * len(whens))
    for spec, when in zip(specs, whens, strict=True):
        if when:
            ref, state = when.split()
            spec["when"] = {"step": int(ref), "state": state}
    run = Run("1")
    run.start(ALICE, runbook="Runbooks.X", revision=3, ticket_id=None, params={}, steps=specs)
    run.record_plans([{"n": i, "plan": {"summary": "s", "changes": [f"c{i}"]}}
                      for i in range(1, len(whens) + 1)])
    return run


def states(run: Run) -> list[str]:
    return [s["state"] for s in run.steps]


def fail(run: Run, n: int, token: int) -> None:
    run.begin_apply(BOB, n, NOW, token=token, resources=[], until=NOW)
    run.record_failed(n, token, "apply", "boom", None)


def test_a_step_whose_condition_does_not_hold_skips_itself_with_the_reason() -> None:
    run = conditional(None, "1 verified", "1 failed", "3 skipped")
    apply_ok(run, 1, 1)
    apply_ok(run, 2, 2)
    # step 3 asked for a failure of step 1, step 4 for step 3 skipped: it holds
    assert states(run) == ["verified", "verified", "skipped", "planned"]
    assert run.step(3)["skipped_by"] == "runbook"
    assert run.step(3)["skip_reason"] == "condition not met: step 1 is verified"
    skipped = [e for e in run.pending if e.type == "StepSkipped"]
    assert [e.data for e in skipped] == [{"n": 3, "by": "runbook", "automatic": True,
                                          "reason": "condition not met: step 1 is verified"}]
    apply_ok(run, 4, 3)
    assert run.status == "completed_with_skips"  # honest: step 3 did not run


def test_completed_only_when_every_step_was_applied_and_verified() -> None:
    run = conditional(None, None)
    apply_ok(run, 1, 1)
    assert run.status == "running"
    apply_ok(run, 2, 2)
    assert run.status == "completed"
    skipping = conditional(None, None)
    skipping.skip(BOB, 1, "done by hand")
    apply_ok(skipping, 2, 3)
    assert skipping.status == "completed_with_skips"
    copy = Run("1")
    from hub.eventstore import StoredEvent

    copy.replay([StoredEvent(i, "run-1", i, e.type, 1, e.data, {}, NOW)
                 for i, e in enumerate(skipping.pending, start=1)])
    assert copy.status == "completed_with_skips"


def test_after_a_failure_only_the_steps_that_ask_for_it_run() -> None:
    run = conditional(None, None, "1 failed", "1 verified")
    fail(run, 1, 1)
    assert run.status == "failed" and run.failed_step == 1
    with pytest.raises(StateConflictError, match="step 1 failed and the run stopped there"):
        run.check_apply(2, NOW)
    with pytest.raises(StateConflictError, match="step 1 failed"):
        run.check_apply(4, NOW)
    apply_ok(run, 3, 2)  # the failure path: e.g. tell the ticket, page someone
    assert states(run) == ["failed", "planned", "verified", "planned"]
    assert run.status == "failed"  # it stays what happened
    # skipping the failed step (with a reason) lets the run go on; step 4's condition
    # names step 1, which is skipped now, so it skips itself
    run.skip(BOB, 1, "drained by hand")
    assert run.status == "running"
    apply_ok(run, 2, 3)
    assert states(run) == ["skipped", "verified", "verified", "skipped"]
    assert run.status == "completed_with_skips"


def test_a_plan_that_cannot_be_made_is_a_failed_step_with_its_error() -> None:
    run = started("none", "required")
    run.record_plans([{"n": 2, "plan": None, "error": "unknown pool 'web': declare it"}])
    step = run.step(2)
    assert (step["state"], step["plan_error"], step["plan"]) == (
        "failed", "unknown pool 'web': declare it", None)
    assert run.status == "running"  # the run has not reached step 2 yet
    with pytest.raises(StateConflictError, match="cannot be approved: its plan failed: "
                                                 "unknown pool 'web'") as info:
        run.approve(BOB, 2, NOW, 3600, "sha256:x")
    assert info.value.details["plan_error"] == "unknown pool 'web': declare it"
    apply_ok(run, 1, 1)
    assert run.status == "failed" and run.failed_step == 2
    with pytest.raises(StateConflictError, match="cannot be applied: its plan failed"):
        run.check_apply(2, NOW)
    run.record_plans([{"n": 2, "plan": {"summary": "s", "changes": ["web/s2: drain"]}}])
    assert run.step(2)["state"] == "planned" and run.status == "running"
    run.approve(BOB, 2, NOW, 3600, digest(run, 2))
    apply_ok(run, 2, 2)
    assert run.status == "completed"


def test_aborting_needs_a_reason_and_ends_the_run() -> None:
    run = conditional(None, None)
    with pytest.raises(ValidationError, match="reason"):
        run.abort(BOB, " ")
    run.abort(BOB, "maintenance window closed")
    assert (run.status, run.aborted_by, run.reason) == ("aborted", "bob",
                                                       "maintenance window closed")
    with pytest.raises(StateConflictError):
        run.check_apply(1, NOW)
    assert run.record_plans([{"n": 1, "plan": {"summary": "s", "changes": []}}]) == []
