"""Runbook commands: what an operator, a mail, an alert rule or the scheduler asks for.

``StartRun``'s constructor is part of the mail gateway's contract:
``StartRun(runbook="Runbooks.DrainWebNode", params={...}, ticket_id=...)``.
The ``Record*`` commands carry results of operations that ran outside the write
transaction (dry runs, changes, post-checks) back into the run's stream.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hub.bootstrap import Hub


@dataclass(frozen=True)
class StartRun:
    """The run's starter is always the actor the bus is given, never a field of this."""

    runbook: str  # "Web.Topic"
    params: dict[str, str]
    ticket_id: int | None = None


@dataclass(frozen=True)
class RecordPlan:
    """Dry-run results, one ``{n, plan}`` or ``{n, error}`` per step planned."""

    run_id: int
    results: list[dict[str, Any]]


@dataclass(frozen=True)
class ApproveStep:
    """``plan_digest`` names the plan approved, as ``GET /api/v1/runs/{id}`` shows it."""

    run_id: int
    n: int
    plan_digest: str | None = None


@dataclass(frozen=True)
class SkipStep:
    run_id: int
    n: int
    reason: str = ""


@dataclass(frozen=True)
class AbortRun:
    run_id: int
    reason: str = ""


@dataclass(frozen=True)
class BeginApply:
    """Check the step may be applied now and take the leases on its resources."""

    run_id: int
    n: int
    inverse: bool = False


@dataclass(frozen=True)
class RecordApplied:
    run_id: int
    n: int
    token: int
    output: str
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RecordVerified:
    run_id: int
    n: int
    token: int
    output: str


@dataclass(frozen=True)
class RecordFailed:
    run_id: int
    n: int
    token: int
    phase: str  # plan | apply | verify | timeout | approval
    error: str
    inverse: dict[str, Any] | None = None
    release: bool = True


@dataclass(frozen=True)
class CancelApply:
    """The fresh plan differs from the approved one: record it and ask for approval again."""

    run_id: int
    n: int
    token: int
    reason: str
    plan: dict[str, Any]


@dataclass(frozen=True)
class RecordInverse:
    run_id: int
    n: int
    token: int
    ok: bool
    output: str


@dataclass(frozen=True)
class ApplyTicketStep:
    """``ticket.comment`` / ``ticket.status`` change the linked ticket in one transaction."""

    run_id: int
    n: int


@dataclass(frozen=True)
class ReleaseLeases:
    token: int


@dataclass(frozen=True)
class SuggestRunbook:
    """Attach a suggested runbook (and its parameters) to a ticket, e.g. from alert routing."""

    ticket_id: int
    runbook: str
    params: dict[str, Any] = field(default_factory=dict)
    reason: str = ""


@dataclass(frozen=True)
class SuggestRoutedRunbook:
    """Alert routing named a runbook for a new alert ticket (ops' ``AlertRunbookRouted``).

    Like :class:`SuggestRunbook`, but a runbook name that cannot be suggested becomes
    a note on the ticket instead of an error: nobody is there to read the error.
    """

    ticket_id: int
    runbook: str
    params: dict[str, Any] = field(default_factory=dict)
    reason: str = ""


def install_demo(hub: Hub) -> list[str]:
    """``hub init``: the Runbooks web, its demo runbooks and the demo backup (idempotent);
    returns the ``Web.Topic`` names created."""
    from hub.runbooks.demo import install_demo as install

    return install(hub)
