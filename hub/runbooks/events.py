"""The runbooks feature's facts: a run's life step by step, and suggested runbooks.

Why typed: the run aggregate, the ``runbook_runs`` projection, the planner reactor
and ticket history all read these payloads by key; declaring every key once here
keeps the stored JSON of existing databases readable. Fields without a default
are always written, also when ``None`` (e.g. a plan that failed has ``plan: null``
and its ``error``), exactly as before the events were typed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hub.event_registry import Event, event


@event
@dataclass(frozen=True)
class RunStarted(Event):
    """A run pinned a runbook revision and its parsed, rendered and masked steps."""

    runbook: str
    revision: int
    ticket_id: int | None
    params: dict[str, Any]
    started_by: str
    steps: list[dict[str, Any]]


@event
@dataclass(frozen=True)
class StepPlanned(Event):
    """A dry run of step ``n``: its ``plan`` or the ``error`` that prevented one."""

    n: int
    plan: dict[str, Any] | None
    error: str | None


@event
@dataclass(frozen=True)
class StepApproved(Event):
    """Someone other than the starter approved the plan's ``changes`` until ``expires_at``."""

    n: int
    by: str
    at: str
    expires_at: str
    changes: list[Any]
    plan_digest: str = ""  # absent in events recorded before approvals named their plan


@event
@dataclass(frozen=True)
class StepApplyStarted(Event):
    """Step ``n`` is being applied under fencing ``token`` holding ``resources``."""

    n: int
    by: str
    token: int
    resources: list[str]
    until: str


@event
@dataclass(frozen=True)
class StepInverseStarted(Event):
    """The inverse of failed step ``n`` is being applied under fencing ``token``."""

    n: int
    by: str
    token: int
    resources: list[str]
    until: str


@event
@dataclass(frozen=True)
class StepApplyCancelled(Event):
    """The apply did not happen (the plan changed since it was approved)."""

    n: int
    reason: str


@event
@dataclass(frozen=True)
class StepApplied(Event):
    """The operation of step ``n`` changed the target; ``data`` may carry the new plan."""

    n: int
    output: str
    data: dict[str, Any]


@event
@dataclass(frozen=True)
class StepVerified(Event):
    """The post-check of step ``n`` saw the change."""

    n: int
    output: str


@event
@dataclass(frozen=True)
class StepFailed(Event):
    """Step ``n`` failed in ``phase``; ``inverse`` is the offered undo, if any."""

    n: int
    phase: str
    error: str
    inverse: dict[str, Any] | None


@event
@dataclass(frozen=True)
class StepInverseApplied(Event):
    """The inverse of step ``n`` was applied and verified."""

    n: int
    output: str


@event
@dataclass(frozen=True)
class StepInverseFailed(Event):
    """The inverse of step ``n`` failed."""

    n: int
    output: str


@event
@dataclass(frozen=True)
class StepSkipped(Event):
    """Step ``n`` was skipped, with a reason: by a person, or ``automatic``-ally by the
    run because the step's ``when:`` condition did not hold (``by`` is then "runbook")."""

    n: int
    by: str
    reason: str
    automatic: bool = False


@event
@dataclass(frozen=True)
class RunFailed(Event):
    """The run stopped at failed step ``n`` (a failed plan, apply, verify or timeout)."""

    n: int


@event
@dataclass(frozen=True)
class RunResumed(Event):
    """Failed step ``n`` was skipped or planned again, and the run goes on."""

    n: int


@event
@dataclass(frozen=True)
class RunCompleted(Event):
    """Every step is verified or skipped: the status is ``completed`` when none was
    skipped, else ``completed_with_skips`` (derived from the steps, also on replay)."""


@event
@dataclass(frozen=True)
class RunAborted(Event):
    """A person ended the run."""

    by: str
    reason: str


@event
@dataclass(frozen=True)
class RunbookSuggested(Event):
    """A runbook (with parameters) was suggested on a ticket, e.g. by alert routing."""

    ticket_id: int
    runbook: str
    params: dict[str, Any]
    reason: str
    by: str
