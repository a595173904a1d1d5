"""Staff desk and customer self-service: home, queue lists, search, saved searches, bulk.

Pages only translate: a form becomes a command for ``hub.bus.handle``; a list is a
query filtered by the viewer's rights. Domain errors become an HTML error page
with the domain's status code (403, 404, 409, 422...), never a 500.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from hub.domain import DomainError
from hub.eventstore import ConcurrencyError
from hub.httpapi import hub_of
from hub.tickets import commands as tc
from hub.web import errors, listing
from hub.web.commands import DeleteSearch, SaveSearch
from hub.web.searches import list_searches
from hub.webkit.auth import login_required, safe_next, staff_required

bp = Blueprint("desk", __name__, template_folder="templates", static_folder="static",
               static_url_path="/desk/static")


@bp.errorhandler(DomainError)
def domain_error(exc: DomainError) -> tuple[str, int]:
    field = exc.details.get("field")
    message = f"{exc.message} (field: {field})" if field else exc.message
    return errors.page(exc.status, message)


@bp.errorhandler(HTTPException)
def http_error(exc: HTTPException) -> Any:
    if exc.code is None or exc.code < 400 or exc.response is not None:
        return exc
    return errors.page(exc.code, exc.description)


@bp.errorhandler(ConcurrencyError)
def concurrency_error(exc: ConcurrencyError) -> tuple[str, int]:
    return errors.page(409, "The ticket changed meanwhile; reload and try again.")


def send(command: Any) -> Any:
    """Every change a page makes goes through the bus as the logged-in actor."""
    return hub_of().bus.handle(command, g.actor)


def int_arg(name: str, default: int, source: Any = None) -> int:
    raw = (source if source is not None else request.args).get(name, "")
    if raw in ("", None):
        return default
    try:
        return int(raw)
    except ValueError:
        abort(400, f"{name} must be a whole number")


@bp.get("/")
@login_required
def home() -> str:
    with hub_of().engine.connect() as conn:
        if g.actor.is_staff:
            return render_template("home.html", **listing.home_sections(conn, g.actor))
        order = listing.order_from(request.args.get("sort"), request.args.get("dir"),
                                   request.args.get("order"), default="-updated")
        mine = listing.search(conn, g.actor, listing.Search(order=order, per_page=100))
        creatable = listing.queues_with(conn, g.actor, "CreateTicket")
    return render_template("self_service.html", tickets=mine["tickets"], total=mine["total"],
                           creatable=creatable, sorting=listing.sorting_of(order),
                           args=request.args.to_dict(flat=True))


def search_from(args: Any) -> listing.Search:
    status = tuple(s for s in args.getlist("status") if s) if hasattr(args, "getlist") else ()
    if len(status) == 1 and "," in status[0]:
        status = tuple(x for x in status[0].split(",") if x)
    if status == ("active",):
        status = listing.DEFAULT_ACTIVE
    return listing.Search(
        queue=args.get("queue") or None, status=status,
        owner=args.get("owner") if args.get("owner") not in (None, "*") else None,
        requestor=args.get("requestor") or None, q=args.get("q") or None,
        created_after=listing.parse_date(args.get("created_after"), "created_after"),
        created_before=listing.parse_date(args.get("created_before"), "created_before"),
        updated_after=listing.parse_date(args.get("updated_after"), "updated_after"),
        updated_before=listing.parse_date(args.get("updated_before"), "updated_before"),
        order=listing.order_from(args.get("sort"), args.get("dir"), args.get("order")),
        page=int_arg("page", 1, args),
        per_page=int_arg("per_page", listing.PER_PAGE, args))


@bp.get("/queues/<name>")
@login_required
def queue(name: str) -> str:
    with hub_of().engine.connect() as conn:
        canonical = listing.canonical_queue(conn, name)
        if canonical is None:
            abort(404)
        args = request.args.to_dict(flat=True)
        args["queue"] = canonical
        if "status" not in request.args:
            args["status"] = "active"
        flt = search_from(_MultiArgs(args))
        result = listing.search(conn, g.actor, flt)
        owners = listing.owners(conn) if g.actor.is_staff else []
    return render_template("queue.html", queue=canonical, result=result, args=args,
                           owners=owners, sorting=listing.sorting_of(flt.order))


class _MultiArgs(dict[str, str]):
    """A plain dict that answers ``getlist`` like Werkzeug's MultiDict."""

    def getlist(self, key: str) -> list[str]:
        value = self.get(key)
        return [value] if value else []


@bp.get("/tickets")
@login_required
def search() -> str:
    hub = hub_of()
    with hub.engine.connect() as conn:
        flt = search_from(request.args)
        result = listing.search(conn, g.actor, flt)
        saved = list_searches(conn, g.actor.name)
        queues = listing.queues_with(conn, g.actor, "ShowTicket") if g.actor.is_staff else []
        owners = listing.owners(conn) if g.actor.is_staff else []
    return render_template("search.html", result=result, args=request.args, saved=saved,
                           queues=queues, owners=owners, sorting=listing.sorting_of(flt.order))


@bp.post("/tickets/searches")
@login_required
def save_search() -> Response:
    query = {k: v for k, v in request.form.items() if k not in ("csrf_token", "name")}
    send(SaveSearch(user=g.actor.name, name=request.form.get("name", ""), query=query))
    flash("Search saved.", "ok")
    return redirect(url_for("desk.search") + "?" + urlencode(query), 303)


@bp.post("/tickets/searches/<int:search_id>/delete")
@login_required
def delete_search(search_id: int) -> Response:
    send(DeleteSearch(user=g.actor.name, search_id=search_id))
    flash("Saved search deleted.", "ok")
    return redirect(url_for("desk.search"), 303)


@bp.post("/tickets/bulk")
@staff_required
def bulk() -> Response:
    """Apply the same change to every selected ticket, one command each."""
    ids = [int(i) for i in request.form.getlist("ids") if i.isdigit()]
    if not ids:
        abort(400, "select at least one ticket")
    form = request.form
    owner = form.get("owner", "")
    done, failed = 0, []
    for ticket_id in ids[:500]:
        command = tc.UpdateTicket(
            ticket_id=ticket_id, status=form.get("status") or None,
            priority=form.get("priority") or None, queue=form.get("queue") or None,
            owner=None if owner in ("", "Nobody") else owner, owner_set=owner != "")
        try:
            send(command)
            done += 1
        except DomainError as exc:
            failed.append(f"#{ticket_id}: {exc.message}")
    flash(f"Updated {done} ticket(s).", "ok")
    for message in failed[:20]:
        flash(message, "error")
    return redirect(safe_next(form.get("next")), 303)
