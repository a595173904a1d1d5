"""Aggregates of the on-call feature: a schedule, a policy, and a page.

The page is the one with rules: it escalates only from the step and round the
caller saw (so two nodes, or a retry, cannot skip a step), only once its wait is
over, and never after an acknowledgement or a resolve.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from hub.domain import Aggregate, StateConflictError
from hub.durations import parse_duration
from hub.oncall import events as ev

TRIGGERED, ACKNOWLEDGED, RESOLVED = "triggered", "acknowledged", "resolved"


def iso(at: dt.datetime) -> str:
    """Naive UTC as ISO 8601 with its ``Z``, the form every time of the API takes."""
    return at.replace(microsecond=0).isoformat() + "Z"


def parse_iso(text: str) -> dt.datetime:
    """Back to naive UTC (times stored before the ``Z`` was written read the same)."""
    return dt.datetime.fromisoformat(text.removesuffix("Z"))


class _SavedDocument(Aggregate):
    """A named document saved whole (a schedule, a policy): one event per real change."""

    saved: Any = None  # the event class recording a save

    def __init__(self, aggregate_id: str) -> None:
        super().__init__(aggregate_id)
        self.document: dict[str, Any] = {}

    def save(self, document: dict[str, Any], by: str) -> bool:
        if self.exists and self.document == document:
            return False
        self._record(self.saved(name=self.id, document=document, by=by))
        return True

    def _keep(self, d: dict[str, Any]) -> None:
        self.document = dict(d["document"])


class OnCallSchedule(_SavedDocument):
    stream_prefix = "oncall_schedule"
    saved = ev.OnCallScheduleSaved

    def _on_OnCallScheduleSaved(self, d: dict[str, Any]) -> None:
        self._keep(d)


class EscalationPolicy(_SavedDocument):
    stream_prefix = "oncall_policy"
    saved = ev.EscalationPolicySaved

    def _on_EscalationPolicySaved(self, d: dict[str, Any]) -> None:
        self._keep(d)


class Page(Aggregate):
    stream_prefix = "page"

    def __init__(self, aggregate_id: str) -> None:
        super().__init__(aggregate_id)
        self.ticket_id = 0
        self.policy = ""
        self.steps: list[dict[str, Any]] = []
        self.repeat = 0
        self.code = ""
        self.reason = ""
        self.state = TRIGGERED
        self.step = 1
        self.round = 0
        self.next_at: str | None = None
        self.exhausted = False
        self.notified: list[dict[str, Any]] = []
        self.triggered_at = ""
        self.acknowledged_by: str | None = None
        self.acknowledged_via: str | None = None
        self.acknowledged_at: str | None = None
        self.resolved_at: str | None = None

    @property
    def number(self) -> int:
        return int(self.id)

    def wait_of(self, step: int) -> dt.timedelta:
        return parse_duration(self.steps[step - 1]["wait"])

    def current_step(self) -> dict[str, Any]:
        return self.steps[self.step - 1]

    # -- commands ------------------------------------------------------------------------
    def trigger(self, ticket_id: int, policy: str, steps: list[dict[str, Any]], repeat: int,
                code: str, reason: str, at: dt.datetime) -> None:
        first_wait = parse_duration(steps[0]["wait"])
        self._record(ev.PageTriggered(
            page_id=self.number, ticket_id=ticket_id, policy=policy, steps=steps,
            repeat=repeat, code=code, reason=reason, at=iso(at), next_at=iso(at + first_wait)))

    def notified_already(self, user: str, via: str, step: int, round_: int) -> bool:
        return any(n["user"] == user and n["via"] == via and n["step"] == step
                   and n["round"] == round_ for n in self.notified)

    def record_notified(self, user: str, via: str, step: int, round_: int, at: dt.datetime,
                        notification: str | None) -> bool:
        if self.notified_already(user, via, step, round_):
            return False
        self._record(ev.PageNotified(user=user, via=via, step=step, round=round_, at=iso(at),
                                     notification=notification))
        return True

    def escalate(self, seen_step: int, seen_round: int, at: dt.datetime) -> str:
        """Move on if the wait of the step the caller saw is over: ``escalated``,
        ``exhausted`` or ``not_due`` (nothing recorded)."""
        if self.state != TRIGGERED or self.exhausted or self.next_at is None:
            return "not_due"
        if (self.step, self.round) != (seen_step, seen_round) or parse_iso(self.next_at) > at:
            return "not_due"
        step, round_ = self.step + 1, self.round
        if step > len(self.steps):
            step, round_ = 1, self.round + 1
        if round_ > self.repeat:
            self._record(ev.PageExhausted(at=iso(at), rounds=self.repeat + 1))
            return "exhausted"
        self._record(ev.PageEscalated(step=step, round=round_, at=iso(at),
                                      next_at=iso(at + self.wait_of(step))))
        return "escalated"

    def acknowledge(self, by: str, via: str, at: dt.datetime) -> bool:
        if self.state == ACKNOWLEDGED:
            return False
        if self.state == RESOLVED:
            raise StateConflictError(f"page {self.id} is resolved", state=self.state)
        self._record(ev.PageAcknowledged(by=by, via=via, at=iso(at)))
        return True

    def resolve(self, by: str, reason: str, at: dt.datetime) -> bool:
        if self.state == RESOLVED:
            return False
        self._record(ev.PageResolved(by=by, reason=reason, at=iso(at)))
        return True

    # -- appliers ------------------------------------------------------------------------
    def _on_PageTriggered(self, d: dict[str, Any]) -> None:
        self.ticket_id = int(d["ticket_id"])
        self.policy = d["policy"]
        self.steps = list(d["steps"])
        self.repeat = int(d["repeat"])
        self.code = d["code"]
        self.reason = d["reason"]
        self.triggered_at = d["at"]
        self.next_at = d["next_at"]

    def _on_PageNotified(self, d: dict[str, Any]) -> None:
        self.notified.append({"user": d["user"], "via": d["via"], "at": d["at"],
                              "step": d["step"], "round": d["round"],
                              "notification": d.get("notification")})

    def _on_PageEscalated(self, d: dict[str, Any]) -> None:
        self.step = int(d["step"])
        self.round = int(d["round"])
        self.next_at = d["next_at"]

    def _on_PageExhausted(self, d: dict[str, Any]) -> None:
        self.exhausted = True
        self.next_at = None

    def _on_PageAcknowledged(self, d: dict[str, Any]) -> None:
        self.state = ACKNOWLEDGED
        self.acknowledged_by = d["by"]
        self.acknowledged_via = d["via"]
        self.acknowledged_at = d["at"]
        self.next_at = None

    def _on_PageResolved(self, d: dict[str, Any]) -> None:
        self.state = RESOLVED
        self.resolved_at = d["at"]
        self.next_at = None


def public(page: Page) -> dict[str, Any]:
    """The contract's page shape (plus what the ticket page shows)."""
    return {
        "id": page.number, "ticket_id": page.ticket_id, "state": page.state, "code": page.code,
        "step": page.step, "round": page.round, "policy": page.policy,
        "steps": len(page.steps), "repeat": page.repeat,
        "exhausted": page.exhausted, "next_escalation_at": page.next_at,
        "triggered_at": page.triggered_at, "reason": page.reason,
        "acknowledged_by": page.acknowledged_by, "acknowledged_via": page.acknowledged_via,
        "acknowledged_at": page.acknowledged_at, "resolved_at": page.resolved_at,
        "notified": [{"user": n["user"], "via": n["via"], "at": n["at"], "step": n["step"],
                      "round": n["round"], "notification": n.get("notification")}
                     for n in page.notified],
    }

