"""The ticket page's "Reminders" box and its forms (staff who may see the ticket).

The box is drawn by ``rules/_ticket_reminders.html`` through the ``ticket_reminders_box``
Jinja global, so the ticket page needs no rules code; the forms post here with their
``csrf_token`` and go through the same commands as the JSON API.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, g, redirect, request, url_for

from hub.domain import DomainError, NotFoundError
from hub.httpapi import DIGITS, hub_of
from hub.rules import commands as c
from hub.rules import queries as q
from hub.webkit.auth import staff_required

bp = Blueprint("rules_web", __name__, template_folder="templates")
CHOICES = ("30m", "1h", "2h", "4h", "1d", "3d", "1w")


def ticket_reminders_box(ticket_id: Any) -> dict[str, Any] | None:
    """The ticket's pending reminders and the form's choices, or None (box left out)
    when the viewer is not staff or may not see the ticket."""
    actor = g.get("actor") or g.get("session_actor")
    if actor is None or not actor.is_staff or not DIGITS.fullmatch(str(ticket_id)):
        return None
    with hub_of().engine.connect() as conn:
        try:
            reminders = q.reminders_of(conn, actor, int(ticket_id), include_ended=False)
        except NotFoundError:
            return None
    return {"ticket_id": int(ticket_id), "reminders": reminders, "choices": CHOICES,
            "me": actor.name, "admin": actor.role == "admin"}


def _back(ticket_id: int) -> Any:
    return redirect(url_for("desk.ticket", ticket_id=ticket_id) + "#h-reminders")


@bp.post("/tickets/<int:ticket_id>/reminders")
@staff_required
def set_reminder(ticket_id: int) -> Any:
    when = request.form.get("in", "").strip()
    at = request.form.get("at", "").strip()
    try:
        result = hub_of().bus.handle(c.SetReminder(
            ticket_id=ticket_id, in_=None if at else (when or None), at=at or None,
            note=request.form.get("note", "")), g.actor)
    except NotFoundError:
        raise
    except DomainError as exc:
        flash(f"Reminder not set: {exc.message}", "error")
        return _back(ticket_id)
    flash(f"Reminder set for {result['due']}.", "ok")
    return _back(ticket_id)


@bp.post("/tickets/<int:ticket_id>/reminders/<reminder_id>/cancel")
@staff_required
def cancel_reminder(ticket_id: int, reminder_id: str) -> Any:
    try:
        hub_of().bus.handle(c.CancelReminder(ticket_id=ticket_id,
                                             reminder_id=reminder_id[:32]), g.actor)
    except NotFoundError:
        raise
    except DomainError as exc:
        flash(f"Reminder not cancelled: {exc.message}", "error")
        return _back(ticket_id)
    flash("Reminder cancelled.", "ok")
    return _back(ticket_id)
