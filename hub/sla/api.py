"""JSON API for business calendars: ``GET /api/v1/calendars[/NAME]``, ``PUT`` to define.

Staff read them (a calendar says when the desk is staffed, nothing about tickets);
defining one needs AdminQueue (or the admin role) and is an event on the stream
``calendar-<name>``.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, g, jsonify

from hub.domain import PermissionDeniedError, ValidationError
from hub.httpapi import api_auth, hub_of, json_body
from hub.sla import commands as c
from hub.sla.queries import calendar_of, list_calendars

bp = Blueprint("sla_api", __name__, url_prefix="/api/v1")


def _staff_only() -> None:
    if not g.actor.is_staff:
        raise PermissionDeniedError("calendars are for staff")


@bp.get("/calendars")
@api_auth
def calendars() -> Response:
    _staff_only()
    with hub_of().engine.connect() as conn:
        return jsonify({"calendars": list_calendars(conn)})


@bp.get("/calendars/<name>")
@api_auth
def calendar(name: str) -> Response:
    _staff_only()
    with hub_of().engine.connect() as conn:
        return jsonify(calendar_of(conn, name))


@bp.put("/calendars/<name>")
@api_auth
def define(name: str) -> Response:
    _staff_only()
    body: dict[str, Any] = json_body()
    if "name" in body and body["name"] != name:
        raise ValidationError("the name in the body differs from the path", field="name")
    body.pop("name", None)
    result = hub_of().bus.handle(c.DefineCalendar(name=name, definition=body), g.actor)
    with hub_of().engine.connect() as conn:
        response = jsonify(calendar_of(conn, name))
    response.status_code = 201 if result["created"] else 200
    if result["created"]:
        response.headers["Location"] = f"/api/v1/calendars/{name}"
    return response


# OpenAPI fragments as plain dicts (``hub.openapi`` is a layer above this feature).
STRING: dict[str, Any] = {"type": "string"}
_LIST = {"type": "array", "items": STRING}
_ERROR = {"description": "error", "content": {"application/json": {"schema": {
    "type": "object", "properties": {"error": STRING}}}}}


def obj_schema(required: tuple[str, ...] = (), **props: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "object", "properties": props}
    if required:
        out["required"] = list(required)
    return out


def param(name: str, where: str = "query") -> dict[str, Any]:
    return {"name": name, "in": where, "required": where == "path", "schema": STRING}


def operation(summary: str, *, schema: str, body: str | None = None,
              params: list[dict[str, Any]] | None = None,
              errors: tuple[str, ...] = ()) -> dict[str, Any]:
    ref = {"$ref": f"#/components/schemas/{schema}"}
    op: dict[str, Any] = {"summary": summary, "responses": {
        "200": {"description": "success", "content": {"application/json": {"schema": ref}}},
        "401": _ERROR, **{code: _ERROR for code in errors}}}
    if body:
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": {
            "$ref": f"#/components/schemas/{body}"}}}}
    if params:
        op["parameters"] = params
    return op
SCHEMAS: dict[str, Any] = {
    "Calendar": obj_schema(
        ("timezone", "hours"), name=STRING, timezone=STRING,
        hours={"type": "object", "description": "mon..sun: list of HH:MM-HH:MM; a range "
               "whose end is not after its start runs overnight; a missing day is closed",
               "additionalProperties": _LIST},
        holidays={"type": "array", "items": {"type": "string", "format": "date"}},
        national=obj_schema(("country",), country=STRING, subdiv=STRING),
        queues=_LIST),
    "CalendarList": obj_schema(("calendars",), calendars={
        "type": "array", "items": {"$ref": "#/components/schemas/Calendar"}}),
}
PATHS: dict[str, Any] = {
    "/api/v1/calendars": {"get": operation("Business calendars (staff)", schema="CalendarList",
                                           errors=("403",))},
    "/api/v1/calendars/{name}": {
        "get": operation("A business calendar", schema="Calendar",
                         params=[param("name", "path")], errors=("403", "404")),
        "put": operation("Define or replace a business calendar (AdminQueue); open "
                         "tickets' SLA clocks are recomputed", body="Calendar",
                         schema="Calendar", params=[param("name", "path")],
                         errors=("400", "403", "422")),
    },
}
