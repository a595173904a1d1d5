"""OpenAPI fragments for the mail API (templates live in ``hub.openapi``; the outbox
here), merged into ``/api/v1/openapi.json`` through ``hub.mail.feature.openapi_paths``.

Plain dicts, no import of ``hub.openapi`` (a layer above mail), so the description
lives beside the routes of :mod:`hub.mail.outbox_web`.
"""

from __future__ import annotations

from typing import Any

from hub.mail.commands import OUTBOX_STATES

_ERROR = {"description": "error", "content": {"application/json": {"schema": {
    "$ref": "#/components/schemas/Error"}}}}
_STRING: dict[str, Any] = {"type": "string"}
_ID = {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}


def _query(name: str, kind: str = "string") -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": {"type": kind}}


def _op(summary: str, schema: str, *, errors: tuple[str, ...], body: str | None = None,
        params: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    op: dict[str, Any] = {"summary": summary, "responses": {
        "200": {"description": "success", "content": {"application/json": {"schema": {
            "$ref": f"#/components/schemas/{schema}"}}}},
        "401": _ERROR, **{code: _ERROR for code in errors}}}
    if body:
        op["requestBody"] = {"required": True, "content": {"application/json": {"schema": {
            "$ref": f"#/components/schemas/{body}"}}}}
    if params:
        op["parameters"] = params
    return op


def _obj(required: tuple[str, ...] = (), **props: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "object", "properties": props}
    if required:
        out["required"] = list(required)
    return out


def _ids(name: str) -> dict[str, Any]:
    return _obj((name,), **{name: {"type": "array", "items": {"type": "integer"}}})


_MESSAGE: dict[str, Any] = {
    "id": {"type": "integer"}, "to": _STRING, "subject": _STRING, "kind": _STRING,
    "state": {"type": "string", "enum": list(OUTBOX_STATES)},
    "attempts": {"type": "integer"}, "error": {"type": "string", "nullable": True},
    "ticket_id": {"type": "integer", "nullable": True},
    "created_at": {"type": "string", "format": "date-time"},
    "sent_at": {"type": "string", "format": "date-time", "nullable": True},
    "next_attempt_at": {"type": "string", "format": "date-time", "nullable": True}}
_REQUIRED = ("id", "to", "subject", "kind", "state", "attempts", "error", "ticket_id",
             "created_at")

OUTBOX_SCHEMAS: dict[str, Any] = {
    "OutgoingMail": _obj(_REQUIRED, **_MESSAGE),
    "OutgoingMailList": _obj(("messages",), messages={"type": "array", "items": {
        "$ref": "#/components/schemas/OutgoingMail"}}, counts={"type": "object"}),
    "OutgoingMailFull": _obj(
        (*_REQUIRED, "headers", "body"), **_MESSAGE, envelope_from=_STRING,
        headers={"type": "array", "items": {"type": "array", "items": _STRING}}, body=_STRING,
        parts={"type": "array", "items": _STRING}, as_sent={"type": "boolean"}),
    "OutgoingMailRelease": _obj(ids={"type": "array", "items": {"type": "integer"}},
                                all={"type": "boolean"}, kind=_STRING),
    "OutgoingMailReleased": _ids("released"),
    "OutgoingMailDiscarded": _ids("discarded"),
}

OUTBOX_PATHS: dict[str, Any] = {
    "/api/v1/mail/outbox": {"get": _op(
        "outgoing mail, newest first (admin)", "OutgoingMailList", params=[
            _query("state"), _query("kind"), _query("limit", "integer"),
            _query("offset", "integer")], errors=("400", "403", "422"))},
    "/api/v1/mail/outbox/{id}": {"get": _op(
        "one outgoing message with its headers and text (admin)", "OutgoingMailFull",
        params=[_ID], errors=("403", "404"))},
    "/api/v1/mail/outbox/release": {"post": _op(
        "release held mail: these ids, or all held ones (of one kind)", "OutgoingMailReleased",
        body="OutgoingMailRelease", errors=("400", "403", "404", "409", "422"))},
    "/api/v1/mail/outbox/{id}/release": {"post": _op(
        "release one held or failed message", "OutgoingMailReleased", params=[_ID],
        errors=("403", "404", "409"))},
    "/api/v1/mail/outbox/{id}/discard": {"post": _op(
        "never send this message", "OutgoingMailDiscarded", params=[_ID],
        errors=("403", "404", "409"))},
}
