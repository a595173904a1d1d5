"""The on-call page (``/oncall``, staff): open pages, schedules, handoffs, policies.

What a responder wants on one screen: which pages are open and whom they woke
(with the channels' delivery state, so "notified" never hides a refusal), who is
on call now and until when, the shifts and overrides of the coming two weeks, the
calendar feed to subscribe to, and the escalation policies with the queues that
name them. Admins also add and remove overrides here; the form becomes the same
``SaveSchedule`` command the API's ``PUT`` sends, so the change is an event with
the admin as its actor. Every read goes through the feature's queries (pages
through the tickets' access rule); the Acknowledge buttons post to the ticket
page's own route.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from hub.accounts import queries as aq
from hub.domain import DomainError, NotFoundError, PermissionDeniedError
from hub.durations import format_duration
from hub.eventstore import utcnow
from hub.httpapi import hub_of
from hub.oncall import commands as c
from hub.oncall import queries as q
from hub.oncall.api import feed_url
from hub.oncall.policy import Policy
from hub.oncall.rotation import NAME, Schedule
from hub.tickets import queries as tq
from hub.webkit.auth import staff_required
from hub.webkit.times import zone_or_none

bp = Blueprint("oncall_board", __name__, template_folder="templates")
AHEAD = dt.timedelta(days=14)
MAX_SHIFT_ROWS = 200  # an hourly rotation would otherwise list 336 rows


def _shifts(schedule: Schedule, now: dt.datetime) -> list[dict[str, Any]]:
    """The shifts and overrides from the current one to those starting within two
    weeks, each with its real start and end (the window reaches a shift beyond both
    sides, as the calendar feed's does, so no row ends where the window does)."""
    margin = schedule.shift + dt.timedelta(days=1)
    until = now + AHEAD
    window = schedule.segments(now - margin, until + margin)
    return [{"start": s.start, "end": s.end, "users": list(s.users), "override": s.override,
             "current": s.start <= now < s.end}
            for s in window if s.end > now and s.start < until][:MAX_SHIFT_ROWS]


def _schedule_view(conn: sa.Connection, schedule: Schedule, now: dt.datetime) -> dict[str, Any]:
    document = schedule.to_document()
    upcoming = [{**doc, "start": o.start, "end": o.end}
                for o, doc in zip(schedule.overrides, document["overrides"], strict=True)
                if o.end > now]
    return {"name": schedule.name, "timezone": schedule.timezone,
            "users": list(schedule.users), "shift": format_duration(schedule.shift),
            "start": document["rotation"]["start"], "now": q.now_and_next(conn, schedule.name, now),
            "shifts": _shifts(schedule, now), "overrides": upcoming,
            "feed_url": feed_url(schedule.name)}


def _policy_view(conn: sa.Connection, policy: Policy, queues: list[str],
                 now: dt.datetime) -> dict[str, Any]:
    steps = [{"n": n, "wait": format_duration(step.wait), "via": list(step.via),
              "targets": [{"target": t, "reaches": q.resolve_target(conn, t, now)}
                          for t in step.notify]}
             for n, step in enumerate(policy.steps, start=1)]
    return {"name": policy.name, "repeat": policy.repeat, "steps": steps, "queues": queues}


def _queues_by_policy(conn: sa.Connection) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for info in tq.list_queues(conn, include_disabled=True):
        name = info.spec.get("escalation_policy")
        if isinstance(name, str) and name:
            out.setdefault(name, []).append(info.name)
    return out


def _page_view(conn: sa.Connection, page: dict[str, Any]) -> dict[str, Any]:
    brief = tq.ticket_brief(conn, int(page["ticket_id"]))
    return {**page, "subject": brief.subject if brief else "",
            "ticket_status": brief.status if brief else ""}


@bp.get("/oncall")
@staff_required
def oncall_page() -> str:
    now = utcnow()
    with hub_of().engine.connect() as conn:
        open_pages = [_page_view(conn, p) for p in q.open_pages(conn, g.actor)]
        schedules = [_schedule_view(conn, s, now) for s in q.list_schedules(conn)]
        naming = _queues_by_policy(conn)
        policies = [_policy_view(conn, p, naming.get(p.name, []), now)
                    for p in q.list_policies(conn)]
        people = [u.name for u in aq.list_users(conn, roles=["admin", "staff"])
                  if not u.disabled]
    return render_template("oncall/index.html", pages=open_pages, schedules=schedules,
                           policies=policies, admin=g.actor.role == "admin", people=people,
                           here=url_for("oncall_board.oncall_page"))


def _form_time(key: str, zone_name: str) -> str:
    """A ``datetime-local`` field as an ISO time with the offset of the chosen zone (the
    schedule turns it into its own wall clock); a ValueError names the field."""
    raw = request.form.get(key, "").strip()
    zone = zone_or_none(zone_name)
    if zone is None:
        raise ValueError(f"unknown time zone {zone_name[:64]!r}")
    try:
        local = dt.datetime.fromisoformat(raw)
    except ValueError:
        raise ValueError(f"'{key}' must be a date and time such as 2026-01-05T09:00") from None
    if local.tzinfo is not None:
        raise ValueError(f"'{key}' must be a local date and time, without an offset")
    return local.replace(second=0, microsecond=0, tzinfo=zone).isoformat()


def _schedule_or_404(name: str) -> Schedule:
    if not NAME.fullmatch(name):
        abort(404)
    with hub_of().engine.connect() as conn:
        found = q.find_schedule(conn, name)
    if found is None:
        abort(404)
    return found


def _save(name: str, document: dict[str, Any], done: str) -> Response:
    try:
        hub_of().bus.handle(c.SaveSchedule(name=name, document=document), g.actor)
    except (NotFoundError, PermissionDeniedError):
        raise  # the styled 404/403: staff read schedules, only admins change them
    except DomainError as exc:
        flash(f"Schedule {name}: {exc.message}", "error")
    else:
        flash(done, "ok")
    return redirect(url_for("oncall_board.oncall_page", _anchor=f"schedule-{name}"), 303)


@bp.post("/oncall/schedules/<name>/overrides")
@staff_required
def add_override(name: str) -> Response:
    """Put ``user`` on call from ``from`` to ``to`` (in the chosen ``zone``)."""
    if g.actor.role != "admin":
        abort(403, "Only admins change on-call schedules.")
    schedule = _schedule_or_404(name)
    user = request.form.get("user", "").strip()
    zone = request.form.get("zone", "").strip() or schedule.timezone
    back = url_for("oncall_board.oncall_page", _anchor=f"schedule-{name}")
    try:
        start, end = _form_time("from", zone), _form_time("to", zone)
    except ValueError as exc:
        flash(f"Override not added: {exc}", "error")
        return redirect(back, 303)
    if not user:
        flash("Override not added: choose the user who takes over.", "error")
        return redirect(back, 303)
    if dt.datetime.fromisoformat(end).astimezone(dt.UTC).replace(tzinfo=None) <= utcnow():
        flash("Override not added: it would end in the past.", "error")
        return redirect(back, 303)
    document = schedule.to_document()
    document["overrides"].append({"user": user, "from": start, "to": end})
    return _save(name, document, f"Override added to {name}: {user}.")


@bp.post("/oncall/schedules/<name>/overrides/remove")
@staff_required
def remove_override(name: str) -> Response:
    """Remove the override ``user``/``from``/``to`` as the schedule shows it."""
    if g.actor.role != "admin":
        abort(403, "Only admins change on-call schedules.")
    schedule = _schedule_or_404(name)
    document = schedule.to_document()
    wanted = {k: request.form.get(k, "") for k in ("user", "from", "to")}
    kept = [o for o in document["overrides"] if o != wanted]
    if len(kept) == len(document["overrides"]):
        flash(f"Schedule {name} has no such override (already removed?).", "error")
        return redirect(url_for("oncall_board.oncall_page", _anchor=f"schedule-{name}"), 303)
    document["overrides"] = kept
    return _save(name, document, f"Override of {wanted['user']} removed from {name}.")
