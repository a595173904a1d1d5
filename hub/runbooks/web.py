"""Runbook and run pages: read the topic's steps, start a run, drive it step by step.

Server-rendered forms (with csrf_token) call the same service as the JSON API;
domain errors become flashed messages instead of error pages, because the
operator must see *why* a step was refused next to the step.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for

from hub.domain import DomainError
from hub.httpapi import DIGITS, hub_of
from hub.runbooks import commands as c
from hub.runbooks.api import STEP_ACTIONS, step_command
from hub.runbooks.queries import list_runs
from hub.runbooks.service import RunService
from hub.runbooks.source import source_of, split_name
from hub.runbooks.steps import parse_runbook
from hub.webkit.auth import staff_required

bp = Blueprint("runbooks_web", __name__, template_folder="templates")
REFRESH_SECONDS = 5


def _runbook(web: str, topic: str) -> tuple[str, str]:
    try:
        return split_name(f"{web}.{topic}")
    except DomainError:
        abort(404)


@bp.get("/runbooks/<web>/<topic>")
@staff_required
def runbook(web: str, topic: str) -> Any:
    web, topic = _runbook(web, topic)
    hub = hub_of()
    with hub.engine.connect() as conn:
        page = source_of(hub).get(conn, web, topic)
        if page is None:
            abort(404)
        runs = list_runs(conn, g.actor, runbook=f"{web}.{topic}", limit=20)
    book = parse_runbook(page.text)
    given = {k[len("param."):]: v for k, v in request.args.items() if k.startswith("param.")}
    return render_template("runbooks/runbook.html", web=web, topic=topic, page=page,
                           book=book, given=given, runs=runs,
                           ticket_id=request.args.get("ticket_id", ""))


@bp.post("/runbooks/<web>/<topic>/runs")
@staff_required
def start(web: str, topic: str) -> Any:
    web, topic = _runbook(web, topic)
    params = {k[len("param."):]: v for k, v in request.form.items()
              if k.startswith("param.") and v != ""}
    raw_ticket = request.form.get("ticket_id", "").strip()
    if raw_ticket and not DIGITS.fullmatch(raw_ticket):
        flash("The ticket is a number.", "error")
        return redirect(url_for("runbooks_web.runbook", web=web, topic=topic), code=303)
    command = c.StartRun(runbook=f"{web}.{topic}", params=params,
                         ticket_id=int(raw_ticket) if raw_ticket else None)
    try:
        run = RunService(hub_of()).start(command, g.actor)
    except DomainError as exc:
        flash(_message(exc), "error")
        return redirect(url_for("runbooks_web.runbook", web=web, topic=topic), code=303)
    return redirect(url_for("runbooks_web.run", run_id=run["id"]), code=303)


@bp.get("/runs/<int:run_id>")
@staff_required
def run(run_id: int) -> Any:
    state = RunService(hub_of()).read(run_id, g.actor)
    live = state["status"] == "running"
    return render_template("runbooks/run.html", run=state, refresh=REFRESH_SECONDS if live
                           else None, actor=g.actor)


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
    return redirect(url_for("runbooks_web.run", run_id=run_id), code=303)


@bp.post("/runs/<int:run_id>/abort")
@staff_required
def abort_run(run_id: int) -> Any:
    try:
        hub_of().bus.handle(c.AbortRun(run_id=run_id, reason=request.form.get("reason", "")),
                            g.actor)
    except DomainError as exc:
        flash(_message(exc), "error")
    return redirect(url_for("runbooks_web.run", run_id=run_id), code=303)


def _message(exc: DomainError) -> str:
    errors = exc.details.get("errors")
    return exc.message + (": " + "; ".join(errors) if errors else "")
