"""JSON API of the wiki: pages, history, diffs, restore, rename, fields, attachments.

Errors: 404 when the topic is missing *or* the caller may not view it (existence is
not revealed); 403 when they may view but not change/rename; 409 with a three-way
merge when ``base_revision`` is stale; 422 for invalid names, fields or revisions.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, g, jsonify, request

from hub.attachments import Blobs, blob_store
from hub.httpapi import BadRequestError, api_auth, error, hub_of, json_body
from hub.wiki import commands as c
from hub.wiki import leases
from hub.wiki import queries as q
from hub.wiki.handlers import PageConflictError
from hub.wiki.views_common import blob_response, page_document

bp = Blueprint("wiki_api", __name__, url_prefix="/api/v1/wiki")
PAGE = "/<web>/<topic>"
PUT_KEYS = {"text", "base_revision", "summary", "merge", "parent", "fields"}


def _int_arg(name: str, default: int | None = None) -> int | None:
    """A non-negative number argument: ASCII digits only (``str.isdigit`` admits "²",
    which ``int`` refuses), at most 12 of them (no huge numbers reach the database)."""
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    if not q.number_arg(raw):
        raise BadRequestError(f"{name} must be a whole number (at most 12 digits)")
    return int(raw)


def blobs() -> Blobs:
    return blob_store(hub_of())


def _idempotency_key() -> str | None:
    key = request.headers.get("Idempotency-Key")
    if key and len(key) > 200:
        raise BadRequestError("Idempotency-Key is at most 200 characters")
    return f"api:{g.actor.name}:{key}" if key else None


def _page(web: str, topic: str, status: int = 200) -> Response:
    hub = hub_of()
    with hub.engine.connect() as conn:
        doc = page_document(hub, conn, g.actor, web, topic, _int_arg("rev"))
    response = jsonify(doc)
    response.status_code = status
    response.headers["ETag"] = f'"{doc["revision"]}"'
    return response


@bp.get(PAGE)
@api_auth
def get_page(web: str, topic: str) -> Response:
    return _page(web, topic)


@bp.put(PAGE)
@api_auth
def put_page(web: str, topic: str) -> Response:
    body = json_body()
    unknown = set(body) - PUT_KEYS
    if unknown:
        raise BadRequestError(f"unknown fields: {sorted(unknown)}", allowed=sorted(PUT_KEYS))
    text, base = body.get("text"), body.get("base_revision")
    if not isinstance(text, str):
        raise BadRequestError("'text' must be a string")
    if not isinstance(base, int) or isinstance(base, bool) or base < 0:
        raise BadRequestError("'base_revision' must be a revision number (0 creates the topic)")
    summary, parent, fields = body.get("summary", ""), body.get("parent"), body.get("fields")
    if not isinstance(summary, str) or (parent is not None and not isinstance(parent, str)):
        raise BadRequestError("'summary' and 'parent' are strings")
    if fields is not None and not isinstance(fields, dict):
        raise BadRequestError("'fields' must be an object")
    command = c.SavePage(web=web, topic=topic, text=text, base_revision=base, summary=summary,
                         merge=body.get("merge") is True, parent=parent, fields=fields)
    hub = hub_of()
    try:
        result = hub.bus.handle(command, g.actor, idempotency_key=_idempotency_key())
    except PageConflictError as exc:
        with hub.engine.connect() as conn:
            editing = leases.holders(conn, web, topic, exclude=g.actor.name)
        return error(409, exc.message, **exc.details, editing=editing)
    leases.release(hub.engine, web, topic, g.actor.name)
    return _page(web, topic, 201 if result["created"] else 200)


@bp.get(f"{PAGE}/history")
@api_auth
def history(web: str, topic: str) -> Response:
    with hub_of().engine.connect() as conn:
        return jsonify({"web": web, "topic": topic,
                        "revisions": q.history(conn, g.actor, web, topic)})


@bp.get(f"{PAGE}/diff")
@api_auth
def diff(web: str, topic: str) -> Response:
    with hub_of().engine.connect() as conn:
        current = q.view_page(conn, g.actor, web, topic)["revision"]
        to = _int_arg("to", current) or current
        start = _int_arg("from", max(to - 1, 0))
        return jsonify(q.diff(conn, g.actor, web, topic, start or 0, to))


@bp.post(f"{PAGE}/restore")
@api_auth
def restore(web: str, topic: str) -> Response:
    revision = json_body().get("revision")
    if not isinstance(revision, int) or isinstance(revision, bool):
        raise BadRequestError("'revision' must be a revision number")
    hub_of().bus.handle(c.RestoreRevision(web, topic, revision), g.actor)
    return _page(web, topic)


@bp.post(f"{PAGE}/rename")
@api_auth
def rename(web: str, topic: str) -> Response:
    body = json_body()
    target = body.get("to")
    if not isinstance(target, str) or target.count(".") > 1:
        raise BadRequestError("'to' is the new name: Topic or Web.Topic")
    new_web, _, new_topic = target.rpartition(".")
    result = hub_of().bus.handle(c.RenamePage(
        web, topic, new_web or web, new_topic, update_links=body.get("update_links", True)
        is not False), g.actor)
    response = _page(result["web"], result["topic"])
    payload = response.get_json()
    payload.update(updated=result["updated"], not_updated=result["not_updated"])
    return jsonify(payload)


@bp.get(f"{PAGE}/backlinks")
@api_auth
def backlinks(web: str, topic: str) -> Response:
    with hub_of().engine.connect() as conn:
        q.view_page(conn, g.actor, web, topic)
        return jsonify({"backlinks": q.backlinks(conn, g.actor, web, topic)})


@bp.get(f"{PAGE}/tree")
@api_auth
def tree(web: str, topic: str) -> Response:
    with hub_of().engine.connect() as conn:
        q.view_page(conn, g.actor, web, topic)
        return jsonify({"breadcrumbs": q.breadcrumbs(conn, g.actor, web, topic),
                        "children": q.children(conn, g.actor, web, topic)})


@bp.put(f"{PAGE}/fields")
@api_auth
def put_fields(web: str, topic: str) -> Response:
    fields = json_body().get("fields")
    if not isinstance(fields, dict):
        raise BadRequestError("'fields' must be an object")
    hub_of().bus.handle(c.SetPageFields(web, topic, fields), g.actor)
    return _page(web, topic)


@bp.post(f"{PAGE}/lease")
@api_auth
def lease(web: str, topic: str) -> Response:
    """Say "I am editing this": returns who else is, and when this lease ends."""
    hub = hub_of()
    with hub.engine.connect() as conn:
        if q.page_exists(conn, web, topic):
            q.view_page(conn, g.actor, web, topic)
        others = leases.holders(conn, web, topic, exclude=g.actor.name)
    until = leases.take(hub.engine, web, topic, g.actor.name)
    return jsonify({"until": until.isoformat() + "Z", "editing": others})


@bp.get(f"{PAGE}/attachments")
@api_auth
def list_attachments(web: str, topic: str) -> Response:
    with hub_of().engine.connect() as conn:
        return jsonify({"attachments": q.attachments(
            conn, g.actor, web, topic, include_hidden=request.args.get("hidden") == "1")})


@bp.put(f"{PAGE}/attachments/<name>")
@api_auth
def put_attachment(web: str, topic: str, name: str) -> Response:
    data = request.get_data(cache=False)
    if not data:
        raise BadRequestError("the request body (the file's bytes) is empty")
    digest = blobs().put(data)
    result = hub_of().bus.handle(c.AddAttachment(
        web, topic, name, digest, len(data), request.mimetype or "application/octet-stream",
        request.args.get("comment", "")), g.actor)
    response = jsonify(result)
    response.status_code = 201
    return response


@bp.get(f"{PAGE}/attachments/<name>")
@api_auth
def get_attachment(web: str, topic: str, name: str) -> Response:
    with hub_of().engine.connect() as conn:
        item = q.attachment(conn, g.actor, web, topic, name, _int_arg("version"))
    return blob_response(blobs().get(item["sha256"]), name, item["content_type"])


@bp.get("/<web>/changes")
@api_auth
def changes(web: str) -> Response:
    limit = _int_arg("limit", 50) or 50
    with hub_of().engine.connect() as conn:
        return jsonify({"web": web, "changes": q.web_changes(conn, g.actor, web, min(limit, 500))})


def _subscription(web: str, subscribe: bool) -> Response:
    raw: dict[str, Any] = json_body() if request.get_data() else {}
    topic = raw.get("topic", "")
    if not isinstance(topic, str):
        raise BadRequestError("'topic' must be a string")
    command = c.Subscribe(web, topic) if subscribe else c.Unsubscribe(web, topic)
    return jsonify(hub_of().bus.handle(command, g.actor))


@bp.post("/<web>/subscription")
@api_auth
def subscribe(web: str) -> Response:
    return _subscription(web, True)


@bp.delete("/<web>/subscription")
@api_auth
def unsubscribe(web: str) -> Response:
    return _subscription(web, False)
