"""The rule engine: a durable reactor over ticket events, and the firing of one rule.

Each event of a ticket stream (and each automation activity such as ``sla.breach`` or
``reminder.due``) is offered to the enabled rules ``on`` it, lowest ``order`` first.
The reactor's tracked position and one idempotency key per action
(``rule:<name>:<event position>:<index>``) make a rule fire once per cause, also when
the reactor is restarted, replays a batch, or another node takes it over.

Loops: a rule never answers events its own actions caused (their actor is
``rule:<name>``), and a chain of rules answering each other stops after
:data:`MAX_CHAIN` links, counted along the events' causation ids.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, ClassVar

import sqlalchemy as sa

from hub.actors import system_actor
from hub.domain import DomainError
from hub.eventstore import StoredEvent
from hub.rules.actions import Firing, run_action
from hub.rules.conditions import holds
from hub.rules.facts import RULE_ACTOR_PREFIX, Facts, read_facts, template_context
from hub.rules.tables import rules
from hub.rules.templating import TemplateRejectedError
from hub.rules.triggers import ACTIVITY_EVENT, TICKET_EVENTS, trigger_of
from hub.tickets.commands import RecordTicketActivity

if TYPE_CHECKING:
    from hub.bootstrap import Hub

log = logging.getLogger(__name__)
MAX_CHAIN = 3
FIRED = "rule.fired"


def enabled_rules(conn: sa.Connection, trigger: str) -> list[dict[str, Any]]:
    """The enabled rules on ``trigger``, in the order they run."""
    rows = conn.execute(sa.select(rules.c.spec).where(
        rules.c.on_trigger == trigger, rules.c.enabled.is_(True))
        .order_by(rules.c.run_order, rules.c.key))
    return [dict(r.spec) for r in rows]


def chain_depth(hub: Hub, conn: sa.Connection, event: StoredEvent) -> int:
    """How many rule-made events lead to ``event`` (0: a person or system caused it)."""
    depth, current = 0, event
    while str(current.meta.get("actor") or "").startswith(RULE_ACTOR_PREFIX):
        depth += 1
        cause = str(current.meta.get("causation_id") or "")
        if depth >= MAX_CHAIN or not cause.isdigit():
            break
        found = hub.store.read_all(conn, int(cause) - 1, 1)
        if not found or found[0].position != int(cause):
            break
        current = found[0]
    return depth


def fire(hub: Hub, spec: dict[str, Any], facts: Facts, cause: str, *,
         correlation_id: str | None = None, causation_id: str | None = None) -> list[str]:
    """Run every action of ``spec`` for one cause and record the firing on the ticket.

    A refused action (a status the queue does not have, a template the sandbox stops)
    is recorded as failed and the next one still runs; database trouble propagates so
    the reactor or the job tries again, repeating nothing thanks to the keys.
    """
    name = spec["name"]
    actor = system_actor("system", f"{RULE_ACTOR_PREFIX}{name}")
    firing = Firing(hub=hub, spec=spec, facts=facts, cause=cause, actor=actor,
                    context=template_context(hub, facts, name), correlation_id=correlation_id,
                    causation_id=causation_id)
    done: list[str] = []
    failed = False
    for index, action in enumerate(spec["do"]):
        try:
            done.append(run_action(firing, index, action))
        except (DomainError, TemplateRejectedError) as exc:
            failed = True
            message = exc.message if isinstance(exc, DomainError) else str(exc)
            done.append(f"{action['action']} failed: {message}")
    summary = f"Rule {name}: {'; '.join(done)}"
    if len(summary) > 500:
        summary = summary[:497] + "..."
    detail = {"rule": name, "cause": cause, "on": spec["on"], "actions": done,
              "failed": failed}
    try:
        firing.send(RecordTicketActivity(ticket_id=facts.ticket_id, kind=FIRED,
                                         summary=summary, detail=detail),
                    f"rule:{name.lower()}:{cause}:fired")
    except DomainError as exc:  # e.g. an action merged the ticket away
        log.warning("rule %s: could not record its firing on ticket %s: %s", name,
                    facts.ticket_id, exc)
    log.info("%s (ticket %s, cause %s)", summary, facts.ticket_id, cause)
    return done


class RuleEngine:
    """The reactor: offers each ticket event to the rules on it."""

    name = "rules"
    event_types: ClassVar[frozenset[str]] = frozenset({*TICKET_EVENTS, ACTIVITY_EVENT})

    def handles(self, event: StoredEvent) -> bool:
        return event.type in self.event_types and event.stream_id.startswith("ticket-")

    def react(self, hub: Hub, event: StoredEvent) -> None:
        trigger = trigger_of(event.type, event.data.get("kind"))
        if trigger is None:
            return
        ticket_id = int(event.stream_id.split("-", 1)[1])
        with hub.engine.connect() as conn:
            candidates = enabled_rules(conn, trigger)
            if not candidates:
                return
            depth = chain_depth(hub, conn, event)
            facts = read_facts(hub, conn, ticket_id, trigger, event)
        if facts is None:
            return
        by = str(event.meta.get("actor") or "")
        for spec in candidates:
            if by.lower() == f"{RULE_ACTOR_PREFIX}{spec['name']}".lower():
                continue  # a rule never answers its own doing
            if depth >= MAX_CHAIN:
                log.warning("rule %s not run on event %s: %d rules already led to it",
                            spec["name"], event.position, depth)
                continue
            if holds(spec["if"], facts):
                fire(hub, spec, facts, str(event.position),
                     correlation_id=event.meta.get("correlation_id"),
                     causation_id=str(event.position))
