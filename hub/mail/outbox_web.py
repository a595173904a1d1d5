"""The outbox on the API and the admin page ``/admin/mail``: every message the hub
sends, why it waits, and the buttons that release or discard it.

Admins only, reads too: the outbox names every recipient and shows private comments.
Entrypoints only translate: listing goes through :mod:`hub.mail.queries`, release and
discard are bus commands whose handler checks the rules (:mod:`hub.mail.outbox`).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, flash, g, jsonify, redirect, render_template, request
from werkzeug.wrappers import Response as WerkzeugResponse

from hub.domain import DomainError, PermissionDeniedError
from hub.httpapi import BadRequestError, api_auth, hub_of, json_body
from hub.mail import queries as mq
from hub.mail.commands import OUTBOX_STATES, DiscardOutgoingMail, ReleaseOutgoingMail
from hub.webkit.auth import login_required

outbox_api = Blueprint("mail_outbox_api", __name__, url_prefix="/api/v1/mail/outbox")
outbox_pages = Blueprint("mail_outbox_pages", __name__, template_folder="templates")
PER_PAGE = 50


def _admin_only() -> None:
    if g.actor.role != "admin":
        raise PermissionDeniedError("the outbox is for admins")


def _int(args: Any, name: str, default: int) -> int:
    raw = args.get(name, "")
    if raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise BadRequestError(f"{name} must be a whole number") from None


def _wake_sender() -> None:
    """Released mail goes at once when this process runs the sender (else within its poll)."""
    wakeup = hub_of().services.get("mail.outbox_wakeup")
    if wakeup is not None:
        wakeup.set()


def _message_document(message: mq.OutboxMessage) -> dict[str, Any]:
    return {**message.entry.document(), "envelope_from": message.envelope_from,
            "headers": [list(h) for h in message.headers], "body": message.body,
            "parts": message.parts, "as_sent": message.as_sent}


@outbox_api.get("")
@api_auth
def list_outbox() -> Response:
    _admin_only()
    args = request.args
    hub = hub_of()
    with hub.engine.connect() as conn:
        entries = mq.outbox(hub, conn, state=args.get("state") or None,
                            kind=args.get("kind") or None, limit=_int(args, "limit", 50),
                            offset=_int(args, "offset", 0))
        counts = mq.outbox_counts(conn)
    return jsonify({"messages": [e.document() for e in entries], "counts": counts})


@outbox_api.get("/<int:outbox_id>")
@api_auth
def get_outbox_message(outbox_id: int) -> Response:
    _admin_only()
    hub = hub_of()
    with hub.engine.connect() as conn:
        return jsonify(_message_document(mq.outbox_message(hub, conn, outbox_id)))


def _ids(value: Any) -> tuple[int, ...]:
    if not isinstance(value, list) or not all(
            isinstance(v, int) and not isinstance(v, bool) for v in value):
        raise BadRequestError("ids must be a list of message ids")
    return tuple(value)


@outbox_api.post("/release")
@api_auth
def release_many() -> Response:
    _admin_only()
    body = json_body()
    unknown = set(body) - {"ids", "all", "kind"}
    if unknown:
        raise BadRequestError(f"unknown fields: {sorted(unknown)}")
    kind = body.get("kind")
    if kind is not None and not isinstance(kind, str):
        raise BadRequestError("kind must be a string")
    if not isinstance(body.get("all", False), bool):
        raise BadRequestError("all must be true or false")
    command = ReleaseOutgoingMail(ids=_ids(body.get("ids", [])), all_held=body.get("all", False),
                                  kind=kind or None)
    result = hub_of().bus.handle(command, g.actor)
    _wake_sender()
    return jsonify(result)


@outbox_api.post("/<int:outbox_id>/release")
@api_auth
def release_one(outbox_id: int) -> Response:
    _admin_only()
    result = hub_of().bus.handle(ReleaseOutgoingMail(ids=(outbox_id,)), g.actor)
    _wake_sender()
    return jsonify(result)


@outbox_api.post("/<int:outbox_id>/discard")
@api_auth
def discard_one(outbox_id: int) -> Response:
    _admin_only()
    return jsonify(hub_of().bus.handle(DiscardOutgoingMail(ids=(outbox_id,)), g.actor))


# -- the admin page -----------------------------------------------------------------
def _page_admin() -> None:
    if g.actor.role != "admin":
        abort(403)


@outbox_pages.get("/admin/mail")
@login_required
def outbox_page() -> str:
    _page_admin()
    state = request.args.get("state", "")
    if state and state not in OUTBOX_STATES:
        abort(400, f"state is one of {', '.join(OUTBOX_STATES)}")
    kind = request.args.get("kind", "").strip()
    try:
        page = max(1, int(request.args.get("page", "1") or 1))
    except ValueError:
        abort(400, "page must be a whole number")
    hub = hub_of()
    with hub.engine.connect() as conn:
        counts = mq.outbox_counts(conn)
        entries = mq.outbox(hub, conn, state=state or None, kind=kind or None,
                            limit=PER_PAGE + 1, offset=(page - 1) * PER_PAGE)
    return render_template("mail/outbox.html", entries=entries[:PER_PAGE], counts=counts,
                           state=state, kind=kind, page=page, more=len(entries) > PER_PAGE,
                           states=OUTBOX_STATES, smarthost=hub.settings.smarthost,
                           base_url=hub.settings.public_url)


@outbox_pages.get("/admin/mail/<int:outbox_id>")
@login_required
def message_page(outbox_id: int) -> str:
    _page_admin()
    hub = hub_of()
    with hub.engine.connect() as conn:
        try:
            message = mq.outbox_message(hub, conn, outbox_id)
        except DomainError as exc:
            abort(exc.status, exc.message)
    return render_template("mail/message.html", message=message, entry=message.entry,
                           smarthost=hub.settings.smarthost)


def _form_ids() -> tuple[int, ...]:
    try:
        return tuple(int(v) for v in request.form.getlist("ids") if v.strip())
    except ValueError:
        abort(400, "ids must be message numbers")


def _back() -> WerkzeugResponse:
    target = request.form.get("next", "")
    return redirect(target if target.startswith("/admin/mail") else "/admin/mail", 303)


@outbox_pages.post("/admin/mail/release")
@login_required
def release_page() -> WerkzeugResponse:
    _page_admin()
    every = request.form.get("all") == "1"
    command = ReleaseOutgoingMail(ids=() if every else _form_ids(), all_held=every,
                                  kind=request.form.get("kind", "").strip() or None)
    try:
        released = hub_of().bus.handle(command, g.actor)["released"]
    except DomainError as exc:
        flash(f"Nothing released: {exc.message}", "error")
        return _back()
    _wake_sender()
    flash(f"Released {len(released)} message(s): they go to the smarthost now."
          if released else "No held mail to release.", "ok")
    return _back()


@outbox_pages.post("/admin/mail/discard")
@login_required
def discard_page() -> WerkzeugResponse:
    _page_admin()
    try:
        discarded = hub_of().bus.handle(DiscardOutgoingMail(ids=_form_ids()), g.actor)
    except DomainError as exc:
        flash(f"Nothing discarded: {exc.message}", "error")
        return _back()
    flash(f"Discarded {len(discarded['discarded'])} message(s); they will never be sent.", "ok")
    return _back()
