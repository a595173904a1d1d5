"""The Run aggregate: one execution of a runbook topic, step by step, as events.

A run pins the topic revision and the parsed steps it started from (RunStarted),
so editing the wiki page never changes a run in flight. Each step goes
planned -> (approved) -> applied -> verified, or failed / skipped; a plan that
cannot be made is ``failed`` with its error, never ``planned``. Which step may be
applied now, which steps their ``when:`` condition skips, and the run's status
come from one walk (:mod:`hub.runbooks.progress`), re-done after every change.
The operations themselves run outside the write transaction; their results come
back through ``record_*`` methods, which check the fencing token so a late result
of an abandoned attempt changes nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

from hub.actors import Actor
from hub.domain import PermissionDeniedError, StateConflictError, ValidationError
from hub.runbooks import events as ev
from hub.runbooks.progress import ENDED, condition_of, walk
from hub.runbooks.run_state import RunState
from hub.runbooks.run_state import iso as _iso

STEP_STATES = ("planned", "approved", "applied", "verified", "failed", "skipped")
RUN_STATUSES = ("running", "failed", "completed", "completed_with_skips", "aborted")
#: Statuses a run never leaves.
FINISHED = ("completed", "completed_with_skips", "aborted")
#: Who skips a step whose condition does not hold (the run, not a person).
AUTOMATIC = "runbook"


def _parse(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value.rstrip("Z"))


def plan_digest(run_id: str, step: dict[str, Any]) -> str | None:
    """What an approval names: the step's action, parameters and planned changes.

    A re-plan that changes any of these gives another digest, so an approval given
    for one plan can never be applied to another (the contract's "an approval
    names the plan it approves").
    """
    plan = step.get("plan")
    if not plan:
        return None
    body = {"run": str(run_id), "n": step["n"], "action": step["action"],
            "params": step["params"], "changes": list(plan.get("changes") or [])}
    text = json.dumps(body, sort_keys=True, default=str, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def same_person(actor: Actor, name: str) -> bool:
    return actor.name.strip().casefold() == str(name).strip().casefold()


class Run(RunState):
    """The rules of a run: every command checks them, then records events."""

    # -- commands -----------------------------------------------------------------
    def start(self, actor: Actor, *, runbook: str, revision: int, ticket_id: int | None,
              params: dict[str, Any], steps: list[dict[str, Any]]) -> None:
        if self.exists:
            raise StateConflictError(f"run {self.id} exists already")
        self._record(ev.RunStarted(runbook=runbook, revision=revision, ticket_id=ticket_id,
                                   params=params, started_by=actor.name, steps=steps))

    def record_plans(self, results: list[dict[str, Any]]) -> list[int]:
        """Store dry runs of steps that are not under way; returns the step numbers kept.

        A plan with an ``error`` makes the step ``failed``; a good plan of a step whose
        plan had failed makes it ``planned`` again (the cause was fixed)."""
        kept: list[int] = []
        if self.status in FINISHED:
            return kept
        for result in results:
            step = self.step(int(result["n"]))
            if self.plannable(step):
                self._record(ev.StepPlanned(n=step["n"], plan=result.get("plan"),
                                            error=result.get("error")))
                kept.append(step["n"])
        self._advance()
        return kept

    @staticmethod
    def plannable(step: dict[str, Any]) -> bool:
        """Not under way, and planned, approved, or failed only because it could not plan."""
        if step["applying"]:
            return False
        return step["state"] in ("planned", "approved") or (
            step["state"] == "failed" and step.get("failed_phase") == "plan")

    def approve(self, actor: Actor, n: int, now: dt.datetime, ttl: float,
                digest: str | None = None) -> None:
        """Four eyes: a person other than the starter approves the plan named by ``digest``."""
        if actor.is_system or same_person(actor, self.started_by):
            raise PermissionDeniedError("someone other than the person who started the run "
                                        "must approve its steps")
        step = self._live_step(n)
        if step["approval"] != "required":
            raise StateConflictError(f"step {n} needs no approval")
        if step["state"] == "failed" and step.get("failed_phase") == "plan":
            raise StateConflictError(f"step {n} cannot be approved: its plan failed: "
                                     f"{step['plan_error']}. Fix the cause, plan it again, "
                                     "then approve the plan it shows",
                                     plan_error=step["plan_error"])
        if step["state"] == "approved" and not self.approval_expired(step, now):
            raise StateConflictError(f"step {n} is approved already (by {step['approved_by']})")
        if step["state"] not in ("planned", "approved"):
            raise StateConflictError(f"step {n} is {step['state']}; only a planned step "
                                     "can be approved")
        current = plan_digest(self.id, step)
        if not step["plan"] or current is None:
            raise StateConflictError(f"step {n} has no plan yet: plan it, then approve "
                                     "what the plan shows")
        if not digest:
            raise ValidationError(f"approving step {n} needs the plan_digest of the plan "
                                  "it approves, as the step shows it", param="plan_digest")
        if digest != current:
            raise StateConflictError(f"step {n}: the plan changed since it was shown; review "
                                     "the current plan and approve its digest",
                                     plan_digest=current)
        self._record(ev.StepApproved(n=n, by=actor.name, at=_iso(now),
                                     expires_at=_iso(now + dt.timedelta(seconds=ttl)),
                                     changes=list(step["plan"].get("changes", [])),
                                     plan_digest=current))

    def check_apply(self, n: int, now: dt.datetime) -> dict[str, Any]:
        """Raise unless step ``n`` may be applied now; leases are taken only after this."""
        step = self._live_step(n)
        if step["state"] == "failed" and step.get("failed_phase") == "plan":
            raise StateConflictError(f"step {n} cannot be applied: its plan failed: "
                                     f"{step['plan_error']}", plan_error=step["plan_error"])
        if step["state"] not in ("planned", "approved"):
            raise StateConflictError(f"step {n} is {step['state']} and cannot be applied")
        if step["approval"] == "required":
            if step["state"] != "approved":
                raise StateConflictError(f"step {n} needs approval by someone other than "
                                         f"{self.started_by} before it is applied")
            if self.approval_expired(step, now):
                raise StateConflictError(f"the approval of step {n} expired at "
                                         f"{step['approval_expires_at']}; approve it again")
            approved = step.get("approved_digest")
            if approved and approved != plan_digest(self.id, step):
                raise StateConflictError(f"step {n}: the plan changed since it was approved; "
                                         "approve the current plan again")
        self._check_reached(n)
        return step

    def _check_reached(self, n: int) -> None:
        """Step ``n`` must be the step the run waits for (see :mod:`progress`)."""
        at = walk(self.steps)
        if at.waiting == n:
            return
        cond = condition_of(self.step(n))
        if at.failed is not None and at.failed < n and (cond is None
                                                        or cond.state != "failed"):
            raise StateConflictError(
                f"step {n} is not run: step {at.failed} failed and the run stopped there; "
                f"plan step {at.failed} again, skip it (with a reason) or abort the run")
        if at.waiting is None or at.waiting > n:
            if cond is not None:
                ref = self.step(cond.step)["state"]
                raise StateConflictError(f"step {n} runs only when step {cond.step} is "
                                         f"{cond.state}; step {cond.step} is {ref}")
            waiting = next((s["n"] for s in self.steps[: n - 1] if s["state"] not in ENDED), n)
        else:
            waiting = at.waiting
        raise StateConflictError(f"step {n} must wait: step {waiting} is not verified "
                                 "or skipped yet")

    def begin_apply(self, actor: Actor, n: int, now: dt.datetime, *, token: int,
                    resources: list[str], until: dt.datetime) -> None:
        self.check_apply(n, now)
        self._record(ev.StepApplyStarted(n=n, by=actor.name, token=token,
                                         resources=resources, until=_iso(until)))

    def check_inverse(self, n: int, now: dt.datetime) -> dict[str, Any]:
        step = self.step(n)
        if step["state"] != "failed" or not step["inverse"] or step["inverse_done"]:
            raise StateConflictError(f"step {n} offers no inverse to run")
        if self._busy(step, now):
            raise StateConflictError(f"step {n} is being changed right now")
        return dict(step["inverse"])

    def begin_inverse(self, actor: Actor, n: int, now: dt.datetime, *, token: int,
                      resources: list[str], until: dt.datetime) -> dict[str, Any]:
        step = self.step(n)
        self.check_inverse(n, now)
        self._record(ev.StepInverseStarted(n=n, by=actor.name, token=token,
                                           resources=resources, until=_iso(until)))
        return dict(step["inverse"])

    def record_applied(self, n: int, token: int, output: str, data: dict[str, Any]) -> None:
        self._check_token(n, token)
        self._record(ev.StepApplied(n=n, output=output, data=data))

    def record_verified(self, n: int, token: int, output: str) -> None:
        self._check_token(n, token)
        self._record(ev.StepVerified(n=n, output=output))
        self._advance()

    def record_failed(self, n: int, token: int, phase: str, error: str,
                      inverse: dict[str, Any] | None) -> None:
        self._check_token(n, token)
        self._record(ev.StepFailed(n=n, phase=phase, error=error, inverse=inverse))
        self._advance()

    def cancel_apply(self, n: int, token: int, reason: str, plan: dict[str, Any]) -> None:
        self._check_token(n, token)
        self._record(ev.StepApplyCancelled(n=n, reason=reason))
        self._record(ev.StepPlanned(n=n, plan=plan, error=None))
        self._advance()

    def record_inverse(self, n: int, token: int, ok: bool, output: str) -> None:
        step = self.step(n)
        if step["token"] != token or not step["applying"]:
            raise StateConflictError(f"step {n}: stale fence {token}")
        kind = ev.StepInverseApplied if ok else ev.StepInverseFailed
        self._record(kind(n=n, output=output))

    def skip(self, actor: Actor, n: int, reason: str) -> None:
        """Skipping needs a reason, and a gated step someone other than the starter:
        otherwise skipping would be a way around the approval it needs."""
        step = self.step(n)
        if self.status not in ("running", "failed"):
            raise StateConflictError(f"run {self.id} is {self.status}")
        if step["state"] not in ("planned", "approved", "failed") or step["applying"]:
            raise StateConflictError(f"step {n} is {step['state']} and cannot be skipped")
        if not reason.strip():
            raise ValidationError(f"skipping step {n} needs a reason", param="reason")
        if step["approval"] == "required" and (actor.is_system
                                               or same_person(actor, self.started_by)):
            raise PermissionDeniedError(f"step {n} needs approval: someone other than the "
                                        "person who started the run must skip it")
        self._record(ev.StepSkipped(n=n, by=actor.name, reason=reason))
        self._advance()

    def abort(self, actor: Actor, reason: str) -> None:
        if self.status not in ("running", "failed"):
            raise StateConflictError(f"run {self.id} is {self.status} already")
        if any(s["applying"] for s in self.steps):
            raise StateConflictError("a step is being applied; abort when it has finished")
        if not reason.strip():
            raise ValidationError("aborting a run needs a reason", param="reason")
        self._record(ev.RunAborted(by=actor.name, reason=reason))

    # -- helpers ------------------------------------------------------------------
    def approval_expired(self, step: dict[str, Any], now: dt.datetime) -> bool:
        expires = step.get("approval_expires_at")
        return bool(expires) and _parse(str(expires)) <= now

    def _busy(self, step: dict[str, Any], now: dt.datetime) -> bool:
        until = step.get("until")
        return bool(step["applying"]) and bool(until) and _parse(str(until)) > now

    def _live_step(self, n: int) -> dict[str, Any]:
        step = self.step(n)
        if self.status not in ("running", "failed"):
            raise StateConflictError(f"run {self.id} is {self.status}")
        if step["applying"]:
            raise StateConflictError(f"step {n} is being applied right now")
        return step

    def _check_token(self, n: int, token: int) -> None:
        step = self.step(n)
        if step["token"] != token or not step["applying"]:
            raise StateConflictError(f"step {n}: stale fence {token}; the result is ignored")

    def _advance(self) -> None:
        """Skip the reached steps whose condition does not hold, then settle the status."""
        if self.status not in ("running", "failed"):
            return
        at = walk(self.steps)
        for n, reason in at.skips:
            self._record(ev.StepSkipped(n=n, by=AUTOMATIC, reason=reason, automatic=True))
        if at.finished:
            self._record(ev.RunCompleted())
        elif at.failed is not None and self.status != "failed":
            self._record(ev.RunFailed(n=at.failed))
        elif at.failed is None and self.status == "failed":
            self._record(ev.RunResumed(n=self.failed_step or 0))


def public(run: Run) -> dict[str, Any]:
    """The contract's run shape, plus a few fields the pages and operators use."""
    return {
        "id": run.number, "runbook": run.runbook, "revision": run.revision,
        "ticket_id": run.ticket_id, "status": run.status, "started_by": run.started_by,
        "params": run.params, "started_at": run.started_at, "finished_at": run.finished_at,
        "failed_step": run.failed_step, "abort_reason": run.reason or None,
        "aborted_by": run.aborted_by or None,
        "steps": [{
            "n": s["n"], "name": s["name"], "action": s["action"], "state": s["state"],
            "plan": s["plan"], "output": s["output"], "approved_by": s["approved_by"],
            "params": s["params"], "approval": s["approval"], "timeout": s["timeout"],
            "plan_error": s["plan_error"], "error": s["error"], "inverse": s["inverse"],
            "inverse_done": s["inverse_done"], "applying": s["applying"],
            "approval_expires_at": s["approval_expires_at"],
            "plan_digest": plan_digest(run.id, s), "when": _when_text(s["when"]),
            "failed_phase": s["failed_phase"], "skipped_by": s["skipped_by"],
            "skip_reason": s["skip_reason"],
        } for s in run.steps],
    }


def _when_text(when: Any) -> str | None:
    return f"step {when['step']} {when['state']}" if isinstance(when, dict) else None
