"""Reactions of the runbooks feature to events of its own and of ops.

:class:`RunPlanner`: the API, the web form and the scheduler plan a run's steps
right after starting it; a run started by ``hub.bus.handle(StartRun(...))`` alone
(the mail gateway) is planned here, after the commit, so approvers see what each
step will change.

:class:`AlertRunbookSuggester`: ops (below runbooks) only records that a routing
rule named a runbook for a new alert ticket; the suggestion is made here. It is a
durable reactor, so a suggestion is not lost when the process stops, and it is
also subscribed to the bus so the suggestion follows the alert at once in the
process that handled it; both paths use one idempotency key per event, so the
suggestion (or its failure note) is made once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from hub.actors import system_actor
from hub.eventstore import StoredEvent
from hub.ops.events import AlertRunbookRouted
from hub.runbooks import commands as c

if TYPE_CHECKING:
    from hub.bootstrap import Hub

PLANNED_BY_CALLER = frozenset({"api", "web", "scheduler"})


class RunPlanner:
    name = "runbook_planner"
    event_types: ClassVar[frozenset[str]] = frozenset({"RunStarted"})

    def handles(self, event: StoredEvent) -> bool:
        return event.type in self.event_types and event.meta.get("via") not in PLANNED_BY_CALLER

    def react(self, hub: Hub, event: StoredEvent) -> None:
        from hub.runbooks.service import RunService

        run_id = int(event.stream_id.split("-", 1)[1])
        actor = system_actor("runbook", "runbook-planner")
        run = RunService(hub).read(run_id, actor)
        if any(s["plan"] or s["plan_error"] for s in run["steps"]):
            return
        RunService(hub).plan(run_id, None, actor)


class AlertRunbookSuggester:
    """Suggest the runbook an alert routing rule named on the alert's new ticket."""

    name = "runbook_alert_suggestions"
    event_types: ClassVar[frozenset[str]] = frozenset({AlertRunbookRouted.TYPE})

    def handles(self, event: StoredEvent) -> bool:
        return event.type in self.event_types

    def react(self, hub: Hub, event: StoredEvent) -> None:
        routed = AlertRunbookRouted.from_data(event.data)
        # The alert's own (system) actor, as when ops suggested in its transaction.
        actor = system_actor(str(event.meta.get("source") or "alert"),
                             str(event.meta.get("actor") or "alert-routing"))
        hub.bus.handle(
            c.SuggestRoutedRunbook(ticket_id=routed.ticket_id, runbook=routed.runbook,
                                   params=dict(routed.params),
                                   reason=f"alert routing: {routed.title}"),
            actor, idempotency_key=f"runbook-suggest:{event.stream_id}:{event.version}",
            correlation_id=event.meta.get("correlation_id"), causation_id=str(event.position))

    def subscribe(self, hub: Hub) -> None:
        """React right after the alert's commit in this process, too."""

        def now(event: StoredEvent) -> None:
            if self.handles(event):
                self.react(hub, event)

        hub.bus.subscribe(now)
