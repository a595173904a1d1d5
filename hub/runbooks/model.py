"""The Run aggregate: one execution of a runbook topic, step by step, as events.

A run pins the topic revision and the parsed steps it started from (RunStarted),
so editing the wiki page never changes a run in flight. Each step goes
planned -> (approved) -> applied -> verified, or failed / skipped; a step can only
be applied when every earlier step is verified or skipped, and a failure stops
the run and offers the step's inverse. The operations themselves run outside the
write transaction; their results come back through ``record_*`` methods, which
check the fencing token so a late result of an abandoned attempt changes nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

from hub.actors import Actor
from hub.domain import (
    Aggregate,
    NotFoundError,
    PermissionDeniedError,
    StateConflictError,
    ValidationError,
)
from hub.runbooks import events as ev

STEP_STATES = ("planned", "approved", "applied", "verified", "failed", "skipped")
DONE = ("verified", "skipped")
RUN_STATUSES = ("running", "failed", "completed", "aborted")


def _iso(value: dt.datetime) -> str:
    return value.isoformat(timespec="seconds") + "Z"


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


class Run(Aggregate):
    stream_prefix = "run"

    def __init__(self, aggregate_id: str) -> None:
        super().__init__(aggregate_id)
        self.runbook = ""
        self.revision = 0
        self.ticket_id: int | None = None
        self.params: dict[str, Any] = {}
        self.started_by = ""
        self.status = ""
        self.steps: list[dict[str, Any]] = []
        self.reason = ""

    @property
    def number(self) -> int:
        return int(self.id)

    def step(self, n: int) -> dict[str, Any]:
        if not 1 <= n <= len(self.steps):
            raise NotFoundError(f"run {self.id} has no step {n}")
        return self.steps[n - 1]

    # -- commands -----------------------------------------------------------------
    def start(self, actor: Actor, *, runbook: str, revision: int, ticket_id: int | None,
              params: dict[str, Any], steps: list[dict[str, Any]]) -> None:
        if self.exists:
            raise StateConflictError(f"run {self.id} exists already")
        self._record(ev.RunStarted(runbook=runbook, revision=revision, ticket_id=ticket_id,
                                   params=params, started_by=actor.name, steps=steps))

    def record_plans(self, results: list[dict[str, Any]]) -> list[int]:
        """Store dry runs of steps that are not under way; returns the step numbers kept."""
        kept: list[int] = []
        for result in results:
            step = self.step(int(result["n"]))
            if step["state"] in ("planned", "approved") and not step["applying"]:
                self._record(ev.StepPlanned(n=step["n"], plan=result.get("plan"),
                                            error=result.get("error")))
                kept.append(step["n"])
        return kept

    def approve(self, actor: Actor, n: int, now: dt.datetime, ttl: float,
                digest: str | None = None) -> None:
        """Four eyes: a person other than the starter approves the plan named by ``digest``."""
        if actor.is_system or same_person(actor, self.started_by):
            raise PermissionDeniedError("someone other than the person who started the run "
                                        "must approve its steps")
        step = self._live_step(n)
        if step["approval"] != "required":
            raise StateConflictError(f"step {n} needs no approval")
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
        waiting = [s["n"] for s in self.steps[: n - 1] if s["state"] not in DONE]
        if waiting:
            raise StateConflictError(f"step {n} must wait: step {waiting[0]} is not verified "
                                     "or skipped yet")
        return step

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
        self._maybe_complete()

    def record_failed(self, n: int, token: int, phase: str, error: str,
                      inverse: dict[str, Any] | None) -> None:
        self._check_token(n, token)
        self._record(ev.StepFailed(n=n, phase=phase, error=error, inverse=inverse))
        self._record(ev.RunFailed(n=n))

    def cancel_apply(self, n: int, token: int, reason: str, plan: dict[str, Any]) -> None:
        self._check_token(n, token)
        self._record(ev.StepApplyCancelled(n=n, reason=reason))
        self._record(ev.StepPlanned(n=n, plan=plan, error=None))

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
        if self.status == "failed" and not any(s["state"] == "failed" for s in self.steps):
            self._record(ev.RunResumed(n=n))
        self._maybe_complete()

    def abort(self, actor: Actor, reason: str) -> None:
        if self.status not in ("running", "failed"):
            raise StateConflictError(f"run {self.id} is {self.status} already")
        if any(s["applying"] for s in self.steps):
            raise StateConflictError("a step is being applied; abort when it has finished")
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
        if self.status != "running":
            raise StateConflictError(f"run {self.id} is {self.status}")
        if step["applying"]:
            raise StateConflictError(f"step {n} is being applied right now")
        return step

    def _check_token(self, n: int, token: int) -> None:
        step = self.step(n)
        if step["token"] != token or not step["applying"]:
            raise StateConflictError(f"step {n}: stale fence {token}; the result is ignored")

    def _maybe_complete(self) -> None:
        if self.status == "running" and all(s["state"] in DONE for s in self.steps):
            self._record(ev.RunCompleted())

    # -- appliers -----------------------------------------------------------------
    def _on_RunStarted(self, d: dict[str, Any]) -> None:
        self.runbook, self.revision, self.ticket_id = d["runbook"], d["revision"], d["ticket_id"]
        self.params, self.started_by, self.status = d["params"], d["started_by"], "running"
        self.steps = [{**s, "state": "planned", "plan": None, "plan_error": None,
                       "output": "", "approved_by": None, "approval_expires_at": None,
                       "approved_digest": None,
                       "applying": False, "token": None, "until": None, "error": None,
                       "inverse": None, "inverse_done": False} for s in d["steps"]]

    def _on_StepPlanned(self, d: dict[str, Any]) -> None:
        step = self.step(d["n"])
        old = (step["plan"] or {}).get("changes")
        step["plan"], step["plan_error"] = d.get("plan"), d.get("error")
        if step["state"] == "approved" and (d.get("plan") or {}).get("changes") != old:
            step["state"], step["approved_by"], step["approval_expires_at"] = "planned", None, None
            step["approved_digest"] = None

    def _on_StepApproved(self, d: dict[str, Any]) -> None:
        step = self.step(d["n"])
        step["state"], step["approved_by"] = "approved", d["by"]
        step["approval_expires_at"] = d["expires_at"]
        step["approved_digest"] = d.get("plan_digest") or None

    def _on_StepApplyStarted(self, d: dict[str, Any]) -> None:
        step = self.step(d["n"])
        step["applying"], step["token"], step["until"] = True, d["token"], d["until"]

    _on_StepInverseStarted = _on_StepApplyStarted

    def _on_StepApplyCancelled(self, d: dict[str, Any]) -> None:
        self.step(d["n"])["applying"] = False

    def _on_StepApplied(self, d: dict[str, Any]) -> None:
        step = self.step(d["n"])
        step["state"], step["output"] = "applied", d["output"]
        if d.get("data", {}).get("plan"):
            step["plan"] = d["data"]["plan"]

    def _on_StepVerified(self, d: dict[str, Any]) -> None:
        step = self.step(d["n"])
        step["state"], step["applying"] = "verified", False
        step["output"] = f"{step['output']}\n{d['output']}".strip()

    def _on_StepFailed(self, d: dict[str, Any]) -> None:
        step = self.step(d["n"])
        step["state"], step["applying"] = "failed", False
        step["error"], step["inverse"] = f"{d['phase']}: {d['error']}", d.get("inverse")
        step["output"] = f"{step['output']}\n{d['phase']} failed: {d['error']}".strip()

    def _on_StepInverseApplied(self, d: dict[str, Any]) -> None:
        step = self.step(d["n"])
        step["applying"], step["inverse_done"] = False, True
        step["output"] = f"{step['output']}\ninverse: {d['output']}".strip()

    def _on_StepInverseFailed(self, d: dict[str, Any]) -> None:
        step = self.step(d["n"])
        step["applying"] = False
        step["output"] = f"{step['output']}\ninverse failed: {d['output']}".strip()

    def _on_StepSkipped(self, d: dict[str, Any]) -> None:
        self.step(d["n"])["state"] = "skipped"

    def _on_RunFailed(self, d: dict[str, Any]) -> None:
        self.status = "failed"

    def _on_RunResumed(self, d: dict[str, Any]) -> None:
        self.status = "running"

    def _on_RunCompleted(self, d: dict[str, Any]) -> None:
        self.status = "completed"

    def _on_RunAborted(self, d: dict[str, Any]) -> None:
        self.status, self.reason = "aborted", d.get("reason", "")


def public(run: Run) -> dict[str, Any]:
    """The contract's run shape, plus a few fields the pages and operators use."""
    return {
        "id": run.number, "runbook": run.runbook, "revision": run.revision,
        "ticket_id": run.ticket_id, "status": run.status, "started_by": run.started_by,
        "params": run.params,
        "steps": [{
            "n": s["n"], "name": s["name"], "action": s["action"], "state": s["state"],
            "plan": s["plan"], "output": s["output"], "approved_by": s["approved_by"],
            "params": s["params"], "approval": s["approval"], "timeout": s["timeout"],
            "plan_error": s["plan_error"], "error": s["error"], "inverse": s["inverse"],
            "inverse_done": s["inverse_done"], "applying": s["applying"],
            "approval_expires_at": s["approval_expires_at"],
            "plan_digest": plan_digest(run.id, s),
        } for s in run.steps],
    }
