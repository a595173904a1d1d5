"""On-call on the web: the ticket page's "Pages" box with its Acknowledge button, and
"on call now and next" on the staff desk.

The boxes are Jinja globals (``ticket_pages_box``, ``oncall_desk_box``) that the
ticket page and the desk include with ``ignore missing``, so hub.web holds no
on-call code; each answers nothing for a viewer who is not staff.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, g, redirect, request, url_for

from hub.domain import DomainError, NotFoundError
from hub.eventstore import utcnow
from hub.httpapi import DIGITS, hub_of
from hub.oncall import commands as c
from hub.oncall import queries as q
from hub.tickets import queries as tq
from hub.webkit.auth import safe_next, staff_required

bp = Blueprint("oncall_web", __name__, template_folder="templates")


def _viewer() -> Any:
    return g.get("actor") or g.get("session_actor")


def ticket_pages_box(ticket_id: Any) -> dict[str, Any] | None:
    """The ticket's pages for ``oncall/_ticket_pages.html``; None for non-staff or none."""
    actor = _viewer()
    if actor is None or not actor.is_staff or not DIGITS.fullmatch(str(ticket_id)):
        return None
    with hub_of().engine.connect() as conn:
        found = q.pages_for_ticket(conn, actor, int(ticket_id))
    return {"pages": found, "ticket_id": int(ticket_id)} if found else None


def oncall_desk_box() -> list[dict[str, Any]] | None:
    """Each schedule's people on call now and who comes next, for the desk."""
    actor = _viewer()
    if actor is None or not actor.is_staff:
        return None
    now = utcnow()
    with hub_of().engine.connect() as conn:
        return [q.now_and_next(conn, s.name, now) for s in q.list_schedules(conn)] or None


@bp.post("/pages/<int:page_id>/ack")
@staff_required
def acknowledge(page_id: int) -> Any:
    ticket = request.form.get("ticket_id", "")
    back = request.form.get("next", "")
    try:
        page = hub_of().bus.handle(c.AcknowledgePage(page_id=page_id), g.actor)
        if page.get("changed", True):
            flash(f"Page {page_id} acknowledged.", "info")
        else:  # someone was quicker: say who, never that this click did it
            flash(f"Page {page_id} was already {page.get('state', 'acknowledged')}"
                  + (f" by {page['acknowledged_by']}." if page.get("acknowledged_by") else "."),
                  "info")
        ticket = str(page["ticket_id"])
    except DomainError as exc:
        if isinstance(exc, NotFoundError):
            raise
        flash(f"Page {page_id}: {exc.message}", "error")
    if back:  # the on-call page's button comes back to the on-call page
        return redirect(safe_next(back), code=303)
    if DIGITS.fullmatch(ticket):
        with hub_of().engine.connect() as conn:
            try:
                tq.get_state(conn, g.actor, int(ticket))
            except NotFoundError:
                return redirect(url_for("desk.home"), code=303)
        return redirect(url_for("desk.ticket", ticket_id=int(ticket), _anchor="h-pages"),
                        code=303)
    return redirect(url_for("desk.home"), code=303)
