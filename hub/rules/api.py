"""JSON API of the rules feature: rules (admins write, staff read) and ticket reminders."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, g, jsonify, request

from hub.domain import NotFoundError
from hub.httpapi import BadRequestError, api_auth, hub_of, json_body
from hub.rules import commands as c
from hub.rules import queries as q

bp = Blueprint("rules_api", __name__, url_prefix="/api/v1")
REMINDER_KEYS = {"in", "at", "note"}


def _created(body: dict[str, Any], location: str) -> Response:
    response = jsonify(body)
    response.status_code = 201
    response.headers["Location"] = location
    return response


@bp.get("/rules")
@api_auth
def list_rules() -> Response:
    with hub_of().engine.connect() as conn:
        return jsonify({"rules": q.list_rules(conn, g.actor)})


@bp.post("/rules")
@api_auth
def define_rule() -> Response:
    rule = hub_of().bus.handle(c.DefineRule(body=json_body()), g.actor)
    return _created(rule, f"/api/v1/rules/{rule['name']}")


@bp.get("/rules/<name>")
@api_auth
def get_rule(name: str) -> Response:
    limit = request.args.get("firings", "20")
    if not limit.isdigit() or not 0 <= int(limit) <= 500:
        raise BadRequestError("'firings' is a number from 0 to 500")
    with hub_of().engine.connect() as conn:
        rule = q.get_rule(conn, g.actor, name)
        rule["firings"] = q.firings_of(conn, g.actor, name, int(limit))
    return jsonify(rule)


@bp.put("/rules/<name>")
@api_auth
def replace_rule(name: str) -> Response:
    body = json_body()
    with hub_of().engine.connect() as conn:
        try:
            q.get_rule(conn, g.actor, name)
            exists = True
        except NotFoundError:
            exists = False
    if not exists:
        rule = hub_of().bus.handle(c.DefineRule(body={**body, "name": body.get("name", name)}),
                                   g.actor)
        return _created(rule, f"/api/v1/rules/{rule['name']}")
    return jsonify(hub_of().bus.handle(c.ChangeRule(name=name, body=body), g.actor))


@bp.patch("/rules/<name>")
@api_auth
def change_rule(name: str) -> Response:
    return jsonify(hub_of().bus.handle(c.ChangeRule(name=name, body=json_body(), patch=True),
                                       g.actor))


@bp.delete("/rules/<name>")
@api_auth
def delete_rule(name: str) -> Response:
    return jsonify(hub_of().bus.handle(c.DeleteRule(name=name), g.actor))


@bp.delete("/rules")
@api_auth
def delete_rule_by_body() -> Response:
    name = json_body().get("name")
    if not isinstance(name, str):
        raise BadRequestError("'name' names the rule to delete", field="name")
    return jsonify(hub_of().bus.handle(c.DeleteRule(name=name), g.actor))


@bp.get("/tickets/<int:ticket_id>/reminders")
@api_auth
def list_reminders(ticket_id: int) -> Response:
    with hub_of().engine.connect() as conn:
        return jsonify({"reminders": q.reminders_of(conn, g.actor, ticket_id)})


def _optional_text(body: dict[str, Any], key: str) -> str | None:
    value = body.get(key)
    if value is not None and not isinstance(value, str):
        raise BadRequestError(f"'{key}' is text", field=key)
    return value


@bp.post("/tickets/<int:ticket_id>/reminders")
@api_auth
def set_reminder(ticket_id: int) -> Response:
    body = json_body()
    unknown = sorted(set(body) - REMINDER_KEYS)
    if unknown:
        raise BadRequestError(f"unknown fields: {unknown}", allowed=sorted(REMINDER_KEYS))
    reminder = hub_of().bus.handle(c.SetReminder(
        ticket_id=ticket_id, in_=_optional_text(body, "in"), at=_optional_text(body, "at"),
        note=_optional_text(body, "note") or ""), g.actor)
    return _created(reminder, f"/api/v1/tickets/{ticket_id}/reminders")


@bp.delete("/tickets/<int:ticket_id>/reminders/<reminder_id>")
@api_auth
def cancel_reminder(ticket_id: int, reminder_id: str) -> Response:
    return jsonify(hub_of().bus.handle(c.CancelReminder(ticket_id=ticket_id,
                                                        reminder_id=reminder_id[:32]), g.actor))
