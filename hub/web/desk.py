"""Staff desk and customer self-service pages (server-rendered, usable without JavaScript)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, g, render_template

from hub.httpapi import hub_of
from hub.tickets import queries as q
from hub.web.auth import login_required

bp = Blueprint("desk", __name__, template_folder="templates", static_folder="static",
               static_url_path="/static")


@bp.get("/")
@login_required
def home() -> Any:
    with hub_of().engine.connect() as conn:
        mine = q.list_tickets(conn, g.actor, q.TicketFilter(
            owner=g.actor.name if g.actor.is_staff else None, limit=50,
            status=["new", "open", "stalled"] if g.actor.is_staff else None))
    return render_template("home.html", tickets=mine["tickets"], total=mine["total"])


@bp.get("/tickets/<int:ticket_id>")
@login_required
def ticket(ticket_id: int) -> Any:
    hub = hub_of()
    with hub.engine.connect() as conn:
        current = q.get_ticket(conn, g.actor, ticket_id)
        events = q.history(conn, hub.store, g.actor, ticket_id)
    return render_template("ticket.html", ticket=current, history=events)
