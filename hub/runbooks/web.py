"""Runbook pages: the index, a runbook's steps and start form, a run driven step by step.

Server-rendered forms (with csrf_token) call the same service as the JSON API.
A start that fails shows the form again with what was typed and the reason (422),
because retyping ten parameters at 3 a.m. is how typos happen; step actions that
fail are flashed next to the run, because the operator must see *why* a step was
refused beside the step.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for

from hub.domain import DomainError, NotFoundError
from hub.httpapi import DIGITS, hub_of
from hub.runbooks import commands as c
from hub.runbooks.api import STEP_ACTIONS, step_command
from hub.runbooks.catalog import catalog, describe, param_summary
from hub.runbooks.progress import walk
from hub.runbooks.queries import run_summaries, ticket_runs
from hub.runbooks.service import RunService
from hub.runbooks.source import source_of, split_name
from hub.runbooks.suggestions import suggestions_for
from hub.tickets import queries as tq
from hub.webkit.auth import staff_required

bp = Blueprint("runbooks_web", __name__, template_folder="templates",
               static_folder="static", static_url_path="/runbooks-static")
REFRESH_SECONDS = 5
RECENT_RUNS = 50


def _runbook(web: str, topic: str) -> tuple[str, str]:
    try:
        return split_name(f"{web}.{topic}")
    except DomainError:
        abort(404)


def _ticket_arg(raw: str) -> str:
    return raw if DIGITS.fullmatch(raw) else ""


@bp.get("/runbooks")
@staff_required
def index() -> Any:
    """Every runbook topic the viewer may see, and the newest runs with their links."""
    hub = hub_of()
    with hub.engine.connect() as conn:
        entries = catalog(hub, conn, g.actor)
        runs = run_summaries(conn, g.actor, limit=RECENT_RUNS)
    return render_template("runbooks/index.html", entries=entries, runs=runs,
                           param_summary=param_summary,
                           ticket_id=_ticket_arg(request.args.get("ticket_id", "").strip()))


def _runbook_page(web: str, topic: str, *, given: dict[str, str], ticket_id: str,
                  error: str = "", errors: list[str] | None = None, status: int = 200) -> Any:
    hub = hub_of()
    with hub.engine.connect() as conn:
        page = source_of(hub).get(conn, web, topic)
        if page is None:
            abort(404)
        entry = describe(hub, conn, g.actor, page)
        runs = run_summaries(conn, g.actor, runbook=f"{web}.{topic}", limit=20)
    return render_template("runbooks/runbook.html", web=web, topic=topic, entry=entry,
                           given=given, runs=runs, ticket_id=ticket_id, error=error,
                           start_errors=errors or []), status


@bp.get("/runbooks/<web>/<topic>")
@staff_required
def runbook(web: str, topic: str) -> Any:
    web, topic = _runbook(web, topic)
    given = {k[len("param."):]: v for k, v in request.args.items() if k.startswith("param.")}
    return _runbook_page(web, topic, given=given,
                         ticket_id=request.args.get("ticket_id", "").strip()[:20])


@bp.post("/runbooks/<web>/<topic>/runs")
@staff_required
def start(web: str, topic: str) -> Any:
    web, topic = _runbook(web, topic)
    typed = {k[len("param."):]: v for k, v in request.form.items() if k.startswith("param.")}
    params = {k: v for k, v in typed.items() if v != ""}
    raw_ticket = request.form.get("ticket_id", "").strip()[:20]
    if raw_ticket and not DIGITS.fullmatch(raw_ticket):
        return _runbook_page(web, topic, given=typed, ticket_id=raw_ticket, status=422,
                             error=f"The ticket is a number, not {raw_ticket!r}.")
    command = c.StartRun(runbook=f"{web}.{topic}", params=params,
                         ticket_id=int(raw_ticket) if raw_ticket else None)
    try:
        run = RunService(hub_of()).start(command, g.actor)
    except DomainError as exc:
        errors = [str(e) for e in exc.details.get("errors") or []]
        return _runbook_page(web, topic, given=typed, ticket_id=raw_ticket,
                             error=exc.message, errors=errors,
                             status=exc.status if 400 <= exc.status < 500 else 422)
    return redirect(url_for("runbooks_web.run", run_id=run["id"]), code=303)


@bp.get("/runs/<int:run_id>")
@staff_required
def run(run_id: int) -> Any:
    state = RunService(hub_of()).read(run_id, g.actor)
    live = any(s["applying"] for s in state["steps"])  # reloading never eats a typed reason
    web, _, topic = str(state["runbook"]).partition(".")
    return render_template("runbooks/run.html", run=state, web=web, topic=topic,
                           waiting=walk(state["steps"]).waiting,
                           refresh=REFRESH_SECONDS if live else None, actor=g.actor)


@bp.post("/runs/<int:run_id>/steps/<int:n>/<action>")
@staff_required
def step(run_id: int, n: int, action: str) -> Any:
    if action not in STEP_ACTIONS:
        abort(404)
    try:
        step_command(run_id, n, action, request.form.get("reason", ""),
                     request.form.get("plan_digest", ""))
        flash(f"Step {n}: {action} done.", "info")
    except DomainError as exc:
        flash(f"Step {n}: {_message(exc)}", "error")
    return redirect(url_for("runbooks_web.run", run_id=run_id, _anchor=f"step-{n}"), code=303)


@bp.post("/runs/<int:run_id>/abort")
@staff_required
def abort_run(run_id: int) -> Any:
    try:
        hub_of().bus.handle(c.AbortRun(run_id=run_id,
                                       reason=request.form.get("reason", "")[:500]), g.actor)
        flash(f"Run #{run_id} aborted.", "info")
    except DomainError as exc:
        flash(_message(exc), "error")
    return redirect(url_for("runbooks_web.run", run_id=run_id), code=303)


def _message(exc: DomainError) -> str:
    errors = exc.details.get("errors")
    return exc.message + (": " + "; ".join(errors) if errors else "")


def ticket_runs_box(ticket_id: Any) -> dict[str, Any] | None:
    """For ``runbooks/_ticket_runs.html`` (a Jinja global): the ticket's runs and suggested
    runbooks, or None when the viewer is not staff (the box is then left out)."""
    actor = g.get("actor") or g.get("session_actor")
    if actor is None or not actor.is_staff or not DIGITS.fullmatch(str(ticket_id)):
        return None
    with hub_of().engine.connect() as conn:
        try:  # what GET /api/v1/tickets/{id} answers decides, as for every read path
            tq.get_state(conn, actor, int(ticket_id))
        except NotFoundError:
            return None
        runs = ticket_runs(conn, actor, int(ticket_id))
        suggested = suggestions_for(conn, int(ticket_id))
    return {"runs": runs, "suggestions": suggested, "ticket_id": int(ticket_id)}
