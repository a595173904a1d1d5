"""What the runbook pages say about a runbook before it runs: steps, parameters, problems.

The runbooks index and each runbook's page read a topic the same way a run will
(:func:`hub.runbooks.steps.parse_runbook`), and tell in advance what would stop it:
parse errors (the run is refused) and steps naming a pool or VIP the configuration
does not declare (the run starts, and that step fails to plan with the same words).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from hub.actors import Actor
from hub.runbooks.config import unconfigured
from hub.runbooks.source import RunbookText, source_of
from hub.runbooks.steps import ParamSpec, Runbook, StepSpec, parse_runbook

if TYPE_CHECKING:
    from hub.bootstrap import Hub


@dataclass(frozen=True)
class RunbookEntry:
    """One runbook as the index and its page show it."""

    web: str
    topic: str
    title: str
    revision: int
    book: Runbook
    executable: bool
    warnings: dict[int, str] = field(default_factory=dict)  # step n -> configuration gap

    @property
    def name(self) -> str:
        return f"{self.web}.{self.topic}"

    @property
    def steps(self) -> list[StepSpec]:
        return self.book.steps

    @property
    def params(self) -> list[ParamSpec]:
        return self.book.params

    @property
    def errors(self) -> list[str]:
        return self.book.errors

    @property
    def needs_ticket(self) -> bool:
        """Steps that comment on or change the ticket need a run linked to one."""
        return any(s.action.startswith("ticket.") for s in self.book.steps)


def describe(hub: Hub, conn: sa.Connection, actor: Actor, page: RunbookText) -> RunbookEntry:
    book = parse_runbook(page.text)
    warnings = {}
    for step in book.steps:
        problem = unconfigured(hub, step.action, step.params)
        if problem:
            warnings[step.n] = problem
    executable = source_of(hub).can_execute(conn, actor, page.web, page.topic)
    return RunbookEntry(page.web, page.topic, page.title or page.topic, page.revision, book,
                        executable, warnings)


def catalog(hub: Hub, conn: sa.Connection, actor: Actor) -> list[RunbookEntry]:
    """Every runbook topic the actor may view (a topic with at least one ``op`` block)."""
    entries = []
    for page in source_of(hub).runbooks(conn, actor):
        entry = describe(hub, conn, actor, page)
        if entry.book.blocks:
            entries.append(entry)
    return entries


def param_summary(p: ParamSpec) -> dict[str, Any]:
    """A declared parameter as the index lists it."""
    return {"name": p.name, "type": p.type, "required": p.required and p.default is None,
            "default": p.default, "choices": list(p.choices), "description": p.description}
