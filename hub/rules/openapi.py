"""OpenAPI fragments for the rules and reminders endpoints (plain dicts)."""

from __future__ import annotations

from typing import Any

_ERROR = {"description": "error", "content": {"application/json": {"schema": {
    "$ref": "#/components/schemas/Error"}}}}
_ERRORS = {code: _ERROR for code in ("400", "401", "403", "404", "409", "422")}
_STR: dict[str, Any] = {"type": "string"}
_NAME = {"name": "name", "in": "path", "required": True, "schema": _STR}
_TICKET = {"name": "ticket_id", "in": "path", "required": True, "schema": {"type": "integer"}}


def _json(ref: str) -> dict[str, Any]:
    return {"content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}}}


def _op(summary: str, ok: str = "200", body: str | None = None, out: str | None = None,
        params: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    op: dict[str, Any] = {"summary": summary, "responses": {
        ok: {"description": "success", **(_json(out) if out else {})}, **_ERRORS}}
    if body:
        op["requestBody"] = {"required": True, **_json(body)}
    if params:
        op["parameters"] = params
    return op


PATHS: dict[str, Any] = {
    "/api/v1/rules": {
        "get": _op("every rule, in the order they run (staff)", out="RuleList"),
        "post": _op("define a rule (admins); 422 names the field that is wrong", "201",
                    body="Rule", out="Rule"),
        "delete": _op("delete the rule named in the body {name} (admins)"),
    },
    "/api/v1/rules/{name}": {
        "get": _op("one rule with its latest firings (?firings=N, default 20)", out="Rule",
                   params=[_NAME]),
        "put": _op("replace (or define) a rule (admins)", body="Rule", out="Rule",
                   params=[_NAME]),
        "patch": _op("change some of a rule's settings (admins)", body="Rule", out="Rule",
                     params=[_NAME]),
        "delete": _op("delete a rule (admins)", params=[_NAME]),
    },
    "/api/v1/tickets/{ticket_id}/reminders": {
        "get": _op("the ticket's reminders (staff who may see it)", out="ReminderList",
                   params=[_TICKET]),
        "post": _op("remind me about this ticket: {in: '2h'} or {at: ISO time}, note?", "201",
                    body="ReminderRequest", out="Reminder", params=[_TICKET]),
    },
    "/api/v1/tickets/{ticket_id}/reminders/{reminder_id}": {
        "delete": _op("cancel a pending reminder (who set it, or an admin)",
                      params=[_TICKET, {"name": "reminder_id", "in": "path", "required": True,
                                        "schema": _STR}]),
    },
}

SCHEMAS: dict[str, Any] = {
    "Rule": {"type": "object", "required": ["name", "on", "do"], "properties": {
        "name": _STR,
        "on": {"type": "string", "description": "a ticket event (ticket.created or "
               "TicketCreated ...), sla.warning, sla.breach, reminder.due, page.*, "
               "ticket.idle"},
        "for": {"type": "string", "description": "ticket.idle only: e.g. 3d"},
        "if": {"type": "object", "description": "queue, status, priority_at_least, owner, "
               "requestor_domain, source, event_source, actor, cf, subject_contains, "
               "text_contains"},
        "do": {"type": "array", "items": {"type": "object", "required": ["action"],
               "properties": {"action": {"type": "string", "enum": [
                   "notify", "set", "comment", "correspond", "escalate", "webhook", "page"]}}}},
        "template": _STR, "enabled": {"type": "boolean"}, "order": {"type": "integer"},
        "description": _STR, "version": {"type": "integer"}}},
    "RuleList": {"type": "object", "properties": {"rules": {
        "type": "array", "items": {"$ref": "#/components/schemas/Rule"}}}},
    "ReminderRequest": {"type": "object", "properties": {"in": _STR, "at": _STR,
                                                         "note": _STR}},
    "Reminder": {"type": "object", "properties": {
        "id": _STR, "ticket_id": {"type": "integer"}, "due": _STR, "note": _STR, "by": _STR,
        "state": {"type": "string", "enum": ["pending", "fired", "cancelled"]}}},
    "ReminderList": {"type": "object", "properties": {"reminders": {
        "type": "array", "items": {"$ref": "#/components/schemas/Reminder"}}}},
}


def paths() -> tuple[dict[str, Any], dict[str, Any]]:
    return PATHS, SCHEMAS
