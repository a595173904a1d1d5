"""OpenAPI fragments for the on-call endpoints (plain dicts: ``hub.openapi`` sits above)."""

from __future__ import annotations

from typing import Any

_ERROR = {"description": "error", "content": {"application/json": {"schema": {
    "$ref": "#/components/schemas/Error"}}}}
_STR: dict[str, Any] = {"type": "string"}
_NSTR: dict[str, Any] = {"type": "string", "nullable": True}
_INT: dict[str, Any] = {"type": "integer"}
_ERRORS = {"400": _ERROR, "401": _ERROR, "403": _ERROR, "404": _ERROR, "422": _ERROR}


def _ok(schema: str, status: str = "200") -> dict[str, Any]:
    return {status: {"description": "success", "content": {"application/json": {
        "schema": {"$ref": f"#/components/schemas/{schema}"}}}}}


def _name(what: str) -> dict[str, Any]:
    return {"name": "name", "in": "path", "required": True, "schema": _STR,
            "description": f"the {what}'s name"}


_PAGE_ID = {"name": "page_id", "in": "path", "required": True, "schema": _INT}
_AT = {"name": "at", "in": "query", "required": False, "schema": _STR,
       "description": "ISO 8601 time to ask about (default now)"}


def _body(schema: str) -> dict[str, Any]:
    return {"required": True, "content": {"application/json": {"schema": {
        "$ref": f"#/components/schemas/{schema}"}}}}


PATHS: dict[str, Any] = {
    "/api/v1/oncall/schedules": {"get": {
        "summary": "on-call schedules (staff)", "responses": {**_ok("ScheduleList"), **_ERRORS}}},
    "/api/v1/oncall/schedules/{name}": {
        "get": {"summary": "one schedule with its calendar feed URL (staff)",
                "parameters": [_name("schedule")],
                "responses": {**_ok("Schedule"), **_ERRORS}},
        "put": {"summary": "create or replace a schedule (admins); rotation in the "
                           "schedule's local time, overrides win",
                "parameters": [_name("schedule")], "requestBody": _body("Schedule"),
                "responses": {**_ok("Schedule"), **_ok("Schedule", "201"), **_ERRORS}}},
    "/api/v1/oncall/schedules/{name}/now": {"get": {
        "summary": "who is on call now (or at ?at=), until when, and who is next (staff)",
        "parameters": [_name("schedule"), _AT],
        "responses": {**_ok("OnCallNow"), **_ERRORS}}},
    "/api/v1/oncall/schedules/{name}.ics": {"get": {
        "summary": "iCalendar feed of the coming weeks' shifts and overrides (staff, or "
                   "token= from the schedule's feed_url for calendar clients)",
        "parameters": [_name("schedule"), _AT,
                       {"name": "weeks", "in": "query", "required": False, "schema": _INT},
                       {"name": "token", "in": "query", "required": False, "schema": _STR}],
        "responses": {"200": {"description": "text/calendar"}, **_ERRORS}}},
    "/api/v1/oncall/policies": {"get": {
        "summary": "escalation policies (staff)", "responses": {**_ok("PolicyList"), **_ERRORS}}},
    "/api/v1/oncall/policies/{name}": {
        "get": {"summary": "one escalation policy (staff)", "parameters": [_name("policy")],
                "responses": {**_ok("Policy"), **_ERRORS}},
        "put": {"summary": "create or replace an escalation policy (admins); targets must "
                           "exist, channels be known, waits be durations",
                "parameters": [_name("policy")], "requestBody": _body("Policy"),
                "responses": {**_ok("Policy"), **_ok("Policy", "201"), **_ERRORS}}},
    "/api/v1/pages": {
        "get": {"summary": "the pages of a ticket, through the ticket access rule (staff)",
                "parameters": [{"name": "ticket_id", "in": "query", "required": True,
                                "schema": _INT}],
                "responses": {**_ok("PageList"), **_ERRORS}},
        "post": {"summary": "page about a ticket with a policy or one target (staff); an "
                            "open page of the same ticket and policy is returned instead",
                 "requestBody": _body("PageTrigger"),
                 "responses": {**_ok("Page"), **_ok("Page", "201"), **_ERRORS}}},
    "/api/v1/pages/{page_id}": {"get": {
        "summary": "one page (staff who may see its ticket)", "parameters": [_PAGE_ID],
        "responses": {**_ok("Page"), **_ERRORS}}},
    "/api/v1/pages/{page_id}/ack": {"post": {
        "summary": "acknowledge a page: escalation stops (optional body {code})",
        "parameters": [_PAGE_ID], "responses": {**_ok("Page"), **_ERRORS, "409": _ERROR}}},
    "/api/v1/pages/{page_id}/resolve": {"post": {
        "summary": "resolve a page (optional body {reason})", "parameters": [_PAGE_ID],
        "responses": {**_ok("Page"), **_ERRORS}}},
}

_STEP = {"type": "object", "properties": {
    "notify": {"oneOf": [_STR, {"type": "array", "items": _STR}],
               "description": "schedule:NAME | user:NAME | group:NAME"},
    "via": {"type": "array", "items": {"type": "string",
                                       "enum": ["mail", "webhook", "xmpp", "sms"]}},
    "wait": {"type": "string", "example": "5m"}}}

SCHEMAS: dict[str, Any] = {
    "Schedule": {"type": "object", "properties": {
        "name": _STR, "timezone": {"type": "string", "example": "Europe/Berlin"},
        "rotation": {"type": "object", "properties": {
            "users": {"type": "array", "items": _STR}, "shift": {"type": "string",
                                                                 "example": "1w"},
            "start": {"type": "string", "example": "2026-01-05T09:00"}}},
        "overrides": {"type": "array", "items": {"type": "object", "properties": {
            "user": _STR, "from": _STR, "to": _STR}}},
        "feed_url": _STR}},
    "ScheduleList": {"type": "object", "properties": {"schedules": {
        "type": "array", "items": {"$ref": "#/components/schemas/Schedule"}}}},
    "OnCallNow": {"type": "object", "properties": {
        "schedule": _STR, "on_call": {"type": "array", "items": _STR}, "until": _NSTR,
        "next": {"type": "object", "nullable": True, "properties": {"user": _STR,
                                                                      "from": _STR}}}},
    "Policy": {"type": "object", "properties": {
        "name": _STR, "steps": {"type": "array", "items": _STEP}, "repeat": _INT}},
    "PolicyList": {"type": "object", "properties": {"policies": {
        "type": "array", "items": {"$ref": "#/components/schemas/Policy"}}}},
    "PageTrigger": {"type": "object", "required": ["ticket_id"], "properties": {
        "ticket_id": _INT, "policy": _STR, "target": _STR, "reason": _STR}},
    "Page": {"type": "object", "properties": {
        "id": _INT, "ticket_id": _INT,
        "state": {"type": "string", "enum": ["triggered", "acknowledged", "resolved"]},
        "step": _INT, "round": _INT, "policy": _STR, "exhausted": {"type": "boolean"},
        "next_escalation_at": _NSTR, "acknowledged_by": _NSTR, "acknowledged_via": _NSTR,
        "notified": {"type": "array", "items": {"type": "object", "properties": {
            "user": _STR, "via": _STR, "at": _STR, "step": _INT, "round": _INT,
            "notification": _NSTR,
            "delivery": {"type": "string", "enum": ["queued", "held_quiet", "delivered",
                                                    "failed", "unknown"]},
            "delivered_at": _NSTR, "attempts": _INT, "error": _NSTR}}}}},
    "PageList": {"type": "object", "properties": {"pages": {
        "type": "array", "items": {"$ref": "#/components/schemas/Page"}}}},
}


def paths() -> tuple[dict[str, Any], dict[str, Any]]:
    return PATHS, SCHEMAS
