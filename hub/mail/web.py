"""Admin API and page for mail templates; entrypoints that only translate."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, flash, g, jsonify, redirect, render_template, request

from hub.domain import DomainError
from hub.httpapi import BadRequestError, api_auth, hub_of, json_body
from hub.mail.commands import ResetMailTemplate, SetMailTemplate
from hub.mail.handlers import list_templates
from hub.webkit.auth import login_required

api = Blueprint("mail_api", __name__, url_prefix="/api/v1/mail")
pages = Blueprint("mail_pages", __name__, template_folder="templates")


def _template(name: str) -> dict[str, Any]:
    with hub_of().engine.connect() as conn:
        found = next((t for t in list_templates(conn) if t["name"] == name), None)
    if found is None:
        abort(404)
    return found


@api.get("/templates")
@api_auth
def get_templates() -> Response:
    if not g.actor.can("AdminQueue"):
        return _forbidden()
    with hub_of().engine.connect() as conn:
        return jsonify({"templates": list_templates(conn)})


@api.put("/templates/<name>")
@api_auth
def put_template(name: str) -> Response:
    body = json_body()
    unknown = set(body) - {"subject", "text", "html"}
    if unknown:
        raise BadRequestError(f"unknown fields: {sorted(unknown)}")
    subject, text, html = body.get("subject"), body.get("text"), body.get("html")
    if not isinstance(subject, str) or not isinstance(text, str) or not (
            html is None or isinstance(html, str)):
        raise BadRequestError("subject and text are strings; html a string or null")
    hub_of().bus.handle(SetMailTemplate(name=name, subject=subject, text=text, html=html),
                        g.actor)
    return jsonify(_template(name))


@api.delete("/templates/<name>")
@api_auth
def reset_template(name: str) -> Response:
    hub_of().bus.handle(ResetMailTemplate(name=name), g.actor)
    return jsonify(_template(name))


def _forbidden() -> Response:
    response = jsonify({"error": "mail templates are for admins"})
    response.status_code = 403
    return response


@pages.route("/admin/mail/templates", methods=["GET", "POST"])
@login_required
def templates_page() -> Any:
    actor = g.actor
    if not actor.can("AdminQueue"):
        abort(403)
    if request.method == "POST":
        name = request.form.get("name", "")
        command = SetMailTemplate(name=name, subject=request.form.get("subject", ""),
                                  text=request.form.get("text", ""),
                                  html=request.form.get("html") or None)
        try:
            hub_of().bus.handle(command, actor)
            flash(f"template {name} saved", "ok")
        except DomainError as exc:
            flash(f"template {name} not saved: {exc.message}", "error")
        return redirect(request.path)
    with hub_of().engine.connect() as conn:
        templates = list_templates(conn)
    return render_template("mail/templates.html", templates=templates)
