"""OpenAPI fragments for the channel endpoints (plain dicts: ``hub.openapi`` sits above)."""

from __future__ import annotations

from typing import Any

_ERROR = {"description": "error", "content": {"application/json": {"schema": {
    "$ref": "#/components/schemas/Error"}}}}
_STR: dict[str, Any] = {"type": "string"}
_NSTR: dict[str, Any] = {"type": "string", "nullable": True}


def _query(name: str, kind: str = "string", required: bool = False) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": required, "schema": {"type": kind}}


_INBOUND: dict[str, Any] = {
    "summary": "Kannel's sms-service get-url: an SMS someone sent to the hub "
               "(no bearer token: HUB_KANNEL_INBOUND_TOKEN as token=)",
    "security": [],
    "parameters": [_query("from", required=True), _query("text"),
                   _query("token", required=True), _query("id")],
    "responses": {"200": {"description": "recorded (empty text body: no reply SMS)"},
                  "400": _ERROR, "403": _ERROR}}
PATHS: dict[str, Any] = {
    "/api/v1/channels/deliveries": {"get": {
        "summary": "notification deliveries: of one ticket (staff who may see it) or all "
                   "(admins)",
        "parameters": [_query("ticket_id", "integer"), _query("state"), _query("cause")],
        "responses": {"200": {"description": "success", "content": {"application/json": {
            "schema": {"$ref": "#/components/schemas/DeliveryList"}}}},
            "400": _ERROR, "401": _ERROR, "403": _ERROR, "404": _ERROR}}},
    "/api/v1/channels/sms/inbound": {"get": _INBOUND, "post": _INBOUND},
}
SCHEMAS: dict[str, Any] = {
    "Delivery": {"type": "object", "properties": {
        "id": _STR, "via": {"type": "string", "enum": ["mail", "webhook", "xmpp", "sms"]},
        "user": _NSTR, "address": _STR,
        "state": {"type": "string", "enum": ["queued", "held_quiet", "delivered", "failed"]},
        "attempts": {"type": "integer"}, "delivered_at": _NSTR, "cause": _STR,
        "ticket_id": {"type": "integer", "nullable": True}, "error": _NSTR,
        "next_attempt_at": _NSTR}},
    "DeliveryList": {"type": "object", "properties": {"deliveries": {
        "type": "array", "items": {"$ref": "#/components/schemas/Delivery"}}}},
}
