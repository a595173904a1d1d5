"""Server-rendered wiki pages: view, edit (with leases and merge), history, diff, rename.

Views translate forms into the same commands as the API; domain errors become HTML
error pages (404 hides topics the reader may not view, 403 for forbidden changes).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for

from hub.domain import DomainError, NotFoundError, PermissionDeniedError
from hub.httpapi import hub_of
from hub.webkit.auth import login_required
from hub.wiki import commands as c
from hub.wiki import leases
from hub.wiki import queries as q
from hub.wiki.access import Access
from hub.wiki.api import blobs
from hub.wiki.forms import FORM_TOPIC, form_rows, parse_form
from hub.wiki.handlers import PageConflictError
from hub.wiki.model import NAME_RE
from hub.wiki.rendering import render_page
from hub.wiki.tables import wiki_pages
from hub.wiki.views_common import blob_response

bp = Blueprint("wiki_web", __name__, url_prefix="/wiki", template_folder="templates",
               static_folder="static", static_url_path="/static")
PAGE = "/<web>/<topic>"


def _names(web: str, topic: str = "WebHome") -> None:
    if not NAME_RE.match(web) or not NAME_RE.match(topic):
        abort(404)


def _abort_for(exc: DomainError) -> None:
    if isinstance(exc, NotFoundError | PermissionDeniedError):
        abort(exc.status)


def _form_defs(conn: Any, web: str) -> list[Any]:
    page = q.get_page(conn, web, FORM_TOPIC)
    return parse_form(page["text"]) if page else []


@bp.get("/")
def root() -> Any:
    return redirect(url_for("wiki_web.view", web="Main", topic="WebHome"))


@bp.get("/<web>/")
def web_home(web: str) -> Any:
    return redirect(url_for("wiki_web.view", web=web, topic="WebHome"))


@bp.get(PAGE)
@login_required
def view(web: str, topic: str) -> Any:
    _names(web, topic)
    hub = hub_of()
    with hub.engine.connect() as conn:
        access = Access(conn, g.actor)
        page = q.get_page(conn, web, topic)
        if page is None or not access.allowed("VIEW", web, topic, page["acl"]):
            if page is None and topic == "WebChanges":
                return render_template("wiki/changes.html", web=web,
                                       changes=q.web_changes(conn, g.actor, web))
            if page is None and access.allowed("CHANGE", web, topic, {}):
                return render_template("wiki/missing.html", web=web, topic=topic), 404
            abort(404)
        rev = request.args.get("rev", "")
        if rev and not q.number_arg(rev):
            abort(404)
        if rev:
            try:
                page = q.view_page(conn, g.actor, web, topic, int(rev), access=access)
            except NotFoundError:
                abort(404)
        rendered = render_page(hub, conn, g.actor, web, topic, page["text"], access=access)
        context = {
            "page": page, "html": rendered.html, "errors": rendered.errors,
            "toc": rendered.toc, "may_change": access.allowed("CHANGE", web, topic, page["acl"]),
            "breadcrumbs": q.breadcrumbs(conn, g.actor, web, topic),
            "children": q.children(conn, g.actor, web, topic),
            "backlinks": q.backlinks(conn, g.actor, web, topic),
            "attachments": q.attachments(conn, g.actor, web, topic),
            "form_rows": form_rows(_form_defs(conn, web), page),
            "editing": leases.holders(conn, web, topic, exclude=g.actor.name),
        }
    return render_template("wiki/view.html", web=web, topic=topic, **context)


@bp.route(f"{PAGE}/edit", methods=["GET", "POST"])
@login_required
def edit(web: str, topic: str) -> Any:
    _names(web, topic)
    hub = hub_of()
    with hub.engine.connect() as conn:
        page = q.get_page(conn, web, topic)
        access = Access(conn, g.actor)
        if page is not None and not access.allowed("VIEW", web, topic, page["acl"]):
            abort(404)
        if not access.allowed("CHANGE", web, topic, page["acl"] if page else {}):
            abort(403)
        form = _form_defs(conn, web)
        editing = leases.holders(conn, web, topic, exclude=g.actor.name)
    text = page["text"] if page else ""
    base = page["revision"] if page else 0
    fields = page["fields"] if page else {}
    conflict = None
    if request.method == "POST":
        text = request.form.get("text", "").replace("\r\n", "\n")
        raw_base = request.form.get("base_revision", "0") or "0"
        if not q.number_arg(raw_base):
            abort(400)
        base = int(raw_base)
        fields = {d.name: request.form.get(f"field-{d.name}", "") for d in form}
        try:
            hub.bus.handle(c.SavePage(web=web, topic=topic, text=text, base_revision=base,
                                      summary=request.form.get("summary", ""),
                                      merge=request.form.get("merge") == "1",
                                      parent=request.form.get("parent") or None,
                                      fields=fields if form else None), g.actor)
        except PageConflictError as exc:
            conflict = exc.details
            text = exc.details.get("merged_text") or exc.details.get("conflict_text") or text
            base = exc.details["current_revision"]
            flash(exc.message, "error")
        except DomainError as exc:
            _abort_for(exc)
            flash(exc.message, "error")
        else:
            leases.release(hub.engine, web, topic, g.actor.name)
            return redirect(url_for("wiki_web.view", web=web, topic=topic))
    else:
        leases.take(hub.engine, web, topic, g.actor.name)
    return render_template("wiki/edit.html", web=web, topic=topic, text=text, base=base,
                           form=form, fields=fields, editing=editing, conflict=conflict,
                           parent=request.args.get("parent", page["parent"] if page else ""))


@bp.get(f"{PAGE}/history")
@login_required
def history(web: str, topic: str) -> Any:
    _names(web, topic)
    with hub_of().engine.connect() as conn:
        try:
            revisions = q.history(conn, g.actor, web, topic)
            may_change = q.can(conn, g.actor, "CHANGE", web, topic)
        except DomainError as exc:
            _abort_for(exc)
            raise
    return render_template("wiki/history.html", web=web, topic=topic, revisions=revisions,
                           may_change=may_change)


@bp.get(f"{PAGE}/diff")
@login_required
def diff(web: str, topic: str) -> Any:
    _names(web, topic)
    a, b = request.args.get("from", ""), request.args.get("to", "")
    with hub_of().engine.connect() as conn:
        try:
            current = q.view_page(conn, g.actor, web, topic)["revision"]
            if (a and not q.number_arg(a)) or (b and not q.number_arg(b)):
                abort(400)
            to = int(b) if b else current
            start = int(a) if a else max(to - 1, 0)
            result = q.diff(conn, g.actor, web, topic, start, to)
        except DomainError as exc:
            _abort_for(exc)
            raise
    return render_template("wiki/diff.html", web=web, topic=topic, diff=result)


@bp.post(f"{PAGE}/restore")
@login_required
def restore(web: str, topic: str) -> Any:
    _names(web, topic)
    try:
        hub_of().bus.handle(c.RestoreRevision(web, topic, int(request.form["revision"])),
                            g.actor)
    except (KeyError, ValueError):
        abort(400)
    except DomainError as exc:
        _abort_for(exc)
        flash(exc.message, "error")
    return redirect(url_for("wiki_web.view", web=web, topic=topic))


@bp.route(f"{PAGE}/rename", methods=["GET", "POST"])
@login_required
def rename(web: str, topic: str) -> Any:
    _names(web, topic)
    if request.method == "POST":
        new_web = request.form.get("new_web", web).strip() or web
        new_topic = request.form.get("new_topic", "").strip()
        try:
            hub_of().bus.handle(c.RenamePage(web, topic, new_web, new_topic,
                                             update_links=request.form.get("links") != "0"),
                                g.actor)
        except DomainError as exc:
            _abort_for(exc)
            flash(exc.message, "error")
        else:
            return redirect(url_for("wiki_web.view", web=new_web, topic=new_topic))
    with hub_of().engine.connect() as conn:
        if not q.page_exists(conn, web, topic) or not q.can(conn, g.actor, "VIEW", web, topic):
            abort(404)
        refs = q.backlinks(conn, g.actor, web, topic)
    return render_template("wiki/rename.html", web=web, topic=topic, backlinks=refs)


@bp.post(f"{PAGE}/attach")
@login_required
def attach(web: str, topic: str) -> Any:
    _names(web, topic)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        flash("choose a file to attach", "error")
        return redirect(url_for("wiki_web.view", web=web, topic=topic))
    data = upload.read()
    name = upload.filename.replace("\\", "/").rsplit("/", 1)[-1]
    try:
        hub_of().bus.handle(c.AddAttachment(
            web, topic, name, blobs().put(data), len(data),
            upload.mimetype or "application/octet-stream", request.form.get("comment", "")),
            g.actor)
    except DomainError as exc:
        _abort_for(exc)
        flash(exc.message, "error")
    return redirect(url_for("wiki_web.view", web=web, topic=topic))


@bp.get(f"{PAGE}/files/<name>")
@login_required
def attachment(web: str, topic: str, name: str) -> Any:
    _names(web, topic)
    version = request.args.get("version", "")
    with hub_of().engine.connect() as conn:
        try:
            item = q.attachment(conn, g.actor, web, topic, name,
                                int(version) if q.number_arg(version) else None)
        except DomainError as exc:
            _abort_for(exc)
            raise
    return blob_response(blobs().get(item["sha256"]), name, item["content_type"])


@bp.post("/<web>/subscribe")
@login_required
def subscribe(web: str) -> Any:
    _names(web)
    topic = request.form.get("topic", "")
    command = (c.Unsubscribe(web, topic) if request.form.get("off") == "1"
               else c.Subscribe(web, topic))
    try:
        hub_of().bus.handle(command, g.actor)
        flash("subscription saved", "info")
    except DomainError as exc:
        flash(exc.message, "error")
    return redirect(url_for("wiki_web.view", web=web, topic=topic or "WebHome"))


@bp.get("/<web>/index")
@login_required
def web_index(web: str) -> Any:
    _names(web)
    with hub_of().engine.connect() as conn:
        access = Access(conn, g.actor)
        rows = conn.execute(sa.select(wiki_pages.c.topic, wiki_pages.c.title, wiki_pages.c.acl)
                            .where(wiki_pages.c.web == web, wiki_pages.c.revision > 0)
                            .order_by(wiki_pages.c.topic)).all()
        topics = [r for r in rows if access.allowed("VIEW", web, r.topic, r.acl)]
    return render_template("wiki/index.html", web=web, topics=topics)
