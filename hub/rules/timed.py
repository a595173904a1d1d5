"""Time conditions: ``ticket.idle`` rules and due reminders, checked by the scheduler.

``ticket.idle`` with ``for: 3d`` fires on a ticket nobody touched for three days: its
clock is the last change that was not automation (SLA notes, pages, rule firings and
the rules' own changes do not count), so a rule that comments on an idle ticket does
not restart the wait. The cause is the ticket and the moment it became idle
(``idle:<ticket>:<time>``): the same stretch of idleness fires a rule once, a new
stretch (after someone acts) fires it again. Without an ``if.status`` condition only
tickets in an active status of their queue's lifecycle count as idle.

A due reminder is put on its ticket (``reminder.due``, which rules may be on), mailed
to the one who set it through the channels' ``Notify``, then marked fired; each step
has its own idempotency key, so a crash between them repeats nothing.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from hub.actors import system_actor
from hub.channels.commands import Notify
from hub.domain import DomainError
from hub.durations import parse_duration
from hub.eventstore import utcnow
from hub.rules import commands as c
from hub.rules.conditions import holds
from hub.rules.engine import enabled_rules, fire
from hub.rules.facts import read_facts
from hub.rules.tables import rule_firings, rule_reminders, rule_ticket_activity
from hub.rules.triggers import IDLE
from hub.tickets import queries as tq
from hub.tickets.commands import RecordTicketActivity

if TYPE_CHECKING:
    from apscheduler.schedulers.background import BackgroundScheduler

    from hub.bootstrap import Hub

log = logging.getLogger(__name__)
BATCH = 200
CHECK_SECONDS = 15


INACTIVE = ("resolved", "rejected", "deleted")


def _idle_candidates(conn: sa.Connection, spec: dict[str, Any], cutoff: dt.datetime,
                     wait: dt.timedelta) -> list[tuple[int, str]]:
    """Tickets idle since before ``cutoff`` that this rule has not answered since they
    became idle, with the cause naming that stretch of idleness."""
    activity, firings = rule_ticket_activity, rule_firings
    answered = sa.exists().where(firings.c.rule_key == spec["name"].lower(),
                                 firings.c.ticket_id == activity.c.ticket_id,
                                 firings.c.at >= activity.c.last_change_at)
    statuses = spec["if"].get("status")
    status_filter = (activity.c.status.in_(statuses) if statuses
                     else activity.c.status.not_in(INACTIVE))
    rows = conn.execute(
        sa.select(activity.c.ticket_id, activity.c.last_change_at)
        .where(activity.c.last_change_at <= cutoff, status_filter, ~answered)
        .order_by(activity.c.last_change_at).limit(BATCH))
    causes = [(int(r.ticket_id), f"idle:{r.ticket_id}:{tq.iso(r.last_change_at + wait)}")
              for r in rows]
    if not causes:
        return []
    done = {str(r.cause) for r in conn.execute(sa.select(firings.c.cause).where(
        firings.c.rule_key == spec["name"].lower(),
        firings.c.cause.in_([cause for _, cause in causes])))}
    return [(t, cause) for t, cause in causes if cause not in done]


def check_idle(hub: Hub, now: dt.datetime | None = None) -> int:
    """Fire the ``ticket.idle`` rules on the tickets idle long enough; returns firings."""
    now = now or utcnow()
    fired = 0
    with hub.engine.connect() as conn:
        specs = enabled_rules(conn, IDLE)
    for spec in specs:
        wait = parse_duration(spec["for"])
        with hub.engine.connect() as conn:
            candidates = _idle_candidates(conn, spec, now - wait, wait)
        for ticket_id, cause in candidates:
            with hub.engine.connect() as conn:
                facts = read_facts(hub, conn, ticket_id, IDLE, None)
                active = facts is not None and tq.lifecycle_of(
                    conn, facts.state["queue"]).is_active(facts.state["status"])
            if facts is None or ("status" not in spec["if"] and not active):
                continue
            if holds(spec["if"], facts):
                fire(hub, spec, facts, cause)
                fired += 1
    return fired


def _due_reminders(hub: Hub, now: dt.datetime) -> list[Any]:
    with hub.engine.connect() as conn:
        return list(conn.execute(sa.select(rule_reminders).where(
            rule_reminders.c.state == "pending", rule_reminders.c.due_at <= now)
            .order_by(rule_reminders.c.due_at).limit(BATCH)))


def fire_reminders(hub: Hub, now: dt.datetime | None = None) -> int:
    """Put every due reminder on its ticket and mail its owner; returns how many fired."""
    actor = system_actor("scheduler", "reminders")
    count = 0
    for row in _due_reminders(hub, now or utcnow()):
        key = f"reminder:{row.id}"
        note = row.note or "(no note)"
        detail = {"reminder_id": row.id, "by": row.set_by, "note": row.note,
                  "due": tq.iso(row.due_at)}
        try:
            hub.bus.handle(RecordTicketActivity(
                ticket_id=int(row.ticket_id), kind="reminder.due",
                summary=f"Reminder for {row.set_by}: {note}"[:500], detail=detail),
                actor, idempotency_key=f"{key}:due")
            hub.bus.handle(Notify(
                via="mail", user=row.set_by, ticket_id=int(row.ticket_id), cause=key,
                subject=f"Reminder: ticket #{row.ticket_id}",
                text=f"You asked to be reminded about ticket #{row.ticket_id}.\n\n{note}\n\n"
                     f"{hub.settings.public_url}/tickets/{row.ticket_id}\n"),
                actor, idempotency_key=f"{key}:mail")
        except DomainError as exc:  # the ticket is gone: the reminder still ends
            log.warning("reminder %s on ticket %s: %s", row.id, row.ticket_id, exc)
        hub.bus.handle(c.FireReminder(reminder_id=row.id), actor,
                       idempotency_key=f"{key}:fired")
        count += 1
    return count


def run_timed(hub: Hub) -> None:
    """The scheduler job: due reminders first (rules may be on them), then idle tickets."""
    try:
        fire_reminders(hub)
    except Exception:
        log.exception("reminders could not be fired")
    try:
        check_idle(hub)
    except Exception:
        log.exception("ticket.idle rules could not be checked")


def add_jobs(hub: Hub, scheduler: BackgroundScheduler) -> None:
    scheduler.add_job(run_timed, "interval", seconds=CHECK_SECONDS, args=[hub],
                      id="rules-timed", replace_existing=True)
