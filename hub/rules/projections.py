"""Read models of the rules feature: rules, reminders, the tickets' idle clocks, firings."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from hub.eventstore import StoredEvent
from hub.projections import TableProjection
from hub.rules.tables import rule_firings, rule_reminders, rule_ticket_activity, rules
from hub.rules.triggers import ACTIVITY_EVENT

#: Actors whose changes are the rules' own (``rule:<name>``): not a sign of life.
RULE_ACTOR_PREFIX = "rule:"
FIRED = "rule.fired"


def parse_utc(text: str) -> dt.datetime:
    """An ISO 8601 time as the naive UTC the database keeps."""
    moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    if moment.tzinfo is not None:
        moment = moment.astimezone(dt.UTC).replace(tzinfo=None)
    return moment


class RulesProjection(TableProjection):
    name = "rules"
    tables = (rules,)
    prefixes = ("rule-",)

    def _put(self, conn: sa.Connection, event: StoredEvent) -> None:
        spec: dict[str, Any] = event.data["spec"]
        key = event.stream_id.split("-", 1)[1]
        conn.execute(sa.delete(rules).where(rules.c.key == key))
        conn.execute(sa.insert(rules).values(
            key=key, name=spec["name"], on_trigger=spec["on"], enabled=spec["enabled"],
            run_order=spec["order"], version=event.version, spec=spec, updated_at=event.at,
            updated_by=str(event.meta.get("actor") or "")))

    def on_RuleDefined(self, conn: sa.Connection, event: StoredEvent) -> None:
        self._put(conn, event)

    def on_RuleChanged(self, conn: sa.Connection, event: StoredEvent) -> None:
        self._put(conn, event)

    def on_RuleDeleted(self, conn: sa.Connection, event: StoredEvent) -> None:
        conn.execute(sa.delete(rules).where(rules.c.key == event.stream_id.split("-", 1)[1]))


class RemindersProjection(TableProjection):
    name = "rule_reminders"
    tables = (rule_reminders,)
    prefixes = ("reminder-",)

    def on_ReminderSet(self, conn: sa.Connection, event: StoredEvent) -> None:
        d = event.data
        conn.execute(sa.delete(rule_reminders).where(rule_reminders.c.id == d["reminder_id"]))
        conn.execute(sa.insert(rule_reminders).values(
            id=d["reminder_id"], ticket_id=d["ticket_id"], due_at=parse_utc(d["due"]),
            note=d["note"], set_by=d["by"], set_at=event.at, state="pending"))

    def _end(self, conn: sa.Connection, event: StoredEvent, state: str) -> None:
        conn.execute(sa.update(rule_reminders)
                     .where(rule_reminders.c.id == event.data["reminder_id"])
                     .values(state=state, ended_at=event.at))

    def on_ReminderCancelled(self, conn: sa.Connection, event: StoredEvent) -> None:
        self._end(conn, event, "cancelled")

    def on_ReminderFired(self, conn: sa.Connection, event: StoredEvent) -> None:
        self._end(conn, event, "fired")


def _status_after(event: StoredEvent) -> str | None:
    """The ticket's status after ``event`` when the event sets one."""
    if event.type in ("TicketCreated", "TicketQueueChanged"):
        return str(event.data["status"])
    if event.type == "TicketStatusChanged":
        return str(event.data["new"])
    return None


class TicketActivityProjection:
    """Per ticket: the last change not made by automation; and every rule firing."""

    name = "rule_ticket_activity"
    tables = (rule_ticket_activity, rule_firings)

    def handles(self, event: StoredEvent) -> bool:
        return event.stream_id.startswith("ticket-")

    def apply(self, conn: sa.Connection, event: StoredEvent) -> None:
        ticket_id = int(event.stream_id.split("-", 1)[1])
        row = rule_ticket_activity.c.ticket_id == ticket_id
        if event.type == ACTIVITY_EVENT:
            if event.data.get("kind") == FIRED:
                self._fired(conn, ticket_id, event)
            return
        if event.type == "TicketMerged":
            conn.execute(sa.delete(rule_ticket_activity).where(row))
            return
        status = _status_after(event)
        if event.type == "TicketCreated":
            conn.execute(sa.delete(rule_ticket_activity).where(row))
            conn.execute(sa.insert(rule_ticket_activity).values(
                ticket_id=ticket_id, last_change_at=event.at, status=status or ""))
            return
        values: dict[str, Any] = {} if status is None else {"status": status}
        if not str(event.meta.get("actor") or "").startswith(RULE_ACTOR_PREFIX):
            values["last_change_at"] = event.at
        if values:
            conn.execute(sa.update(rule_ticket_activity).where(row).values(**values))

    def _fired(self, conn: sa.Connection, ticket_id: int, event: StoredEvent) -> None:
        detail = event.data.get("detail") or {}
        key, cause = str(detail.get("rule", "")).lower(), str(detail.get("cause", ""))
        if not key or not cause:
            return
        exists = conn.execute(sa.select(rule_firings.c.id).where(
            rule_firings.c.rule_key == key, rule_firings.c.cause == cause)).first()
        if exists is None:
            conn.execute(sa.insert(rule_firings).values(
                rule_key=key, cause=cause[:200], ticket_id=ticket_id, position=event.position,
                at=event.at, summary=str(event.data.get("summary", ""))[:500]))
