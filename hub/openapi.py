"""The OpenAPI 3 description of the JSON API, served at /api/v1/openapi.json.

The core ticket, alert and runbook paths are described here; features add theirs
through ``openapi_paths()`` in their ``feature.py`` (collected by ``hub.features``).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify

from hub.features import openapi_paths

bp = Blueprint("openapi", __name__)
FEATURE_PATHS, FEATURE_SCHEMAS = openapi_paths()

_ERR = {"description": "error", "content": {"application/json": {"schema": {
    "$ref": "#/components/schemas/Error"}}}}


def _op(summary: str, ok: str = "200", body: str | None = None, schema: str | None = None,
        params: list[dict[str, Any]] | None = None, errors: tuple[str, ...] = ()) -> dict[str, Any]:
    op: dict[str, Any] = {"summary": summary, "responses": {
        ok: {"description": "success"} if schema is None else {
            "description": "success",
            "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{schema}"}}},
        },
        "401": _ERR, **{code: _ERR for code in errors},
    }}
    if body:
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": {
            "$ref": f"#/components/schemas/{body}"}}}}
    if params:
        op["parameters"] = params
    return op


def _param(name: str, where: str = "query", kind: str = "string",
           required: bool = False) -> dict[str, Any]:
    return {"name": name, "in": where, "required": required or where == "path",
            "schema": {"type": kind}}


TICKET_ID = _param("id", "path", "integer")
ALERT_OK = {"202": {"description": "accepted", "content": {"application/json": {"schema": {
    "$ref": "#/components/schemas/AlertResult"}}}}}

RUN_ID = _param("id", "path", "integer")
STEP_N = _param("n", "path", "integer")
RUNBOOK_PATH = [_param("web", "path"), _param("topic", "path")]
RUNBOOK_SCHEMAS = {
    "NewRun": {"type": "object", "properties": {
        "ticket_id": {"type": "integer", "nullable": True},
        "params": {"type": "object", "additionalProperties": {"type": "string"}}}},
    "RunStep": {"type": "object", "required": [
        "n", "name", "action", "state", "plan", "output", "approved_by"], "properties": {
        "n": {"type": "integer", "minimum": 1}, "name": {"type": "string"},
        "action": {"type": "string", "enum": ["lb.drain", "lb.ready", "vip.failover",
                                              "backup.restore", "ticket.comment",
                                              "ticket.status"]},
        "state": {"type": "string", "enum": ["planned", "approved", "applied", "verified",
                                             "failed", "skipped"]},
        "plan": {"type": "object", "nullable": True}, "output": {"type": "string"},
        "approved_by": {"type": "string", "nullable": True},
        "inverse": {"type": "object", "nullable": True}}},
    "Run": {"type": "object", "required": ["id", "runbook", "revision", "ticket_id", "status",
                                           "steps"], "properties": {
        "id": {"type": "integer"}, "runbook": {"type": "string"},
        "revision": {"type": "integer"}, "ticket_id": {"type": "integer", "nullable": True},
        "status": {"type": "string", "enum": ["running", "failed", "completed", "aborted"]},
        "steps": {"type": "array", "items": {"$ref": "#/components/schemas/RunStep"}}}},
}
_STEP_ERRORS = ("403", "404", "409", "422")
RUNBOOK_PATHS = {
    "/api/v1/runbooks/{web}/{topic}/runs": {"post": _op(
        "start a run of a runbook topic (steps are planned at once)", "201", "NewRun", "Run",
        RUNBOOK_PATH, ("400", "403", "404", "422"))},
    "/api/v1/runs/{id}": {"get": _op("a run with its steps", schema="Run", params=[RUN_ID],
                                     errors=("403", "404"))},
    **{f"/api/v1/runs/{{id}}/steps/{{n}}/{action}": {"post": _op(
        summary, schema="Run", params=[RUN_ID, STEP_N], errors=_STEP_ERRORS)}
       for action, summary in (
           ("plan", "dry-run a step again"),
           ("approve", "approve a step (not by the person who started the run)"),
           ("apply", "apply a step, then verify it"), ("skip", "skip a step"),
           ("inverse", "run the inverse of a failed step"))},
    "/api/v1/runs/{id}/abort": {"post": _op("abort a run", schema="Run", params=[RUN_ID],
                                            errors=("403", "404", "409"))},
    "/api/v1/runs": {"get": _op("runs and suggested runbooks of a ticket", params=[
        _param("ticket_id", kind="integer"), _param("runbook")], errors=("403",))},
    "/api/v1/runbooks/{web}/{topic}/suggestions": {"post": _op(
        "suggest a runbook on a ticket (alert routing)", "201", None, None, RUNBOOK_PATH,
        ("400", "404", "422"))},
}
ALERT_PATHS = {
    "/api/v1/alerts": {"get": _op("alerts and their tickets", errors=("403",))},
    "/api/v1/alerts/{ticket_id}/graph.png": {"get": {
        "summary": "PNG graph of the alert's metric around the alert time",
        "parameters": [_param("ticket_id", "path", "integer"), _param("hours", kind="integer")],
        "responses": {"200": {"description": "PNG", "content": {"image/png": {}}},
                      "400": _ERR, "401": _ERR, "404": _ERR}}},
    "/api/v1/metrics/hub.png": {"get": {
        "summary": "PNG graph of the hub's own rates",
        "parameters": [_param("hours", kind="integer")],
        "responses": {"200": {"description": "PNG", "content": {"image/png": {}}},
                      "401": _ERR}}},
}


SPEC: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {"title": "OpsHub API", "version": "1"},
    "components": {
        "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        "schemas": {
            "Error": {"type": "object", "required": ["error"],
                      "properties": {"error": {"type": "string"}}},
            "Ticket": {"type": "object", "required": [
                "id", "version", "queue", "subject", "status", "owner", "priority",
                "requestors", "created_at", "updated_at", "fields", "links"],
                "properties": {
                    "id": {"type": "integer"}, "version": {"type": "integer"},
                    "queue": {"type": "string"}, "subject": {"type": "string"},
                    "status": {"type": "string"}, "owner": {"type": "string", "nullable": True},
                    "priority": {"type": "integer", "minimum": 0, "maximum": 99},
                    "requestors": {"type": "array", "items": {"type": "string"}},
                    "created_at": {"type": "string", "format": "date-time"},
                    "updated_at": {"type": "string", "format": "date-time"},
                    "fields": {"type": "object"}, "links": {"type": "object"},
                }},
            "NewTicket": {"type": "object", "required": ["queue", "subject"], "properties": {
                "queue": {"type": "string"}, "subject": {"type": "string"},
                "body": {"type": "string"},
                "requestors": {"type": "array", "items": {"type": "string"}},
                "priority": {"type": "integer"}, "fields": {"type": "object"}}},
            "TicketPatch": {"type": "object", "properties": {
                "status": {"type": "string"}, "owner": {"type": "string", "nullable": True},
                "priority": {"type": "integer"}, "queue": {"type": "string"},
                "fields": {"type": "object"}}},
            "Message": {"type": "object", "required": ["body"],
                        "properties": {"body": {"type": "string"}}},
            "TicketList": {"type": "object", "properties": {
                "tickets": {"type": "array", "items": {"$ref": "#/components/schemas/Ticket"}},
                "total": {"type": "integer"}}},
            "HistoryEntry": {"type": "object", "properties": {
                "position": {"type": "integer"}, "version": {"type": "integer"},
                "type": {"type": "string"}, "actor": {"type": "string"},
                "source": {"type": "string"}, "at": {"type": "string"},
                "data": {"type": "object"}}},
            "History": {"type": "array", "items": {"$ref": "#/components/schemas/HistoryEntry"}},
            "AlertResult": {"type": "object", "properties": {
                "ticket_id": {"type": "integer", "nullable": True},
                "action": {"type": "string", "enum": [
                    "opened", "updated", "resolved", "duplicate", "ignored"]}}},
            "SearchResult": {"type": "object", "properties": {"hits": {"type": "array"}}},
            **RUNBOOK_SCHEMAS,
            **FEATURE_SCHEMAS,
        },
    },
    "security": [{"bearer": []}],
    "paths": {
        "/healthz": {"get": {"summary": "liveness", "security": [],
                             "responses": {"200": {"description": "ok"}}}},
        "/api/v1/tickets": {
            "post": _op("create a ticket", "201", "NewTicket", "Ticket",
                        errors=("400", "403", "404", "413", "422")),
            "get": _op("list tickets", schema="TicketList", params=[
                _param("queue"), _param("status"), _param("owner"), _param("requestor"),
                _param("q"), _param("limit", kind="integer"), _param("offset", kind="integer"),
            ], errors=("400", "422")),
        },
        "/api/v1/tickets/{id}": {
            "get": _op("read a ticket (optionally as of a position or time)", schema="Ticket",
                       params=[TICKET_ID, _param("as_of")], errors=("404", "422")),
            "patch": _op("change a ticket", body="TicketPatch", schema="Ticket", params=[
                TICKET_ID, _param("If-Match", "header")],
                errors=("400", "403", "404", "409", "412", "422")),
        },
        "/api/v1/tickets/{id}/correspond": {"post": _op(
            "public reply", "201", "Message", "Ticket", [TICKET_ID], ("400", "403", "404"))},
        "/api/v1/tickets/{id}/comment": {"post": _op(
            "private comment", "201", "Message", "Ticket", [TICKET_ID], ("400", "403", "404"))},
        "/api/v1/tickets/{id}/history": {"get": _op(
            "the ticket's events", schema="History", params=[TICKET_ID], errors=("404",))},
        "/api/v1/search": {"get": _op("search tickets and pages", schema="SearchResult",
                                      params=[_param("q", required=True)])},
        "/api/v1/events/nagios": {"post": {"summary": "Nagios notification",
                                           "responses": {**ALERT_OK, "400": _ERR}}},
        "/api/v1/events/alertmanager": {"post": {"summary": "Alertmanager webhook v4",
                                                 "responses": {**ALERT_OK, "400": _ERR}}},
        "/api/v1/events": {"post": {"summary": "Events API v2",
                                    "responses": {**ALERT_OK, "400": _ERR}}},
        "/api/v1/events/keepalived": {"post": {"summary": "keepalived state change",
                                               "responses": {**ALERT_OK, "400": _ERR}}},
        "/api/v1/events/backuppc": {"post": {"summary": "BackupPC dump result",
                                             "responses": {**ALERT_OK, "400": _ERR}}},
        **ALERT_PATHS,
        **RUNBOOK_PATHS,
        **FEATURE_PATHS,
    },
}


@bp.get("/api/v1/openapi.json")
def openapi() -> Response:
    return jsonify(SPEC)
