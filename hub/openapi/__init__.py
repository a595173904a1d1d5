"""The OpenAPI 3 description of the JSON API, served at /api/v1/openapi.json.

The core ticket, alert and runbook paths are described here; features add theirs
through ``openapi_paths()`` in their ``feature.py`` (collected by ``hub.features``).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, jsonify

from hub.features import openapi_paths
from hub.openapi.admin import ADMIN_PATHS, ADMIN_SCHEMAS
from hub.openapi.operations import (
    ALERT_OK,
    ALERT_PATHS,
    RUNBOOK_PATHS,
    RUNBOOK_SCHEMAS,
    TICKET_ID,
)
from hub.openapi.parts import ERROR, operation, param

bp = Blueprint("openapi", __name__)
FEATURE_PATHS, FEATURE_SCHEMAS = openapi_paths()

_TICKET_ERRORS = ("400", "403", "404", "409", "422")
TICKET_EXTRA_PATHS: dict[str, Any] = {
    f"/api/v1/tickets/{{id}}/{action}": {"post": operation(
        summary, body=body, schema="Ticket", params=[TICKET_ID], errors=_TICKET_ERRORS)}
    for action, summary, body in (
        ("owner", "take, untake, steal or assign the ticket", "OwnerChange"),
        ("watchers", "add or remove a requestor, Cc or AdminCc", "WatcherChange"),
        ("links", "link to or unlink from another ticket", "LinkChange"),
        ("merge", "merge this ticket into another", "Merge"),
        ("time", "record time worked", "TimeWorked"))
}
_WEB_TOPIC = [param("web", "path"), param("topic", "path")]
OTHER_PATHS: dict[str, Any] = {
    "/api/v1/openapi.json": {"get": {"summary": "this document", "security": [],
                                     "responses": {"200": {"description": "OpenAPI 3"}}}},
    "/api/v1/mail/templates": {"get": operation("mail templates (admin)", errors=("403",))},
    "/api/v1/mail/templates/{name}": {
        "put": operation("change a mail template", body="MailTemplate",
                   params=[param("name", "path")], errors=("400", "403", "404", "422")),
        "delete": operation("reset a mail template to its default", params=[param("name", "path")],
                      errors=("403", "404"))},
    "/api/v1/wiki/{web}/{topic}/fields": {"put": operation(
        "set a topic's form fields", params=_WEB_TOPIC, errors=("400", "403", "404", "409",
                                                                "422"))},
    "/api/v1/wiki/{web}/changes": {"get": operation(
        "recent changes in a web", params=[param("web", "path")], errors=("403", "404"))},
    "/api/v1/wiki/{web}/subscription": {
        "post": operation("subscribe to changes in a web (or one topic)",
                    params=[param("web", "path")], errors=("400", "403", "404")),
        "delete": operation("unsubscribe", params=[param("web", "path")],
                      errors=("400", "403", "404"))},
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
                    "sla": {"$ref": "#/components/schemas/TicketSla"},
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
            **ADMIN_SCHEMAS,
            **FEATURE_SCHEMAS,
        },
    },
    "security": [{"bearer": []}],
    "paths": {
        "/healthz": {"get": {"summary": "liveness, node and parked reactions", "security": [],
                             "responses": {"200": {"description": "ok", "content": {
                                 "application/json": {"schema": {
                                     "type": "object", "properties": {
                                         "status": {"type": "string"},
                                         "parked_reactions": {"type": "integer"}}}}}}}}},
        "/api/v1/tickets": {
            "post": operation("create a ticket", "201", "NewTicket", "Ticket",
                        errors=("400", "403", "404", "413", "422")),
            "get": operation("list tickets", schema="TicketList", params=[
                param("queue"), param("status"), param("owner"), param("requestor"),
                param("q"), param("limit", kind="integer"), param("offset", kind="integer"),
                {**param("sla"), "description": "breached, paused or due_within:<duration>",
                 "schema": {"type": "string",
                            "pattern": "^(breached|paused|due_within:([0-9]+[smhdw])+)$"}},
            ], errors=("400", "422")),
        },
        "/api/v1/tickets/{id}": {
            "get": operation("read a ticket (optionally as of a position or time)", schema="Ticket",
                       params=[TICKET_ID, param("as_of")], errors=("404", "422")),
            "patch": operation("change a ticket", body="TicketPatch", schema="Ticket", params=[
                TICKET_ID, param("If-Match", "header")],
                errors=("400", "403", "404", "409", "412", "422")),
        },
        "/api/v1/tickets/{id}/correspond": {"post": operation(
            "public reply", "201", "Message", "Ticket", [TICKET_ID], ("400", "403", "404"))},
        "/api/v1/tickets/{id}/comment": {"post": operation(
            "private comment", "201", "Message", "Ticket", [TICKET_ID], ("400", "403", "404"))},
        "/api/v1/tickets/{id}/history": {"get": operation(
            "the ticket's events", schema="History", params=[TICKET_ID], errors=("404",))},
        "/api/v1/search": {"get": operation("search tickets and pages", schema="SearchResult",
                                      params=[param("q", required=True)])},
        "/api/v1/events/nagios": {"post": {"summary": "Nagios notification",
                                           "responses": {**ALERT_OK, "400": ERROR}}},
        "/api/v1/events/alertmanager": {"post": {"summary": "Alertmanager webhook v4",
                                                 "responses": {**ALERT_OK, "400": ERROR}}},
        "/api/v1/events": {"post": {"summary": "Events API v2",
                                    "responses": {**ALERT_OK, "400": ERROR}}},
        "/api/v1/events/keepalived": {"post": {"summary": "keepalived state change",
                                               "responses": {**ALERT_OK, "400": ERROR}}},
        "/api/v1/events/backuppc": {"post": {"summary": "BackupPC dump result",
                                             "responses": {**ALERT_OK, "400": ERROR}}},
        **ALERT_PATHS,
        **RUNBOOK_PATHS,
        **TICKET_EXTRA_PATHS,
        **ADMIN_PATHS,
        **OTHER_PATHS,
        **FEATURE_PATHS,
    },
}

@bp.get("/api/v1/openapi.json")
def openapi() -> Response:
    return jsonify(SPEC)
