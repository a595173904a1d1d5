"""Command handlers of the on-call feature: ``verb_noun(cmd, uow, actor)``.

Who may do what: admins save schedules and policies; staff (and the system's own
reactors) trigger, acknowledge and resolve pages of tickets they may see. The ack
code is four digits, unique among the pages still open, because people type it
on a phone at night.
"""

from __future__ import annotations

import secrets
from typing import Any

import sqlalchemy as sa

from hub.actors import Actor
from hub.domain import NotFoundError, PermissionDeniedError, ValidationError
from hub.eventstore import utcnow
from hub.messagebus import MessageBus, UnitOfWork
from hub.oncall import commands as c
from hub.oncall import queries as q
from hub.oncall.model import RESOLVED, EscalationPolicy, OnCallSchedule, Page, public
from hub.oncall.policy import PolicyError, parse_policy, single_target_policy
from hub.oncall.rotation import ScheduleError, parse_schedule, people
from hub.oncall.tables import pages
from hub.tickets import queries as tq

CODE_DIGITS = 4


def _admin(actor: Actor) -> None:
    if not (actor.is_system or actor.role == "admin"):
        raise PermissionDeniedError("only admins change on-call schedules and policies")


def _staff(actor: Actor) -> None:
    if not actor.is_staff:
        raise NotFoundError("page not found")


def save_schedule(cmd: c.SaveSchedule, uow: UnitOfWork, actor: Actor) -> dict[str, Any]:
    _admin(actor)
    try:
        schedule = parse_schedule(cmd.name, cmd.document)
    except ScheduleError as exc:
        raise ValidationError(str(exc)) from exc
    unknown = [u for u in people(schedule) if not q.target_exists(uow.conn, f"user:{u}")]
    if unknown:
        raise ValidationError(f"unknown users: {unknown}", unknown=unknown)
    aggregate = uow.get(OnCallSchedule, cmd.name, must_exist=False)
    created = not aggregate.exists
    changed = aggregate.save(schedule.to_document(), actor.name)
    return {"name": cmd.name, "created": created, "changed": changed,
            **schedule.to_document()}


def save_policy(cmd: c.SavePolicy, uow: UnitOfWork, actor: Actor) -> dict[str, Any]:
    _admin(actor)
    try:
        policy = parse_policy(cmd.name, cmd.document)
    except PolicyError as exc:
        raise ValidationError(str(exc)) from exc
    missing = [t for s in policy.steps for t in s.notify if not q.target_exists(uow.conn, t)]
    if missing:
        raise ValidationError(f"unknown targets: {missing}", unknown=missing)
    aggregate = uow.get(EscalationPolicy, cmd.name, must_exist=False)
    created = not aggregate.exists
    changed = aggregate.save(policy.to_document(), actor.name)
    return {"name": cmd.name, "created": created, "changed": changed, **policy.to_document()}


def _steps(uow: UnitOfWork, cmd: c.TriggerPage) -> tuple[str, list[dict[str, Any]], int]:
    if (cmd.policy is None) == (cmd.target is None):
        raise ValidationError("name either a policy or a target to page")
    if cmd.policy is not None:
        policy = q.find_policy(uow.conn, cmd.policy)
        if policy is None:
            raise ValidationError(f"escalation policy {cmd.policy} not found")
    else:
        try:
            policy = single_target_policy(str(cmd.target))
        except PolicyError as exc:
            raise ValidationError(str(exc)) from exc
        if not q.target_exists(uow.conn, str(cmd.target)):
            raise ValidationError(f"target {cmd.target} not found")
    return policy.name, policy.to_document()["steps"], policy.repeat


def _new_code(conn: sa.Connection) -> str:
    taken = {r.code for r in conn.execute(sa.select(pages.c.code).where(
        pages.c.state != RESOLVED))}
    for _ in range(200):
        code = f"{secrets.randbelow(10 ** CODE_DIGITS):0{CODE_DIGITS}d}"
        if code not in taken:
            return code
    raise ValidationError("too many open pages to give this one a unique ack code")


def trigger_page(cmd: c.TriggerPage, uow: UnitOfWork, actor: Actor) -> dict[str, Any]:
    if not actor.is_staff:
        raise NotFoundError(f"ticket {cmd.ticket_id} not found")
    tq.get_state(uow.conn, actor, cmd.ticket_id)
    name, steps, repeat = _steps(uow, cmd)
    open_row = uow.conn.execute(sa.select(pages.c.data).where(
        pages.c.ticket_id == cmd.ticket_id, pages.c.policy == name,
        pages.c.state != RESOLVED).order_by(pages.c.id.desc())).first()
    if open_row is not None:
        return {**dict(open_row.data), "created": False}
    last = uow.conn.execute(sa.select(sa.func.max(pages.c.id))).scalar()
    page = uow.get(Page, int(last or 0) + 1, must_exist=False)
    page.trigger(cmd.ticket_id, name, steps, repeat, _new_code(uow.conn),
                 cmd.reason[:500], cmd.at or utcnow())
    return {**public(page), "created": True}


def _page_for(uow: UnitOfWork, page_id: int, actor: Actor) -> Page:
    page = uow.get(Page, page_id, must_exist=False)
    if not page.exists:
        raise NotFoundError(f"page {page_id} not found")
    try:
        tq.get_state(uow.conn, actor, page.ticket_id)
    except NotFoundError:
        raise NotFoundError(f"page {page_id} not found") from None
    return page


def acknowledge_page(cmd: c.AcknowledgePage, uow: UnitOfWork, actor: Actor) -> dict[str, Any]:
    _staff(actor)
    page = _page_for(uow, cmd.page_id, actor)
    if cmd.code is not None and cmd.code != page.code:
        raise ValidationError("that is not this page's ack code")
    via = cmd.via or {"email": "mail"}.get(actor.source, actor.source)
    changed = page.acknowledge(actor.name, via, cmd.at or utcnow())
    return {**public(page), "changed": changed}


def resolve_page(cmd: c.ResolvePage, uow: UnitOfWork, actor: Actor) -> dict[str, Any]:
    _staff(actor)
    page = _page_for(uow, cmd.page_id, actor)
    changed = page.resolve(actor.name, cmd.reason[:500], cmd.at or utcnow())
    return {**public(page), "changed": changed}


def escalate_page(cmd: c.EscalatePage, uow: UnitOfWork, actor: Actor) -> dict[str, Any]:
    _staff(actor)
    page = uow.get(Page, cmd.page_id)
    outcome = page.escalate(cmd.step, cmd.round, cmd.at or utcnow())
    return {"page_id": page.number, "outcome": outcome, "step": page.step,
            "round": page.round}


def record_page_notified(cmd: c.RecordPageNotified, uow: UnitOfWork,
                         actor: Actor) -> dict[str, Any]:
    _staff(actor)
    page = uow.get(Page, cmd.page_id)
    recorded = page.record_notified(cmd.user, cmd.via, cmd.step, cmd.round, cmd.at or utcnow(),
                                    cmd.notification)
    return {"page_id": page.number, "recorded": recorded}


def register(bus: MessageBus) -> None:
    bus.register(c.SaveSchedule, save_schedule)
    bus.register(c.SavePolicy, save_policy)
    bus.register(c.TriggerPage, trigger_page)
    bus.register(c.AcknowledgePage, acknowledge_page)
    bus.register(c.ResolvePage, resolve_page)
    bus.register(c.EscalatePage, escalate_page)
    bus.register(c.RecordPageNotified, record_page_notified)
