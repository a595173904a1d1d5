"""The ticket page (whole history, "as of" view), its forms, ticket creation, attachments.

Every form posts to its own small route that builds one command; the page is
then shown again (303 redirect), so a reload never repeats a change.
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, g, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from hub.accounts.queries import rights_on
from hub.domain import NotFoundError, ValidationError
from hub.httpapi import hub_of
from hub.ops import commands as oc
from hub.ops import queries as oq
from hub.tickets import commands as tc
from hub.tickets import queries as q
from hub.web import listing
from hub.web.attachments import (
    attachment_response,
    find_attachment,
    store_uploads,
)
from hub.web.desk import bp, int_arg, send
from hub.webkit.auth import login_required
from hub.webkit.render import describe


def _queue_spec(conn: Any, name: str) -> dict[str, Any]:
    found = q.find_queue(conn, name)
    return dict(found.spec) if found is not None and not found.disabled else {}


@bp.get("/tickets/<int:ticket_id>")
@login_required
def ticket(ticket_id: int) -> Any:
    hub = hub_of()
    as_of = request.args.get("as_of", "").strip()
    with hub.engine.connect() as conn:
        state = q.get_state(conn, g.actor, ticket_id)
        if state["id"] != ticket_id:
            return redirect(url_for("desk.ticket", ticket_id=state["id"]), 301)
        spec = _queue_spec(conn, state["queue"])
        fields = spec.get("custom_fields", [])
        internal = frozenset(f["name"] for f in fields if f.get("internal"))
        rights = rights_on(g.actor, state)
        staff = g.actor.is_staff
        current = q.public_view(state, internal_fields=internal, staff=staff)
        events = q.history(conn, hub.store, g.actor, ticket_id)
        shown = current
        if as_of:
            shown = q.ticket_as_of(conn, hub.store, g.actor, ticket_id, as_of)
            cut = int(as_of) if as_of.isdigit() else None
            events = [e for e in events if (cut is None and e["at"] <= shown["updated_at"])
                      or (cut is not None and e["position"] <= cut)]
        owners = listing.owners(conn) if staff else []
        nagios = oq.nagios_ack_state(conn, ticket_id) if staff else []
        queues = listing.queues_with(conn, g.actor, "CreateTicket") if staff else []
    lifecycle = spec.get("lifecycle") or {}
    statuses = [*lifecycle.get("initial", []), *lifecycle.get("active", []),
                *lifecycle.get("inactive", [])] or ["new", "open", "stalled", "resolved",
                                                    "rejected", "deleted"]
    return render_template(
        "ticket.html", ticket=shown, current=current, as_of=as_of,
        history=[describe(e) for e in events], rights=rights, staff=staff,
        fields=[f for f in fields if staff or not f.get("internal")], statuses=statuses,
        owners=owners, queues=queues, nagios=nagios,
        resolved=lifecycle.get("resolved", "resolved"),
        resolved_at=None if as_of else state.get("resolved_at"),
        # Who sees internal entries (and how each change came in) is who may read
        # comments: the same rights the history itself was filtered by.
        internal="ShowTicketComments" in rights,
        open_status=_open_status(lifecycle))


def _open_status(lifecycle: dict[str, Any]) -> str:
    """The status the "Open" action sets: ``open`` where the lifecycle has it."""
    active = list(lifecycle.get("active", []) or ["open"])
    return "open" if "open" in active else active[0]


def _back(ticket_id: int, message: str) -> Response:
    flash(message, "ok")
    return redirect(url_for("desk.ticket", ticket_id=ticket_id), 303)


def _message(ticket_id: int, kind: type[tc.Correspond] | type[tc.Comment]) -> Response:
    body = request.form.get("body", "")
    if not body.strip():
        raise ValidationError("the message is empty")
    extra: dict[str, Any] = {}
    uploaded = store_uploads(hub_of(), request.files.getlist("attachments"))
    if uploaded:
        extra["attachments"] = uploaded
    result = send(kind(ticket_id=ticket_id, body=body, extra=extra))
    return _back(result["id"], "Reply sent." if kind is tc.Correspond else "Comment added.")


@bp.post("/tickets/<int:ticket_id>/reply")
@login_required
def reply(ticket_id: int) -> Response:
    return _message(ticket_id, tc.Correspond)


@bp.post("/tickets/<int:ticket_id>/comment")
@login_required
def comment(ticket_id: int) -> Response:
    return _message(ticket_id, tc.Comment)


@bp.post("/tickets/<int:ticket_id>/update")
@login_required
def update(ticket_id: int) -> Response:
    """Only the values that differ from what the form showed become changes."""
    form = request.form
    expected = int_arg("version", 0, form) or None

    def changed(name: str) -> str | None:
        value = form.get(name)
        if value is None or value == form.get(f"was_{name}"):
            return None
        return value

    fields = {k[3:]: v for k, v in form.items()
              if k.startswith("cf_") and v != form.get(f"was_{k}")}
    owner = changed("owner")
    due = changed("due")
    command = tc.UpdateTicket(
        ticket_id=ticket_id, expected_version=expected, status=changed("status"),
        owner=owner or None, owner_set=owner is not None, priority=changed("priority"),
        queue=changed("queue"), subject=changed("subject"), due=due or None,
        due_set=due is not None, fields=fields or None, force=form.get("force") == "1")
    result = send(command)
    return _back(result["id"], "Ticket updated.")


@bp.post("/tickets/<int:ticket_id>/owner")
@login_required
def owner(ticket_id: int) -> Response:
    how = request.form.get("how", "")
    if how not in ("take", "untake", "steal"):
        abort(400, "how is take, untake or steal")
    result = send(tc.ChangeOwner(ticket_id=ticket_id, how=how))
    return _back(result["id"], "Owner changed.")


@bp.post("/tickets/<int:ticket_id>/ack")
@login_required
def acknowledge(ticket_id: int) -> Response:
    """The alert ticket's Acknowledge button: the Nagios problem, confirmed later."""
    result = send(oc.AcknowledgeAlert(ticket_id, request.form.get("comment", "")[:400]))
    return _back(result["ticket_id"], "Acknowledgement sent to Nagios; it shows as "
                 "confirmed once Nagios's status says so.")


@bp.post("/tickets/<int:ticket_id>/watchers")
@login_required
def watchers(ticket_id: int) -> Response:
    form = request.form
    result = send(tc.ChangeWatcher(ticket_id=ticket_id, role=form.get("role", ""),
                                   address=form.get("address", ""),
                                   add=form.get("action", "add") == "add"))
    return _back(result["id"], "Watchers changed.")


@bp.post("/tickets/<int:ticket_id>/links")
@login_required
def links(ticket_id: int) -> Response:
    form = request.form
    target = int_arg("target", 0, form)
    if target <= 0:
        raise ValidationError("name the other ticket by its number")
    result = send(tc.LinkTickets(ticket_id=ticket_id, kind=form.get("kind", ""), target=target,
                                 add=form.get("action", "add") == "add"))
    return _back(result["id"], "Links changed.")


@bp.post("/tickets/<int:ticket_id>/merge")
@login_required
def merge(ticket_id: int) -> Response:
    into = int_arg("into", 0, request.form)
    if into <= 0:
        raise ValidationError("name the ticket to merge into by its number")
    result = send(tc.MergeTickets(ticket_id=ticket_id, into=into))
    return _back(result["id"], f"Merged into #{result['id']}.")


@bp.post("/tickets/<int:ticket_id>/time")
@login_required
def time_worked(ticket_id: int) -> Response:
    minutes = int_arg("minutes", 0, request.form)
    result = send(tc.RecordTime(ticket_id=ticket_id, minutes=minutes))
    return _back(result["id"], "Time recorded.")


@bp.get("/tickets/new")
@login_required
def new_ticket() -> str:
    with hub_of().engine.connect() as conn:
        creatable = listing.queues_with(conn, g.actor, "CreateTicket")
        owners = listing.owners(conn) if g.actor.is_staff else []
    chosen = request.args.get("queue", "")
    spec = next((x["spec"] for x in creatable if x["name"] == chosen), None) or (
        creatable[0]["spec"] if creatable else {})
    fields = [f for f in spec.get("custom_fields", [])
              if g.actor.is_staff or not f.get("internal")]
    return render_template("new_ticket.html", queues=creatable, chosen=chosen or spec.get(
        "name", ""), fields=fields, owners=owners)


@bp.post("/tickets/new")
@login_required
def create_ticket() -> Response:
    form = request.form

    def addresses(name: str) -> list[str] | None:
        raw = form.get(name, "").replace(";", ",")
        found = [a.strip() for a in raw.split(",") if a.strip()]
        return found or None

    extra: dict[str, Any] = {}
    uploaded = store_uploads(hub_of(), request.files.getlist("attachments"))
    if uploaded:
        extra["attachments"] = uploaded
    fields = {k[3:]: v for k, v in form.items() if k.startswith("cf_") and v != ""}
    # What the form sends is what is asked for: the ticket refuses (403 naming the
    # field) what this actor may not set, instead of the page dropping it silently.
    priority = form.get("priority", "").strip()
    command = tc.CreateTicket(
        queue=form.get("queue", ""), subject=form.get("subject", ""),
        body=form.get("body", ""), requestors=addresses("requestors"),
        cc=addresses("cc"), admincc=addresses("admincc"),
        priority=None if priority in ("", "0") else priority,
        owner=form.get("owner") or None, status=form.get("status") or None,
        due=form.get("due") or None, fields=fields or None, extra=extra)
    result = send(command)
    flash(f"Ticket #{result['id']} created.", "ok")
    return redirect(url_for("desk.ticket", ticket_id=result["id"]), 303)


@bp.get("/tickets/<int:ticket_id>/attachments/<sha256>")
@login_required
def attachment(ticket_id: int, sha256: str) -> Response:
    """Served only when an event the viewer may see refers to it."""
    hub = hub_of()
    with hub.engine.connect() as conn:
        events = q.history(conn, hub.store, g.actor, ticket_id)
    meta = find_attachment(events, sha256)
    if meta is None:
        raise NotFoundError("no such attachment")
    return attachment_response(hub, meta)
