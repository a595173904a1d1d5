"""Plan runs that were started without a planner at hand (mail commands, other callers).

The API, the web form and the scheduler plan a run's steps right after starting
it; a run started by ``hub.bus.handle(StartRun(...))`` alone (the mail gateway)
is planned here, after the commit, so approvers see what each step will change.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hub.actors import system_actor
from hub.eventstore import StoredEvent

if TYPE_CHECKING:
    from hub.bootstrap import Hub

PLANNED_BY_CALLER = frozenset({"api", "web", "scheduler"})


class RunPlanner:
    name = "runbook_planner"

    def handles(self, event: StoredEvent) -> bool:
        return event.type == "RunStarted" and event.meta.get("via") not in PLANNED_BY_CALLER

    def react(self, hub: Hub, event: StoredEvent) -> None:
        from hub.runbooks.service import RunService

        run_id = int(event.stream_id.split("-", 1)[1])
        actor = system_actor("runbook", "runbook-planner")
        run = RunService(hub).read(run_id, actor)
        if any(s["plan"] or s["plan_error"] for s in run["steps"]):
            return
        RunService(hub).plan(run_id, None, actor)
