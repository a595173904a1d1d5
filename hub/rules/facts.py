"""What a rule knows when it decides: the ticket as it was at the triggering event, how
the ticket came in, and who caused the event; and the plain dict its templates see.

Facts are read at the event's position (not "now"), so a replay after a restart decides
exactly as the first run did.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from hub.accounts.queries import user_by_name
from hub.eventstore import StoredEvent
from hub.tickets import queries as tq

if TYPE_CHECKING:
    from hub.bootstrap import Hub

RULE_ACTOR_PREFIX = "rule:"


@dataclass(frozen=True)
class Facts:
    """One decision's inputs: ``state`` is the ticket's full snapshot (staff view)."""

    ticket_id: int
    state: dict[str, Any]
    origin: str                 # source of the ticket's first event (web, email, alert ...)
    trigger: str                # the rule ``on`` this answers
    event: dict[str, Any]       # {type, kind, actor, actor_kind, source, at, data}
    internal: frozenset[str]    # internal custom fields: never in templates

    @property
    def body(self) -> str:
        return str(self.event.get("data", {}).get("body") or "")


def actor_kind(conn: sa.Connection, name: str) -> str:
    """``staff``, ``customer`` or ``system`` for the name an event's metadata gives."""
    if not name or name.startswith(RULE_ACTOR_PREFIX):
        return "system"
    info = user_by_name(conn, name)
    if info is not None:
        return "staff" if info.is_staff else "customer"
    return "customer" if "@" in name else "system"


def read_facts(hub: Hub, conn: sa.Connection, ticket_id: int, trigger: str,
               event: StoredEvent | None) -> Facts | None:
    """The facts for ``trigger`` on ticket ``ticket_id``: at ``event`` if given (an event
    trigger), else as the ticket is now (a time condition). None if the ticket is gone."""
    stream = hub.store.read_stream(conn, f"ticket-{ticket_id}",
                                   to_position=event.position if event else None)
    state = tq.state_of(stream)
    if state is None or state.get("merged_into"):
        return None
    origin = str(stream[0].meta.get("source") or "")
    if event is None:
        described: dict[str, Any] = {"type": trigger, "kind": None, "actor": "scheduler",
                                     "actor_kind": "system", "source": "scheduler",
                                     "at": None, "data": {}}
    else:
        name = str(event.meta.get("actor") or "")
        described = {"type": event.type, "kind": event.data.get("kind"), "actor": name,
                     "actor_kind": actor_kind(conn, name),
                     "source": str(event.meta.get("source") or ""), "at": tq.iso(event.at),
                     "data": dict(event.data)}
    return Facts(ticket_id=ticket_id, state=state, origin=origin, trigger=trigger,
                 event=described, internal=tq.internal_fields(conn, state["queue"]))


def template_context(hub: Hub, facts: Facts, rule_name: str) -> dict[str, Any]:
    """Plain data only: the ticket's public facts (no internal fields, no AdminCc), the
    event (without the body of a private one), the rule's name. Nothing here reaches
    settings, secrets or live objects."""
    s = facts.state
    data = facts.event.get("data", {})
    # The text of a private event (an internal comment) must not reach a public reply
    # or a webhook through a template; automation's facts (an SLA clock, a reminder's
    # note) stay, rules on sla.* and reminder.due work with them.
    body = None if facts.event["type"] in tq.PRIVATE_EVENTS else data.get("body")
    event = {"type": facts.event["type"], "on": facts.trigger, "kind": facts.event["kind"],
             "actor": facts.event["actor"], "source": facts.event["source"],
             "at": facts.event["at"], "summary": data.get("summary"),
             "detail": dict(data.get("detail") or {}), "body": body}
    return {
        "ticket": {
            "id": s["id"], "subject": s["subject"], "queue": s["queue"], "status": s["status"],
            "owner": s["owner"] or "Nobody", "priority": s["priority"], "due": s["due"],
            "requestors": list(s["watchers"]["requestors"]), "cc": list(s["watchers"]["cc"]),
            "fields": {k: v for k, v in s["fields"].items() if k not in facts.internal},
            "created_at": s["created_at"], "updated_at": s["updated_at"],
            "source": facts.origin, "url": f"{hub.settings.public_url}/tickets/{s['id']}",
        },
        "event": event,
        "rule": {"name": rule_name},
    }
