"""What a run is, as its events made it: the state the Run aggregate's rules read.

Kept apart from :mod:`hub.runbooks.model` (the rules) so that each reads in one go:
here only the appliers change state, one per event type, and replaying a run's
stream through them gives the same state the rules saw when they recorded it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from hub.domain import Aggregate, NotFoundError
from hub.eventstore import StoredEvent
from hub.runbooks.progress import final_status


def iso(value: dt.datetime) -> str:
    return value.isoformat(timespec="seconds") + "Z"


class RunState(Aggregate):
    """A run's state: its pinned steps, each with state, plan, approval and result."""

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
        self.aborted_by = ""
        self.failed_step: int | None = None
        self.started_at: str | None = None
        self.finished_at: str | None = None

    @property
    def number(self) -> int:
        return int(self.id)

    def step(self, n: int) -> dict[str, Any]:
        if not 1 <= n <= len(self.steps):
            raise NotFoundError(f"run {self.id} has no step {n}")
        return self.steps[n - 1]

    # -- appliers -----------------------------------------------------------------
    def _on_RunStarted(self, d: dict[str, Any]) -> None:
        self.runbook, self.revision, self.ticket_id = d["runbook"], d["revision"], d["ticket_id"]
        self.params, self.started_by, self.status = d["params"], d["started_by"], "running"
        self.steps = [{"when": None, **s, "state": "planned", "plan": None,
                       "plan_error": None, "output": "", "approved_by": None,
                       "approval_expires_at": None, "approved_digest": None,
                       "applying": False, "token": None, "until": None, "error": None,
                       "failed_phase": None, "inverse": None, "inverse_done": False,
                       "skipped_by": None, "skip_reason": None} for s in d["steps"]]

    def _on_StepPlanned(self, d: dict[str, Any]) -> None:
        step = self.step(d["n"])
        old = (step["plan"] or {}).get("changes")
        step["plan"], step["plan_error"] = d.get("plan"), d.get("error")
        if d.get("error"):  # a plan that cannot be made is a failed step, with its error
            step["state"], step["failed_phase"] = "failed", "plan"
            step["error"], step["plan"] = f"plan: {d['error']}", None
            step["approved_by"] = step["approval_expires_at"] = step["approved_digest"] = None
            return
        if step["state"] == "failed":
            step["state"], step["failed_phase"], step["error"] = "planned", None, None
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
        step["state"], step["applying"], step["failed_phase"] = "failed", False, d["phase"]
        step["error"], step["inverse"] = f"{d['phase']}: {d['error']}", d.get("inverse")
        if d["phase"] == "plan":
            step["plan_error"] = d["error"]
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
        step = self.step(d["n"])
        step["state"], step["skipped_by"], step["skip_reason"] = "skipped", d["by"], d["reason"]

    def _on_RunFailed(self, d: dict[str, Any]) -> None:
        self.status, self.failed_step = "failed", d["n"]

    def _on_RunResumed(self, d: dict[str, Any]) -> None:
        self.status, self.failed_step = "running", None

    def _on_RunCompleted(self, d: dict[str, Any]) -> None:
        self.status = final_status(self.steps)

    def _on_RunAborted(self, d: dict[str, Any]) -> None:
        self.status, self.reason = "aborted", d.get("reason", "")
        self.aborted_by = d.get("by", "")

    def _observe(self, event: StoredEvent) -> None:
        """Keep when the run started and when it last stopped (for lists and pages)."""
        if event.type == "RunStarted":
            self.started_at = iso(event.at)
        elif event.type in ("RunCompleted", "RunAborted", "RunFailed"):
            self.finished_at = iso(event.at)
        elif event.type == "RunResumed":
            self.finished_at = None
