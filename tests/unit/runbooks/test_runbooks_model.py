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
    assert public(copy) == public(run)


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
