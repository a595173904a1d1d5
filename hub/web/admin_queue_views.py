"""The admin pages for queues: list, create and edit, with the queue's grants beside it.

A new queue gets ``<name>@`` and ``<name>-comment@`` the mail domain unless the
admin types other addresses or asks for none, as ``hub init`` does for General, so
"a second queue with its own team" receives mail from the start. Lifecycles are
picked from those already in use (RT's default first) or written as JSON; the
queue's own rules check them, as they do for the API.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from flask import abort, flash, redirect, request, url_for
from werkzeug.wrappers import Response

from hub.accounts import queries as aq
from hub.domain import DomainError, ValidationError
from hub.httpapi import hub_of
from hub.tickets import commands as tc
from hub.tickets import queries as tq
from hub.web.admin_access_views import grant_context
from hub.web.admin_views import Page, admin_only, admin_page, refused
from hub.web.desk import bp, send
from hub.webkit.auth import login_required

ADDRESS = re.compile(r"[^@\s<>]{1,64}@[a-z0-9-]+(\.[a-z0-9-]+)*")
CUSTOM = "custom"
REOPEN = (("reopen", "a reply reopens the ticket"),
          ("new_ticket", "a reply to a closed ticket opens a new one"))


def _lifecycles(conn: sa.Connection) -> dict[str, dict[str, Any]]:
    """Lifecycles by name: RT's default, then those the queues use."""
    found = {"default": tq.DEFAULT_LIFECYCLE.as_dict()}
    for queue in tq.list_queues(conn, include_disabled=True):
        found.setdefault(queue.lifecycle.name, queue.lifecycle.as_dict())
    return found


def _chosen_lifecycle(form: Mapping[str, str],
                      known: dict[str, dict[str, Any]]) -> dict[str, Any]:
    choice = form.get("lifecycle", "default")
    if choice != CUSTOM:
        if choice not in known:
            raise ValidationError(f"unknown lifecycle {choice!r}", field="lifecycle")
        return known[choice]
    try:
        written = json.loads(form.get("lifecycle_json", ""))
    except ValueError as exc:
        raise ValidationError(f"the lifecycle is not valid JSON: {exc}",
                              field="lifecycle_json") from exc
    if not isinstance(written, dict):
        raise ValidationError("a lifecycle is a JSON object", field="lifecycle_json")
    return written


def _address(form: Mapping[str, str], key: str) -> str:
    value = form.get(key, "").strip().lower()
    if value and not ADDRESS.fullmatch(value):
        raise ValidationError(f"{value!r} is not an email address", field=key)
    return value


def _queue_rows(conn: sa.Connection) -> list[dict[str, Any]]:
    grants = aq.all_grants(conn)
    managed = {x.scope for x in grants if x.principal.startswith(("group:", "user:"))}
    return [{"info": q, "managed": q.key in managed,
             "grants": sum(x.scope == q.key for x in grants),
             "customers_may_create": bool(q.spec.get("customers_may_create", True))}
            for q in tq.list_queues(conn, include_disabled=True)]


@bp.get("/admin/queues")
@login_required
def admin_queues() -> Page:
    admin_only()
    return queues_page()


def queues_page(error: str | None = None, form: Mapping[str, str] | None = None) -> Page:
    with hub_of().engine.connect() as conn:
        rows, lifecycles = _queue_rows(conn), _lifecycles(conn)
    return admin_page("admin_queues.html", "/admin/queues", 422 if error else 200,
                      queues=rows, lifecycles=list(lifecycles), custom=CUSTOM,
                      domain=hub_of().settings.mail_domain, error=error, form=form or {})


@bp.post("/admin/queues")
@login_required
def admin_create_queue() -> Response | Page:
    admin_only()
    form = request.form
    name = form.get("name", "").strip()
    domain = hub_of().settings.mail_domain
    try:
        with hub_of().engine.connect() as conn:
            lifecycle = _chosen_lifecycle(form, _lifecycles(conn))
        address, comment = _address(form, "address"), _address(form, "comment_address")
        if form.get("mail", "default") == "default" and name:
            address = address or f"{name.lower()}@{domain}"
            comment = comment or f"{name.lower()}-comment@{domain}"
        send(tc.CreateQueue(name=name, description=form.get("description", "").strip(),
                            address=address, comment_address=comment, lifecycle=lifecycle,
                            customers_may_create=form.get("customers_may_create") == "1"))
    except DomainError as exc:
        return refused(exc, queues_page)
    flash(f"Queue {name} created" + (f": mail to {address} opens tickets in it." if address
                                     else " (it takes no mail)."), "ok")
    return redirect(url_for("desk.admin_queue", name=name), 303)


@bp.get("/admin/queues/<name>")
@login_required
def admin_queue(name: str) -> Page:
    admin_only()
    return queue_page(name)


def queue_page(name: str, error: str | None = None,
               form: Mapping[str, str] | None = None) -> Page:
    with hub_of().engine.connect() as conn:
        info = tq.find_queue(conn, name)
        if info is None:
            abort(404, f"There is no queue {name}.")
        lifecycles = _lifecycles(conn)
        grants = aq.grants_in(conn, [info.key])
        context = grant_context(conn)
    return admin_page(
        "admin_queue.html", "/admin/queues", 422 if error else 200, queue=info,
        spec=info.spec, lifecycles=list(lifecycles), custom=CUSTOM, reopen=REOPEN,
        lifecycle_json=json.dumps(info.lifecycle.as_dict(), indent=2), grants=grants,
        managed=any(x.principal.startswith(("group:", "user:")) for x in grants),
        error=error, form=form or {}, **context)


@bp.post("/admin/queues/<name>")
@login_required
def admin_change_queue(name: str) -> Response | Page:
    """Every setting of the edit form; a lifecycle only when another one was chosen."""
    admin_only()
    form = request.form
    try:
        with hub_of().engine.connect() as conn:
            info = tq.find_queue(conn, name)
            if info is None:
                abort(404, f"There is no queue {name}.")
            known = _lifecycles(conn)
        changes: dict[str, Any] = {
            "address": _address(form, "address"),
            "comment_address": _address(form, "comment_address"),
            "customers_may_create": form.get("customers_may_create") == "1"}
        if "description" in form:
            changes["description"] = form["description"].strip()
        for flag in ("add_cc_watchers", "disabled"):
            if f"has_{flag}" in form:  # the edit page has these boxes; older forms did not
                changes[flag] = form.get(flag) == "1"
        if form.get("reopen_policy"):
            changes["reopen_policy"] = form["reopen_policy"]
        if form.get("lifecycle") and (form["lifecycle"] == CUSTOM
                                      or form["lifecycle"] != info.lifecycle.name):
            changes["lifecycle"] = _chosen_lifecycle(form, known)
        send(tc.ChangeQueue(name=info.name, changes=changes))
    except DomainError as exc:
        if exc.status == 404:
            raise
        return refused(exc, lambda **kw: queue_page(name, **kw))
    flash(f"Queue {info.name} saved.", "ok")
    return redirect(url_for("desk.admin_queue", name=info.name), 303)
