"""JSON API for tickets and queues: translate requests into commands and queries."""

from __future__ import annotations

import re
from typing import Any

from flask import Blueprint, Response, g, jsonify, request

from hub.accounts.queries import rights_for
from hub.domain import NotFoundError, PermissionDeniedError, ValidationError
from hub.httpapi import (
    BadRequestError,
    api_auth,
    etag_of,
    hub_of,
    if_match_version,
    json_body,
)
from hub.tickets import commands as c
from hub.tickets import queries as q
from hub.tickets import written

bp = Blueprint("tickets_api", __name__, url_prefix="/api/v1")

CREATE_KEYS = {"queue", "subject", "body", "requestors", "priority", "fields", "cc", "admincc",
               "due", "owner", "status"}
ADDRESS = re.compile(r"[^@\s<>]{1,64}@[a-z0-9-]+(\.[a-z0-9-]+)*")
PATCH_KEYS = {"status", "owner", "priority", "queue", "fields", "subject", "due", "force"}


def _reject_unknown(body: dict[str, Any], allowed: set[str]) -> None:
    unknown = set(body) - allowed
    if unknown:
        raise BadRequestError(f"unknown fields: {sorted(unknown)}", allowed=sorted(allowed))


def _text(body: dict[str, Any], key: str, required: bool = True) -> str:
    value = body.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str):
        raise BadRequestError(f"{key!r} must be a string")
    return value


def _flag(body: dict[str, Any], key: str) -> bool:
    value = body.get(key, False)
    if not isinstance(value, bool):
        raise BadRequestError(f"{key!r} must be true or false")
    return value


def _idempotency_key() -> str | None:
    key = request.headers.get("Idempotency-Key")
    if not key:
        return None
    if len(key) > 200:
        raise BadRequestError("Idempotency-Key is at most 200 characters")
    return f"api:{g.actor.name}:{key}"


def _handle(command: Any, *, idempotent: bool = False) -> Any:
    """Run a ticket command; the states it wrote are kept for :func:`_ticket_response`."""
    with written.collecting() as states:
        result = hub_of().bus.handle(command, g.actor, idempotency_key=_idempotency_key()
                                     if idempotent else None)
    g.ticket_states = states
    return result


def _just_written(ticket_id: int) -> dict[str, Any] | None:
    """The public ticket from the state this request's command wrote, when that is what
    the read model would answer: staff (no fields hidden), not merged, visible."""
    state = g.get("ticket_states", {}).get(ticket_id)
    if state is None or not g.actor.is_staff or state["merged_into"] is not None:
        return None
    stored = written.as_stored(state)
    return q.public_view(stored, staff=True) if q.can_see(g.actor, stored) else None


def _add_extra_fields(conn: Any, tickets: list[dict[str, Any]]) -> None:
    """Fields other features add to tickets the caller may already see (the SLA
    feature's ``sla``), through the hooks they register in ``hub.services``."""
    for hook in hub_of().services.get("tickets.extra_fields", []):
        hook(conn, g.actor, tickets)


def _ticket_response(ticket_id: int, status: int = 200) -> Response:
    ticket = _just_written(ticket_id)
    with hub_of().engine.connect() as conn:
        if ticket is None:
            ticket = q.get_ticket(conn, g.actor, ticket_id)
        _add_extra_fields(conn, [ticket])
    response = jsonify(ticket)
    response.status_code = status
    response.headers["ETag"] = etag_of(ticket["version"])
    return response


@bp.post("/tickets")
@api_auth
def create_ticket() -> Response:
    body = json_body()
    _reject_unknown(body, CREATE_KEYS)
    fields = body.get("fields")
    if fields is not None and not isinstance(fields, dict):
        raise BadRequestError("'fields' must be an object")
    command = c.CreateTicket(
        queue=_text(body, "queue"), subject=_text(body, "subject"),
        body=_text(body, "body", required=False), requestors=body.get("requestors"),
        cc=body.get("cc"), admincc=body.get("admincc"), priority=body.get("priority"),
        due=body.get("due"), fields=fields, owner=body.get("owner"), status=body.get("status"),
    )
    result = _handle(command, idempotent=True)
    response = _ticket_response(result["id"], 201)
    response.headers["Location"] = f"/api/v1/tickets/{result['id']}"
    return response


@bp.get("/tickets/<int:ticket_id>")
@api_auth
def get_ticket(ticket_id: int) -> Response:
    as_of = request.args.get("as_of")
    if as_of:
        hub = hub_of()
        with hub.engine.connect() as conn:
            ticket = q.ticket_as_of(conn, hub.store, g.actor, ticket_id, as_of)
        response = jsonify(ticket)
        response.headers["ETag"] = etag_of(ticket["version"])
        return response
    return _ticket_response(ticket_id)


@bp.patch("/tickets/<int:ticket_id>")
@api_auth
def patch_ticket(ticket_id: int) -> Response:
    body = json_body()
    _reject_unknown(body, PATCH_KEYS)
    if "fields" in body and not isinstance(body["fields"], dict):
        raise BadRequestError("'fields' must be an object")
    for key in ("status", "queue", "subject"):
        if key in body and not isinstance(body[key], str):
            raise BadRequestError(f"{key!r} must be a string")
    if "owner" in body and body["owner"] is not None and not isinstance(body["owner"], str):
        raise BadRequestError("'owner' must be a user name or null")
    force = body.get("force", False)
    if not isinstance(force, bool):
        raise BadRequestError("'force' must be true or false")
    command = c.UpdateTicket(
        ticket_id=ticket_id, expected_version=if_match_version(),
        status=body.get("status"), owner=body.get("owner") or None,
        owner_set="owner" in body, priority=body.get("priority"), queue=body.get("queue"),
        subject=body.get("subject"), due=body.get("due"), due_set="due" in body,
        fields=body.get("fields"), force=force,
    )
    result = _handle(command, idempotent=True)
    return _ticket_response(result["id"])


def _message(ticket_id: int, kind: type[c.Correspond] | type[c.Comment]) -> Response:
    body = json_body()
    _reject_unknown(body, {"body"})
    command = kind(ticket_id=ticket_id, body=_text(body, "body"))
    result = _handle(command, idempotent=True)
    return _ticket_response(result["id"], 201)


@bp.post("/tickets/<int:ticket_id>/correspond")
@api_auth
def correspond(ticket_id: int) -> Response:
    return _message(ticket_id, c.Correspond)


@bp.post("/tickets/<int:ticket_id>/comment")
@api_auth
def comment(ticket_id: int) -> Response:
    return _message(ticket_id, c.Comment)


@bp.get("/tickets/<int:ticket_id>/history")
@api_auth
def history(ticket_id: int) -> Response:
    hub = hub_of()
    with hub.engine.connect() as conn:
        return jsonify(q.history(conn, hub.store, g.actor, ticket_id))


@bp.post("/tickets/<int:ticket_id>/owner")
@api_auth
def owner(ticket_id: int) -> Response:
    body = json_body()
    _reject_unknown(body, {"action", "owner"})
    action = body.get("action")
    if action not in ("take", "untake", "steal", "assign"):
        raise BadRequestError("action is one of take, untake, steal, assign")
    command = c.ChangeOwner(ticket_id=ticket_id, how=action, owner=body.get("owner"))
    result = _handle(command)
    return _ticket_response(result["id"])


@bp.post("/tickets/<int:ticket_id>/watchers")
@api_auth
def watchers(ticket_id: int) -> Response:
    body = json_body()
    _reject_unknown(body, {"role", "address", "remove"})
    command = c.ChangeWatcher(ticket_id=ticket_id, role=_text(body, "role"),
                              address=_text(body, "address"), add=not _flag(body, "remove"))
    result = _handle(command)
    return _ticket_response(result["id"])


@bp.post("/tickets/<int:ticket_id>/links")
@api_auth
def links(ticket_id: int) -> Response:
    body = json_body()
    _reject_unknown(body, {"kind", "target", "remove"})
    target = body.get("target")
    if isinstance(target, bool) or not isinstance(target, int):
        raise BadRequestError("'target' must be a ticket number")
    command = c.LinkTickets(ticket_id=ticket_id, kind=_text(body, "kind"), target=target,
                            add=not _flag(body, "remove"))
    result = _handle(command)
    return _ticket_response(result["id"])


@bp.post("/tickets/<int:ticket_id>/merge")
@api_auth
def merge(ticket_id: int) -> Response:
    body = json_body()
    _reject_unknown(body, {"into"})
    into = body.get("into")
    if isinstance(into, bool) or not isinstance(into, int):
        raise BadRequestError("'into' must be a ticket number")
    result = _handle(c.MergeTickets(ticket_id=ticket_id, into=into))
    return _ticket_response(result["id"])


@bp.post("/tickets/<int:ticket_id>/time")
@api_auth
def time_worked(ticket_id: int) -> Response:
    body = json_body()
    _reject_unknown(body, {"minutes", "user"})
    minutes = body.get("minutes")
    if isinstance(minutes, bool) or not isinstance(minutes, int):
        raise BadRequestError("'minutes' must be a whole number")
    if body.get("user") is not None and not isinstance(body["user"], str):
        raise BadRequestError("'user' must be a user name")
    command = c.RecordTime(ticket_id=ticket_id, minutes=minutes, user=body.get("user"))
    result = _handle(command)
    return _ticket_response(result["id"])


def _int_arg(name: str, default: int) -> int:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    if not re.fullmatch(r"-?[0-9]{1,18}", raw):
        raise ValidationError(f"{name} must be a whole number")
    return int(raw)


@bp.get("/tickets")
@api_auth
def list_tickets() -> Response:
    args = request.args
    status = [s for s in args.get("status", "").split(",") if s] or None
    flt = q.TicketFilter(
        queue=args.get("queue") or None, status=status, owner=args.get("owner"),
        requestor=args.get("requestor") or None, q=args.get("q") or None,
        limit=_int_arg("limit", 50), offset=_int_arg("offset", 0),
        order=args.get("order", "-id"), extra=_extra_filters(),
    )
    with hub_of().engine.connect() as conn:
        found = q.list_tickets(conn, g.actor, flt)
        _add_extra_fields(conn, found["tickets"])
        return jsonify(found)


def _extra_filters() -> tuple[Any, ...]:
    """List filters other features register (``sla=breached``): each turns the query
    argument into a select of ticket ids, narrowed further by the access rule."""
    filters = hub_of().services.get("tickets.list_filters", {})
    return tuple(build(request.args[name]) for name, build in filters.items()
                 if request.args.get(name))


QUEUE_KEYS = {"name", "description", "address", "comment_address", "lifecycle",
              "custom_fields", "reopen_policy", "customers_may_create", "sla",
              "escalation_policy"}


def _admin_only() -> None:
    if g.actor.role != "admin":
        raise PermissionDeniedError("administration needs the admin role")


def _queue_document(info: q.QueueInfo) -> dict[str, Any]:
    spec = info.spec
    return {"name": info.name, "description": spec.get("description", ""),
            "address": info.address, "comment_address": info.comment_address,
            "lifecycle": spec.get("lifecycle", {}).get("name", "default"),
            "customers_may_create": bool(spec.get("customers_may_create", True)),
            "reopen_policy": spec.get("reopen_policy", "reopen"),
            "custom_fields": spec.get("custom_fields", []), "disabled": info.disabled,
            "add_cc_watchers": bool(spec.get("add_cc_watchers", False)),
            "sla": spec.get("sla"), "escalation_policy": spec.get("escalation_policy")}


def _queue_body(body: dict[str, Any], allowed: set[str]) -> dict[str, Any]:
    _reject_unknown(body, allowed)
    for key in ("name", "description", "address", "comment_address", "reopen_policy"):
        if key in body and not isinstance(body[key], str):
            raise BadRequestError(f"{key!r} must be a string")
    for key in ("address", "comment_address"):
        if body.get(key):
            body[key] = body[key].strip().lower()
            if not ADDRESS.fullmatch(body[key]):
                raise ValidationError(f"{key} {body[key]!r} is not an email address", field=key)
    if body.get("sla") is not None and not isinstance(body["sla"], dict):
        raise ValidationError("'sla' must be an object or null", field="sla")
    if body.get("escalation_policy") is not None and not isinstance(
            body["escalation_policy"], str):
        raise ValidationError("'escalation_policy' must be a policy name or null",
                              field="escalation_policy")
    if "lifecycle" in body and not isinstance(body["lifecycle"], dict):
        raise BadRequestError("'lifecycle' must be an object")
    if "custom_fields" in body and not (
        isinstance(body["custom_fields"], list)
        and all(isinstance(f, dict) for f in body["custom_fields"])
    ):
        raise BadRequestError("'custom_fields' must be a list of objects")
    for key in ("customers_may_create", "disabled", "add_cc_watchers"):
        if key in body:
            _flag(body, key)
    return body


def _queue_response(name: str, status: int = 200) -> Response:
    with hub_of().engine.connect() as conn:
        info = q.find_queue(conn, name)
    if info is None:
        raise NotFoundError(f"queue {name} not found")
    response = jsonify(_queue_document(info))
    response.status_code = status
    return response


@bp.get("/queues")
@api_auth
def list_queues() -> Response:
    """Admins see every queue; others only those they may see or open tickets in."""
    with hub_of().engine.connect() as conn:
        infos = q.list_queues(conn, include_disabled=g.actor.role == "admin")
    shown = [i for i in infos if g.actor.role == "admin" or {"SeeQueue", "CreateTicket"} & (
        rights_for(g.actor, queue=i.name,
                   customers_may_create=bool(i.spec.get("customers_may_create", True))))]
    return jsonify({"queues": [_queue_document(i) for i in shown]})


@bp.post("/queues")
@api_auth
def create_queue() -> Response:
    _admin_only()
    body = _queue_body(json_body(), QUEUE_KEYS)
    _text(body, "name")
    command = c.CreateQueue(**{k: v for k, v in body.items() if k in QUEUE_KEYS})
    result = hub_of().bus.handle(command, g.actor)
    response = _queue_response(str(result["name"]), 201)
    response.headers["Location"] = f"/api/v1/queues/{result['name']}"
    return response


@bp.patch("/queues/<name>")
@api_auth
def change_queue(name: str) -> Response:
    _admin_only()
    body = _queue_body(json_body(), (QUEUE_KEYS - {"name"}) | {"disabled", "add_cc_watchers"})
    if not body:
        raise BadRequestError("nothing to change", allowed=sorted(QUEUE_KEYS - {"name"}))
    hub_of().bus.handle(c.ChangeQueue(name=name, changes=body), g.actor)
    return _queue_response(name)
