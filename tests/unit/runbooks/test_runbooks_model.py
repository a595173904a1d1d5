"""The Run aggregate's rules, without a database."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from hub.actors import Actor
from hub.domain import NotFoundError, PermissionDeniedError, StateConflictError
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


def apply_ok(run: Run, n: int, token: int) -> None:
    run.begin_apply(BOB, n, NOW, token=token, resources=[], until=NOW)
    run.record_applied(n, token, "done", {})
    run.record_verified(n, token, "checked")


def test_step_by_step_to_completion() -> None:
    run = started("required", "none")
    with pytest.raises(PermissionDeniedError):
        run.approve(ALICE, 1, NOW, 3600)
    with pytest.raises(StateConflictError, match="needs approval"):
        run.check_apply(1, NOW)
    with pytest.raises(StateConflictError, match="must wait"):
        run.check_apply(2, NOW)
    run.approve(BOB, 1, NOW, 3600)
    with pytest.raises(StateConflictError, match="needs no approval"):
        run.approve(BOB, 2, NOW, 3600)
    apply_ok(run, 1, 7)
    apply_ok(run, 2, 8)
    assert run.status == "completed"
    assert [s["state"] for s in public(run)["steps"]] == ["verified", "verified"]
    with pytest.raises(NotFoundError):
        run.step(3)


def test_approval_expires_and_a_changed_plan_drops_it() -> None:
    run = started("required")
    run.approve(BOB, 1, NOW, 60)
    with pytest.raises(StateConflictError, match="expired"):
        run.check_apply(1, NOW + dt.timedelta(seconds=61))
    run.approve(BOB, 1, NOW + dt.timedelta(seconds=61), 60)  # re-approval allowed
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
        run.skip(BOB, 2, "")


def test_replay_gives_the_same_state() -> None:
    run = started("required", "none")
    run.approve(BOB, 1, NOW, 3600)
    apply_ok(run, 1, 1)
    copy = Run("1")
    from hub.eventstore import StoredEvent

    copy.replay([StoredEvent(i, "run-1", i, e.type, 1, e.data, {}, NOW)
                 for i, e in enumerate(run.pending, start=1)])
    assert public(copy) == public(run)
