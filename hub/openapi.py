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
        "plan_digest": {"type": "string", "nullable": True},
        "inverse": {"type": "object", "nullable": True}}},
    "Approval": {"type": "object", "required": ["plan_digest"], "properties": {
        "plan_digest": {"type": "string"}}},
    "Skip": {"type": "object", "required": ["reason"], "properties": {
        "reason": {"type": "string"}}},
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
        summary, schema="Run", body=body, params=[RUN_ID, STEP_N], errors=_STEP_ERRORS)}
       for action, summary, body in (
           ("plan", "dry-run a step again", None),
           ("approve", "approve the plan a step shows (not by the person who started the run)",
            "Approval"),
           ("apply", "apply a step, then verify it", None),
           ("skip", "skip a step, with a reason (someone else than the starter where the step "
                    "needs approval)", "Skip"),
           ("inverse", "run the inverse of a failed step", None))},
    "/api/v1/runs/{id}/abort": {"post": _op("abort a run", schema="Run", params=[RUN_ID],
                                            errors=("403", "404", "409"))},
    "/api/v1/runs": {"get": _op("runs and suggested runbooks of a ticket", params=[
        _param("ticket_id", kind="integer"), _param("runbook")], errors=("400", "403", "404"))},
    "/api/v1/runbooks/{web}/{topic}/suggestions": {"post": _op(
        "suggest a runbook on a ticket (alert routing)", "201", None, None, RUNBOOK_PATH,
        ("400", "404", "422"))},
}
ALERT_PATHS = {
    "/api/v1/alerts": {"get": _op("alerts and their tickets", errors=("400", "403"))},
    "/api/v1/alerts/{ticket_id}/graph.png": {"get": {
        "summary": "PNG graph of the alert's metric around the alert time",
        "parameters": [_param("ticket_id", "path", "integer"), _param("hours", kind="integer")],
        "responses": {"200": {"description": "PNG", "content": {"image/png": {}}},
                      "400": _ERR, "401": _ERR, "404": _ERR}}},
    "/api/v1/metrics/hub.png": {"get": {
        "summary": "PNG graph of the hub's own rates",
        "parameters": [_param("hours", kind="integer")],
        "responses": {"200": {"description": "PNG", "content": {"image/png": {}}},
                      "400": _ERR, "401": _ERR, "403": _ERR}}},
}


def _obj(required: tuple[str, ...] = (), **props: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "object", "properties": props}
    if required:
        out["required"] = list(required)
    return out


_STR: dict[str, Any] = {"type": "string"}
_BOOL: dict[str, Any] = {"type": "boolean"}
_ADMIN_ERRORS = ("400", "403", "404", "409", "422")
ROLE_ENUM = {"type": "string", "enum": ["admin", "staff", "customer"]}
RIGHT_ENUM = {"type": "string", "enum": [
    "SeeQueue", "ShowTicket", "CreateTicket", "ReplyToTicket", "CommentOnTicket",
    "ShowTicketComments", "ModifyTicket", "OwnTicket", "TakeTicket", "StealTicket",
    "ResolveTicket", "DeleteTicket", "ModifyCustomField", "SeeInternalFields", "AdminQueue"]}
PRINCIPAL = {"type": "string", "pattern": "^(group:.+|user:.+|role:(requestors|cc|admincc|owner))$",
             "description": "group:NAME, user:NAME or role:requestors|cc|admincc|owner"}
ADMIN_SCHEMAS: dict[str, Any] = {
    "User": _obj(("name", "email", "role", "disabled"), name=_STR, email=_STR, role=ROLE_ENUM,
                 display_name=_STR, disabled=_BOOL, has_password=_BOOL,
                 groups={"type": "array", "items": _STR}),
    "UserList": _obj(("users",), users={"type": "array", "items": {
        "$ref": "#/components/schemas/User"}}),
    "NewUser": _obj(("name", "email", "role"), name=_STR, email=_STR, role=ROLE_ENUM,
                    password={"type": "string", "minLength": 8}, display_name=_STR),
    "UserPatch": _obj(email=_STR, role=ROLE_ENUM, disabled=_BOOL,
                      password={"type": "string", "minLength": 8}, display_name=_STR),
    "Group": _obj(("name", "members"), name=_STR, description=_STR,
                  members={"type": "array", "items": _STR}),
    "GroupList": _obj(("groups",), groups={"type": "array", "items": {
        "$ref": "#/components/schemas/Group"}}),
    "NewGroup": _obj(("name",), name=_STR, description=_STR),
    "Queue": _obj(("name", "address", "comment_address", "lifecycle", "customers_may_create"),
                  name=_STR, description=_STR, address=_STR, comment_address=_STR,
                  lifecycle=_STR, customers_may_create=_BOOL, reopen_policy=_STR,
                  custom_fields={"type": "array", "items": {"type": "object"}},
                  disabled=_BOOL, add_cc_watchers=_BOOL),
    "QueueList": _obj(("queues",), queues={"type": "array", "items": {
        "$ref": "#/components/schemas/Queue"}}),
    "NewQueue": _obj(("name",), name=_STR, description=_STR, address=_STR,
                     comment_address=_STR, lifecycle={"type": "object"},
                     customers_may_create=_BOOL, reopen_policy=_STR,
                     custom_fields={"type": "array", "items": {"type": "object"}}),
    "QueuePatch": _obj(description=_STR, address=_STR, comment_address=_STR,
                       lifecycle={"type": "object"}, customers_may_create=_BOOL,
                       reopen_policy=_STR, disabled=_BOOL, add_cc_watchers=_BOOL,
                       custom_fields={"type": "array", "items": {"type": "object"}}),
    "Grant": _obj(("right", "queue", "to"), right=RIGHT_ENUM, queue={
        "type": "string", "description": "a queue name, or * for every queue"}, to=PRINCIPAL),
    "GrantList": _obj(("grants",), grants={"type": "array", "items": {
        "$ref": "#/components/schemas/Grant"}}),
    "OwnerChange": _obj(("action",), action={"type": "string", "enum": [
        "take", "untake", "steal", "assign"]}, owner=_STR),
    "WatcherChange": _obj(("role", "address"), role={"type": "string", "enum": [
        "requestors", "cc", "admincc"]}, address=_STR, remove=_BOOL),
    "LinkChange": _obj(("kind", "target"), kind=_STR, target={"type": "integer"},
                       remove=_BOOL),
    "Merge": _obj(("into",), into={"type": "integer"}),
    "TimeWorked": _obj(("minutes",), minutes={"type": "integer"}, user=_STR),
    "MailTemplate": _obj(("subject", "text"), subject=_STR, text=_STR,
                         html={"type": "string", "nullable": True}),
}
USER_NAME = _param("name", "path")
GROUP_MEMBER = [_param("group", "path"), _param("user", "path")]
GRANT_QUERY = [_param("right"), _param("queue"), _param("to")]
ADMIN_PATHS: dict[str, Any] = {
    "/api/v1/users": {
        "get": _op("every user (admin only)", schema="UserList", errors=("403",)),
        "post": _op("add a user; without a password they cannot log in until one is set",
                    "201", "NewUser", "User", errors=_ADMIN_ERRORS)},
    "/api/v1/users/{name}": {
        "get": _op("one user (admin only)", schema="User", params=[USER_NAME],
                   errors=("403", "404")),
        "patch": _op("change a user; a new password or disabled ends their sessions and "
                     "tokens at once", body="UserPatch", schema="User", params=[USER_NAME],
                     errors=_ADMIN_ERRORS)},
    "/api/v1/groups": {
        "get": _op("every group with its members (admin only)", schema="GroupList",
                   errors=("403",)),
        "post": _op("add a group", "201", "NewGroup", "Group", errors=_ADMIN_ERRORS)},
    "/api/v1/groups/{group}/members/{user}": {
        "put": _op("add a member", schema="Group", params=GROUP_MEMBER, errors=_ADMIN_ERRORS),
        "delete": _op("remove a member", schema="Group", params=GROUP_MEMBER,
                      errors=_ADMIN_ERRORS)},
    "/api/v1/queues": {
        "get": _op("queues (admins: all; others: those they may see or open tickets in)",
                   schema="QueueList"),
        "post": _op("add a queue (admin only)", "201", "NewQueue", "Queue",
                    errors=_ADMIN_ERRORS)},
    "/api/v1/queues/{name}": {"patch": _op(
        "change a queue (admin only)", body="QueuePatch", schema="Queue",
        params=[_param("name", "path")], errors=_ADMIN_ERRORS)},
    "/api/v1/grants": {
        "get": _op("grants, optionally of one queue (admin only)", schema="GrantList",
                   params=[_param("queue")], errors=("403",)),
        "post": _op("grant a right; a grant to a group or user makes the queue managed",
                    "201", "Grant", "Grant", errors=_ADMIN_ERRORS),
        "delete": {**_op("revoke a right (JSON body, or the same keys in the query)",
                         schema="Grant", params=GRANT_QUERY, errors=_ADMIN_ERRORS),
                   "requestBody": {"required": False, "content": {"application/json": {
                       "schema": {"$ref": "#/components/schemas/Grant"}}}}}},
}
_TICKET_ERRORS = ("400", "403", "404", "409", "422")
TICKET_EXTRA_PATHS: dict[str, Any] = {
    f"/api/v1/tickets/{{id}}/{action}": {"post": _op(
        summary, body=body, schema="Ticket", params=[TICKET_ID], errors=_TICKET_ERRORS)}
    for action, summary, body in (
        ("owner", "take, untake, steal or assign the ticket", "OwnerChange"),
        ("watchers", "add or remove a requestor, Cc or AdminCc", "WatcherChange"),
        ("links", "link to or unlink from another ticket", "LinkChange"),
        ("merge", "merge this ticket into another", "Merge"),
        ("time", "record time worked", "TimeWorked"))
}
_WEB_TOPIC = [_param("web", "path"), _param("topic", "path")]
OTHER_PATHS: dict[str, Any] = {
    "/api/v1/openapi.json": {"get": {"summary": "this document", "security": [],
                                     "responses": {"200": {"description": "OpenAPI 3"}}}},
    "/api/v1/mail/templates": {"get": _op("mail templates (admin)", errors=("403",))},
    "/api/v1/mail/templates/{name}": {
        "put": _op("change a mail template", body="MailTemplate",
                   params=[_param("name", "path")], errors=("400", "403", "404", "422")),
        "delete": _op("reset a mail template to its default", params=[_param("name", "path")],
                      errors=("403", "404"))},
    "/api/v1/wiki/{web}/{topic}/fields": {"put": _op(
        "set a topic's form fields", params=_WEB_TOPIC, errors=("400", "403", "404", "409",
                                                                "422"))},
    "/api/v1/wiki/{web}/changes": {"get": _op(
        "recent changes in a web", params=[_param("web", "path")], errors=("403", "404"))},
    "/api/v1/wiki/{web}/subscription": {
        "post": _op("subscribe to changes in a web (or one topic)",
                    params=[_param("web", "path")], errors=("400", "403", "404")),
        "delete": _op("unsubscribe", params=[_param("web", "path")],
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
        **TICKET_EXTRA_PATHS,
        **ADMIN_PATHS,
        **OTHER_PATHS,
        **FEATURE_PATHS,
    },
}


@bp.get("/api/v1/openapi.json")
def openapi() -> Response:
    return jsonify(SPEC)
