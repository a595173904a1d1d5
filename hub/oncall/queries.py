"""The on-call feature's typed reads: who is on call, whom a target reaches, pages.

Rules (``notify: schedule:ops``), the desk and the ticket page read through here.
Page reads answer through the ticket access rule: a viewer sees the pages of a
ticket exactly when ``GET /api/v1/tickets/{id}`` would show it, and only staff see
pages at all (they name who was woken and how).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from typing import Any

import sqlalchemy as sa

from hub.accounts import queries as aq
from hub.actors import Actor
from hub.channels import queries as cq
from hub.domain import NotFoundError
from hub.eventstore import utcnow
from hub.oncall.model import TRIGGERED
from hub.oncall.policy import Policy, parse_policy, split_target
from hub.oncall.rotation import Schedule, parse_schedule
from hub.oncall.tables import oncall_policies, oncall_schedules, pages
from hub.tickets import queries as tq

__all__ = [
    "feed_token", "find_policy", "find_schedule", "list_policies", "list_schedules",
    "now_and_next", "on_call_now", "open_page_by_code", "open_pages", "page",
    "pages_for_ticket",
    "resolve_target", "target_exists", "with_deliveries",
]


def find_schedule(conn: sa.Connection, name: str) -> Schedule | None:
    row = conn.execute(sa.select(oncall_schedules.c.document).where(
        oncall_schedules.c.name == name)).first()
    return None if row is None else parse_schedule(name, row.document)


def list_schedules(conn: sa.Connection) -> list[Schedule]:
    rows = conn.execute(sa.select(oncall_schedules).order_by(oncall_schedules.c.name))
    return [parse_schedule(r.name, r.document) for r in rows]


def find_policy(conn: sa.Connection, name: str) -> Policy | None:
    row = conn.execute(sa.select(oncall_policies.c.document).where(
        oncall_policies.c.name == name)).first()
    return None if row is None else parse_policy(name, row.document)


def list_policies(conn: sa.Connection) -> list[Policy]:
    rows = conn.execute(sa.select(oncall_policies).order_by(oncall_policies.c.name))
    return [parse_policy(r.name, r.document) for r in rows]


def _active(conn: sa.Connection, names: list[str]) -> list[str]:
    """Names of existing, enabled users, in the given order."""
    out = []
    for name in names:
        info = aq.user_by_name(conn, name)
        if info is not None and not info.disabled:
            out.append(name)
    return out


def on_call_now(conn: sa.Connection, schedule: str, at: dt.datetime | None = None) -> list[str]:
    """The users of ``schedule`` on call at ``at`` (naive UTC, default now); a disabled
    user is left out. An unknown schedule is a :class:`NotFoundError`."""
    found = find_schedule(conn, schedule)
    if found is None:
        raise NotFoundError(f"schedule {schedule} not found")
    return _active(conn, list(found.on_call(at or utcnow())))


def now_and_next(conn: sa.Connection, schedule: str,
                 at: dt.datetime | None = None) -> dict[str, Any]:
    """``GET .../{name}/now``: ``{schedule, on_call, until, next: {user, from}}``."""
    found = find_schedule(conn, schedule)
    if found is None:
        raise NotFoundError(f"schedule {schedule} not found")
    moment = at or utcnow()
    info = found.now_and_next(moment)
    nxt = info["next"]
    return {"schedule": schedule, "timezone": found.timezone, "at": _z(moment),
            "on_call": _active(conn, info["on_call"]),
            "until": _z(info["until"]) if info["until"] else None,
            "next": None if nxt is None else {"user": nxt["user"], "users": nxt["users"],
                                              "from": _z(nxt["from"])}}


def _z(at: dt.datetime) -> str:
    return at.replace(microsecond=0).isoformat() + "Z"


def target_exists(conn: sa.Connection, target: str) -> bool:
    kind, name = split_target(target)
    if kind == "schedule":
        return find_schedule(conn, name) is not None
    if kind == "user":
        return aq.user_by_name(conn, name) is not None
    return any(g.name == name for g in aq.list_groups(conn))


def resolve_target(conn: sa.Connection, target: str, at: dt.datetime | None = None) -> list[str]:
    """The enabled users ``"schedule:NAME"``, ``"user:NAME"`` or ``"group:NAME"`` reaches
    at ``at``; an unknown schedule, user or group reaches nobody."""
    kind, name = split_target(target)
    if kind == "schedule":
        try:
            return on_call_now(conn, name, at)
        except NotFoundError:
            return []
    if kind == "user":
        return _active(conn, [name])
    members = next((g.members for g in aq.list_groups(conn) if g.name == name), ())
    return _active(conn, list(members))


def feed_token(secret_key: str, schedule: str) -> str:
    """The secret of a schedule's calendar feed URL, derived from the hub's key (so it is
    stored nowhere and a new key revokes every feed)."""
    digest = hmac.new(secret_key.encode(), f"oncall-feed:{schedule}".encode(), hashlib.sha256)
    return digest.hexdigest()[:40]


def page(conn: sa.Connection, viewer: Actor, page_id: int) -> dict[str, Any]:
    """One page, if ``viewer`` is staff and may see its ticket; else :class:`NotFoundError`."""
    row = conn.execute(sa.select(pages.c.data, pages.c.ticket_id).where(
        pages.c.id == page_id)).first()
    if row is None or not viewer.is_staff:
        raise NotFoundError(f"page {page_id} not found")
    try:
        tq.get_state(conn, viewer, int(row.ticket_id))
    except NotFoundError:
        raise NotFoundError(f"page {page_id} not found") from None
    return with_deliveries(conn, dict(row.data))


def with_deliveries(conn: sa.Connection, found: dict[str, Any]) -> dict[str, Any]:
    """The page with each ``notified`` entry saying what became of its notification:
    ``delivery`` is ``queued``, ``held_quiet``, ``delivered`` or ``failed`` as the
    channels' queue knows it (``at`` is when it was queued, ``delivered_at`` when the
    receiver accepted it, ``error`` why the last attempt failed). A page therefore
    never shows a notification the receiver refused as delivered."""
    notified = []
    for entry in found.get("notified", []):
        note = entry.get("notification")
        known = cq.delivery(conn, str(note)) if note else None
        notified.append({**entry, "delivery": known["state"] if known else "unknown",
                         "delivered_at": known["delivered_at"] if known else None,
                         "attempts": known["attempts"] if known else 0,
                         "error": known["error"] if known else None})
    return {**found, "notified": notified}


def pages_for_ticket(conn: sa.Connection, viewer: Actor, ticket_id: int) -> list[dict[str, Any]]:
    """The ticket's pages, newest first, as the contract shapes them; nothing for a viewer
    who is not staff or may not see the ticket."""
    if not viewer.is_staff or not tq.visible_ids(conn, viewer, [ticket_id]):
        return []
    rows = conn.execute(sa.select(pages.c.data).where(pages.c.ticket_id == ticket_id)
                        .order_by(pages.c.id.desc()))
    return [with_deliveries(conn, dict(r.data)) for r in rows]


def open_pages(conn: sa.Connection, viewer: Actor, limit: int = 200) -> list[dict[str, Any]]:
    """Triggered and acknowledged pages of tickets ``viewer`` may see, triggered ones
    first, then newest first; nothing for a viewer who is not staff. The ticket
    filter is the tickets' own rule (``visible_id_select``), so a page of a managed
    queue's ticket never shows to staff without rights there."""
    if not viewer.is_staff:
        return []
    rows = conn.execute(sa.select(pages.c.data).where(
        pages.c.state != "resolved", pages.c.ticket_id.in_(tq.visible_id_select(viewer)))
        .order_by(sa.case((pages.c.state == TRIGGERED, 0), else_=1), pages.c.id.desc())
        .limit(limit))
    return [with_deliveries(conn, dict(r.data)) for r in rows]


def open_page_by_code(conn: sa.Connection, code: str) -> dict[str, Any] | None:
    """The triggered or acknowledged page with ack code ``code`` (a system read)."""
    row = conn.execute(sa.select(pages.c.data).where(
        pages.c.code == code, pages.c.state != "resolved").order_by(pages.c.id.desc())).first()
    return None if row is None else dict(row.data)


def due_pages(conn: sa.Connection, at: dt.datetime) -> list[tuple[int, int, int]]:
    """``(page id, step, round)`` of triggered pages whose wait ended by ``at``."""
    rows = conn.execute(sa.select(pages.c.id, pages.c.step, pages.c.round).where(
        pages.c.state == TRIGGERED, pages.c.next_at.is_not(None), pages.c.next_at <= at)
        .order_by(pages.c.next_at).limit(500))
    return [(int(r.id), int(r.step), int(r.round)) for r in rows]
