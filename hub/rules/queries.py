"""Typed reads of the rules feature: rules (staff), their firings, a ticket's reminders.

Firings and reminders name tickets, so they are filtered by the tickets' one access
rule (``visible_ids`` / ``get_state``): a staff member who may not see a ticket does
not learn from here that a rule fired on it or that someone set a reminder on it.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from hub.actors import Actor
from hub.domain import NotFoundError, PermissionDeniedError
from hub.rules.tables import rule_firings, rule_reminders, rules
from hub.tickets import queries as tq


def _staff(actor: Actor) -> None:
    if not actor.is_staff:
        raise PermissionDeniedError("rules are for staff")


def _rule(row: Any) -> dict[str, Any]:
    return {**row.spec, "version": int(row.version), "updated_at": tq.iso(row.updated_at),
            "updated_by": row.updated_by}


def list_rules(conn: sa.Connection, actor: Actor) -> list[dict[str, Any]]:
    """Every rule, in the order they run."""
    _staff(actor)
    rows = conn.execute(sa.select(rules).order_by(rules.c.run_order, rules.c.key))
    return [_rule(r) for r in rows]


def get_rule(conn: sa.Connection, actor: Actor, name: str) -> dict[str, Any]:
    _staff(actor)
    row = conn.execute(sa.select(rules).where(rules.c.key == name.lower())).first()
    if row is None:
        raise NotFoundError(f"rule {name} not found")
    return _rule(row)


def firings_of(conn: sa.Connection, actor: Actor, name: str,
               limit: int = 50) -> list[dict[str, Any]]:
    """The rule's latest firings on tickets the actor may see, newest first."""
    _staff(actor)
    rows = list(conn.execute(sa.select(rule_firings)
                             .where(rule_firings.c.rule_key == name.lower())
                             .order_by(rule_firings.c.id.desc()).limit(limit * 4)))
    seen = tq.visible_ids(conn, actor, [int(r.ticket_id) for r in rows])
    return [{"ticket_id": int(r.ticket_id), "cause": r.cause, "at": tq.iso(r.at),
             "summary": r.summary, "position": int(r.position)}
            for r in rows if int(r.ticket_id) in seen][:limit]


def _reminder(row: Any) -> dict[str, Any]:
    return {"id": row.id, "ticket_id": int(row.ticket_id), "due": tq.iso(row.due_at),
            "note": row.note, "by": row.set_by, "set_at": tq.iso(row.set_at),
            "state": row.state, "ended_at": tq.iso(row.ended_at)}


def reminders_of(conn: sa.Connection, actor: Actor, ticket_id: int,
                 include_ended: bool = True) -> list[dict[str, Any]]:
    """The reminders on a ticket, for staff who may see it: "not found" for those who may
    not see the ticket, "forbidden" for a customer looking at their own."""
    state = tq.get_state(conn, actor, ticket_id)
    if not actor.is_staff:
        raise PermissionDeniedError("reminders are for staff")
    query = sa.select(rule_reminders).where(rule_reminders.c.ticket_id == int(state["id"]))
    if not include_ended:
        query = query.where(rule_reminders.c.state == "pending")
    return [_reminder(r) for r in conn.execute(
        query.order_by(rule_reminders.c.due_at, rule_reminders.c.id))]
