"""JSON API of on-call: schedules, policies and pages; translate requests into commands.

Reads are staff-only (they say who is woken at night and how); saving is for admins
(the handlers check). A schedule's calendar feed also answers a calendar client
that presents the schedule's secret feed token instead of a bearer token.
"""

from __future__ import annotations

import datetime as dt
import hmac
from typing import Any

from flask import Blueprint, Response, g, jsonify, request

from hub.domain import NotFoundError
from hub.httpapi import DIGITS, BadRequestError, api_auth, bearer_actor, error, hub_of, json_body
from hub.oncall import commands as c
from hub.oncall import queries as q
from hub.oncall.ical import calendar_feed
from hub.oncall.rotation import NAME

bp = Blueprint("oncall_api", __name__, url_prefix="/api/v1")
MAX_WEEKS = 26


def _staff() -> None:
    if not g.actor.is_staff:
        raise NotFoundError("not found")


def _name(name: str) -> str:
    if not NAME.fullmatch(name):
        raise NotFoundError(f"{name[:64]!r} not found")
    return name


def _at() -> dt.datetime | None:
    raw = request.args.get("at", "").strip()
    if not raw:
        return None
    try:
        parsed = dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError as exc:
        raise BadRequestError("'at' must be an ISO 8601 time") from exc
    return parsed.astimezone(dt.UTC).replace(tzinfo=None) if parsed.tzinfo else parsed


def feed_url(name: str) -> str:
    hub = hub_of()
    token = q.feed_token(hub.settings.secret_key, name)
    return f"{hub.settings.public_url}/api/v1/oncall/schedules/{name}.ics?token={token}"


def _schedule_doc(name: str, document: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, **document, "feed_url": feed_url(name)}


@bp.get("/oncall/schedules")
@api_auth
def list_schedules() -> Response:
    _staff()
    with hub_of().engine.connect() as conn:
        found = q.list_schedules(conn)
    return jsonify({"schedules": [_schedule_doc(s.name, s.to_document()) for s in found]})


@bp.put("/oncall/schedules/<name>")
@api_auth
def put_schedule(name: str) -> Response:
    result = hub_of().bus.handle(c.SaveSchedule(name=_name(name), document=json_body()),
                                 g.actor)
    response = jsonify({**result, "feed_url": feed_url(name)})
    response.status_code = 201 if result["created"] else 200
    return response


@bp.get("/oncall/schedules/<name>")
@api_auth
def get_schedule(name: str) -> Response:
    _staff()
    with hub_of().engine.connect() as conn:
        found = q.find_schedule(conn, _name(name))
    if found is None:
        raise NotFoundError(f"schedule {name} not found")
    return jsonify(_schedule_doc(name, found.to_document()))


@bp.get("/oncall/schedules/<name>/now")
@api_auth
def schedule_now(name: str) -> Response:
    _staff()
    with hub_of().engine.connect() as conn:
        return jsonify(q.now_and_next(conn, _name(name), _at()))


@bp.get("/oncall/schedules/<name>.ics")
def schedule_feed(name: str) -> Response:
    """Staff with a token or session, or a calendar client with the feed's token."""
    hub = hub_of()
    actor = bearer_actor() or getattr(g, "session_actor", None)
    given = request.args.get("token", "")
    by_token = bool(given) and NAME.fullmatch(name) is not None and hmac.compare_digest(
        given.encode(), q.feed_token(hub.settings.secret_key, name).encode())
    if not by_token and actor is None:
        response = error(401, "authentication required: a bearer token or the feed's token")
        response.headers["WWW-Authenticate"] = 'Bearer realm="hub"'
        return response
    if not by_token and (actor is None or not actor.is_staff):
        raise NotFoundError(f"schedule {name} not found")
    weeks = request.args.get("weeks", "6")
    if not DIGITS.fullmatch(weeks) or not 1 <= int(weeks) <= MAX_WEEKS:
        raise BadRequestError(f"'weeks' must be 1-{MAX_WEEKS}")
    with hub.engine.connect() as conn:
        found = q.find_schedule(conn, _name(name))
    if found is None:
        raise NotFoundError(f"schedule {name} not found")
    body = calendar_feed(found, _at(), int(weeks), hub.settings.public_url)
    response = Response(body, mimetype="text/calendar")
    response.headers["Content-Disposition"] = f'inline; filename="{name}.ics"'
    response.headers["Cache-Control"] = "private, max-age=300"
    return response


@bp.get("/oncall/policies")
@api_auth
def list_policies() -> Response:
    _staff()
    with hub_of().engine.connect() as conn:
        found = q.list_policies(conn)
    return jsonify({"policies": [{"name": p.name, **p.to_document()} for p in found]})


@bp.put("/oncall/policies/<name>")
@api_auth
def put_policy(name: str) -> Response:
    result = hub_of().bus.handle(c.SavePolicy(name=_name(name), document=json_body()), g.actor)
    response = jsonify(result)
    response.status_code = 201 if result["created"] else 200
    return response


@bp.get("/oncall/policies/<name>")
@api_auth
def get_policy(name: str) -> Response:
    _staff()
    with hub_of().engine.connect() as conn:
        found = q.find_policy(conn, _name(name))
    if found is None:
        raise NotFoundError(f"policy {name} not found")
    return jsonify({"name": name, **found.to_document()})


@bp.get("/pages")
@api_auth
def list_pages() -> Response:
    raw = request.args.get("ticket_id", "").strip()
    if not DIGITS.fullmatch(raw):
        raise BadRequestError("'ticket_id' (a ticket number) is required")
    with hub_of().engine.connect() as conn:
        return jsonify({"pages": q.pages_for_ticket(conn, g.actor, int(raw))})


@bp.get("/pages/<int:page_id>")
@api_auth
def get_page(page_id: int) -> Response:
    with hub_of().engine.connect() as conn:
        return jsonify(q.page(conn, g.actor, page_id))


@bp.post("/pages")
@api_auth
def trigger() -> Response:
    body = json_body()
    unknown = set(body) - {"ticket_id", "policy", "target", "reason"}
    if unknown:
        raise BadRequestError(f"unknown fields: {sorted(unknown)}")
    raw = body.get("ticket_id")
    if isinstance(raw, bool) or not DIGITS.fullmatch(str(raw)):
        raise BadRequestError("'ticket_id' must be a ticket number")
    for key in ("policy", "target", "reason"):
        if body.get(key) is not None and not isinstance(body[key], str):
            raise BadRequestError(f"'{key}' must be a string")
    result = hub_of().bus.handle(c.TriggerPage(
        ticket_id=int(str(raw)), policy=body.get("policy"), target=body.get("target"),
        reason=body.get("reason") or f"paged by {g.actor.name}"), g.actor)
    response = jsonify(result)
    response.status_code = 201 if result.get("created") else 200
    return response


def _optional_body() -> dict[str, Any]:
    return json_body() if request.get_data(cache=True) else {}


@bp.post("/pages/<int:page_id>/ack")
@api_auth
def acknowledge(page_id: int) -> Response:
    body = _optional_body()
    code = body.get("code")
    if code is not None and not isinstance(code, str):
        raise BadRequestError("'code' must be a string")
    return jsonify(hub_of().bus.handle(c.AcknowledgePage(page_id=page_id, code=code),
                                       g.actor))


@bp.post("/pages/<int:page_id>/resolve")
@api_auth
def resolve(page_id: int) -> Response:
    body = _optional_body()
    reason = body.get("reason", "")
    if not isinstance(reason, str):
        raise BadRequestError("'reason' must be a string")
    return jsonify(hub_of().bus.handle(c.ResolvePage(page_id=page_id, reason=reason),
                                       g.actor))
