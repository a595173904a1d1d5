"""JSON API for runbook runs: translate requests into service calls and commands."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, g, jsonify, request

from hub.httpapi import DIGITS, BadRequestError, api_auth, hub_of, json_body
from hub.runbooks import commands as c
from hub.runbooks.queries import list_runs
from hub.runbooks.service import RunService
from hub.runbooks.source import split_name
from hub.runbooks.suggestions import suggestions_for
from hub.tickets import queries as tq

bp = Blueprint("runbooks_api", __name__, url_prefix="/api/v1")
STEP_ACTIONS = ("plan", "approve", "apply", "skip", "inverse")


def _reject_unknown(body: dict[str, Any], allowed: set[str]) -> None:
    unknown = set(body) - allowed
    if unknown:
        raise BadRequestError(f"unknown fields: {sorted(unknown)}", allowed=sorted(allowed))


def _ticket_id(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | str) or not DIGITS.fullmatch(
            str(value)):
        raise BadRequestError("'ticket_id' must be a ticket number")
    return int(value)


def _params(value: Any) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise BadRequestError("'params' must be an object of name: value")
    out: dict[str, str] = {}
    for key, item in value.items():
        if isinstance(item, bool) or not isinstance(item, str | int | float):
            raise BadRequestError(f"parameter {key!r} must be a string or a number")
        out[str(key)] = str(item)
    return out


def _idempotency_key() -> str | None:
    key = request.headers.get("Idempotency-Key")
    if not key:
        return None
    if len(key) > 200:
        raise BadRequestError("Idempotency-Key is at most 200 characters")
    return f"api:{g.actor.name}:runbook:{key}"


@bp.post("/runbooks/<web>/<topic>/runs")
@api_auth
def start_run(web: str, topic: str) -> Response:
    body = json_body()
    _reject_unknown(body, {"ticket_id", "params"})
    web, topic = split_name(f"{web}.{topic}")
    command = c.StartRun(runbook=f"{web}.{topic}", params=_params(body.get("params")),
                         ticket_id=_ticket_id(body.get("ticket_id")))
    run = RunService(hub_of()).start(command, g.actor, _idempotency_key())
    response = jsonify(run)
    response.status_code = 201
    response.headers["Location"] = f"/api/v1/runs/{run['id']}"
    return response


@bp.post("/runbooks/<web>/<topic>/suggestions")
@api_auth
def suggest(web: str, topic: str) -> Response:
    body = json_body()
    _reject_unknown(body, {"ticket_id", "params", "reason"})
    ticket_id = _ticket_id(body.get("ticket_id"))
    if ticket_id is None:
        raise BadRequestError("'ticket_id' is required")
    reason = body.get("reason", "")
    if not isinstance(reason, str):
        raise BadRequestError("'reason' must be a string")
    web, topic = split_name(f"{web}.{topic}")
    result = hub_of().bus.handle(c.SuggestRunbook(
        ticket_id=ticket_id, runbook=f"{web}.{topic}", params=_params(body.get("params")),
        reason=reason), g.actor)
    response = jsonify(result)
    response.status_code = 201 if result["suggested"] else 200
    return response


@bp.get("/runs")
@api_auth
def runs() -> Response:
    ticket_id = _ticket_id(request.args.get("ticket_id"))
    runbook = request.args.get("runbook") or None
    with hub_of().engine.connect() as conn:
        found = list_runs(conn, g.actor, ticket_id=ticket_id, runbook=runbook)
        suggested: list[dict[str, Any]] = []
        if ticket_id is not None:
            tq.get_state(conn, g.actor, ticket_id)  # 404, as GET /api/v1/tickets/{id}
            suggested = suggestions_for(conn, ticket_id)
    return jsonify({"runs": found, "suggestions": suggested})


@bp.get("/runs/<int:run_id>")
@api_auth
def get_run(run_id: int) -> Response:
    service = RunService(hub_of())
    return jsonify(service.read(run_id, g.actor))


@bp.post("/runs/<int:run_id>/steps/<int:n>/<action>")
@api_auth
def step_action(run_id: int, n: int, action: str) -> Response:
    if action not in STEP_ACTIONS:
        raise BadRequestError(f"step actions are {', '.join(STEP_ACTIONS)}")
    body = json_body() if request.get_data(cache=True) else {}
    _reject_unknown(body, {"plan_digest"} if action == "approve" else {"reason"})
    return jsonify(step_command(run_id, n, action, _text(body, "reason"),
                                _text(body, "plan_digest")))


def _text(body: dict[str, Any], name: str) -> str:
    value = body.get(name)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise BadRequestError(f"{name!r} must be a string")
    return value


def step_command(run_id: int, n: int, action: str, reason: str = "",
                 plan_digest: str = "") -> dict[str, Any]:
    """Shared by the API and the web forms; the actor is always the signed-in caller."""
    hub, actor = hub_of(), g.actor
    service = RunService(hub)
    if action == "plan":
        return service.plan(run_id, n, actor)
    if action == "apply":
        return service.apply(run_id, n, actor)
    if action == "inverse":
        return service.inverse(run_id, n, actor)
    if action == "approve":
        hub.bus.handle(c.ApproveStep(run_id=run_id, n=n, plan_digest=plan_digest or None),
                       actor)
    else:
        hub.bus.handle(c.SkipStep(run_id=run_id, n=n, reason=reason[:500]), actor)
    return service.read(run_id, actor)


@bp.post("/runs/<int:run_id>/abort")
@api_auth
def abort(run_id: int) -> Response:
    body = json_body() if request.get_data(cache=True) else {}
    _reject_unknown(body, {"reason"})
    hub_of().bus.handle(c.AbortRun(run_id=run_id, reason=_text(body, "reason")[:500]),
                        g.actor)
    return jsonify(RunService(hub_of()).read(run_id, g.actor))
