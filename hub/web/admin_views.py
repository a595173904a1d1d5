"""The admin pages, users part: list, add, change, set a password, disable and enable.

Groups and grants are in :mod:`hub.web.admin_access_views`, queues in
:mod:`hub.web.admin_queue_views`; all of them send the same commands as the
administration API and the CLI, as the logged-in admin, so the history says who
did what on the web. A refused command shows the same page again with the reason
and the status of the refusal (409 for a duplicate, 422 for a bad value), the
form still filled in. Admin role only: staff get the styled 403, visitors the
login form.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from flask import abort, current_app, flash, g, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from hub.accounts import commands as ac
from hub.accounts import queries as aq
from hub.domain import DomainError, ValidationError
from hub.httpapi import hub_of
from hub.tickets import queries as tq
from hub.web.desk import bp, send
from hub.webkit.auth import login_required, safe_next

ROLES = ("staff", "customer", "admin")
SECTIONS = (("Users", "/admin"), ("Groups", "/admin/groups"), ("Queues", "/admin/queues"),
            ("Grants", "/admin/grants"))
#: Pages other features serve under /admin, linked when they are there.
ELSEWHERE = (("Mail", "/admin/mail"), ("Mail templates", "/admin/mail/templates"),
             ("Rules", "/admin/rules"))
Page = tuple[str, int]


def admin_only() -> None:
    if g.actor.role != "admin":
        abort(403, "Administration is for the admin role. If you need a change here, "
                   "ask an administrator.")


def admin_sections(current: str) -> list[dict[str, Any]]:
    """The admin sub-navigation: this feature's pages, then the ones others serve."""
    served = {rule.rule for rule in current_app.url_map.iter_rules()}
    links = [*SECTIONS, *((label, path) for label, path in ELSEWHERE if path in served)]
    return [{"label": label, "href": path, "current": path == current}
            for label, path in links]


def moment(value: Any) -> Any:
    """A time as the desk shows times ("3 hours ago", exact on hover) where it can."""
    shown = current_app.jinja_env.filters.get("when")
    if value is None:
        return "never"
    if shown is not None:
        return shown(value)  # Markup: a <time> element
    return f"{value:%Y-%m-%d %H:%M} UTC"


def admin_page(template: str, current: str, status: int = 200, **context: Any) -> Page:
    return render_template(template, sections=admin_sections(current), moment=moment,
                           **context), status


def refused(exc: DomainError, page: Any, **context: Any) -> Page:
    """The same page again, saying why the command was refused, with its status."""
    field = exc.details.get("field")
    message = f"{exc.message} (field: {field})" if field else exc.message
    html, _ = page(error=message, form=request.form, **context)
    return html, exc.status


def checked_password(form: Mapping[str, str]) -> str | None:
    """The new password of a form (``None``: none given); both fields must agree."""
    password = form.get("password") or None
    repeat = form.get("password_repeat")
    if password is not None and repeat is not None and repeat != password:
        raise ValidationError("the two passwords differ", field="password_repeat")
    return password


def _user_rows(conn: sa.Connection) -> list[dict[str, Any]]:
    with_password, logins = aq.password_holders(conn), aq.last_logins(conn)
    member_of: dict[str, list[str]] = {}
    for group in aq.list_groups(conn):
        for member in group.members:
            member_of.setdefault(member, []).append(group.name)
    factors = aq.second_factor_states(conn)
    return [{"info": u, "has_password": u.name in with_password,
             "last_login": logins.get(u.name), "groups": member_of.get(u.name, []),
             "totp": factors.get(u.name, "off")}
            for u in aq.list_users(conn)]


@bp.get("/admin")
@login_required
def admin() -> Page:
    admin_only()
    return users_page()


def users_page(error: str | None = None, form: Mapping[str, str] | None = None) -> Page:
    with hub_of().engine.connect() as conn:
        rows = _user_rows(conn)
        counts = {"groups": len(aq.list_groups(conn)), "grants": len(aq.all_grants(conn)),
                  "queues": len(tq.list_queues(conn, include_disabled=True))}
    return admin_page("admin.html", "/admin", 422 if error else 200, users=rows,
                      counts=counts, roles=ROLES, error=error, form=form or {})


@bp.post("/admin/users")
@login_required
def admin_create_user() -> Response | Page:
    admin_only()
    form = request.form
    name = form.get("name", "").strip().lower()
    try:
        password = checked_password(form)
        send(ac.CreateUser(name=name, email=form.get("email", ""), role=form.get("role", ""),
                           display_name=form.get("display_name", "").strip(),
                           password=password))
    except DomainError as exc:
        return refused(exc, users_page)
    flash(f"Added {name}." if password else
          f"Added {name}. They cannot log in until a password is set: open {name} and "
          "set one.", "ok")
    return redirect(url_for("desk.admin"), 303)


@bp.get("/admin/users/<name>")
@login_required
def admin_user(name: str) -> Page:
    admin_only()
    return user_page(name)


def user_page(name: str, error: str | None = None,
              form: Mapping[str, str] | None = None) -> Page:
    with hub_of().engine.connect() as conn:
        info = aq.user_by_name(conn, name)
        if info is None:
            abort(404, f"There is no user {name}.")
        groups = aq.list_groups(conn)
        grants = [x for x in aq.all_grants(conn) if x.principal == f"user:{name}"]
        context = {"user": info, "has_password": aq.has_password(conn, name),
                   "last_login": aq.last_logins(conn).get(name),
                   "tokens": aq.active_tokens(conn, name), "grants": grants,
                   "member_of": [x.name for x in groups if name in x.members],
                   "other_groups": [x.name for x in groups if name not in x.members]}
    return admin_page("admin_user.html", "/admin", 422 if error else 200, roles=ROLES,
                      error=error, form=form or {}, **context)


@bp.post("/admin/users/<name>")
@login_required
def admin_change_user(name: str) -> Response | Page:
    """``action``: save (email, role, display name, password), password, disable, enable.

    A new password or disabling ends the user's sessions and API tokens at once.
    """
    admin_only()
    form = request.form
    action = form.get("action", "save")
    disabled = {"disable": True, "enable": False}.get(action)
    try:
        password = checked_password(form) if action in ("save", "password") else None
        if action == "password" and password is None:
            raise ValidationError("type the new password", field="password")
        if action not in ("save", "password", "disable", "enable"):
            raise ValidationError(f"unknown action {action!r}")
        send(ac.ChangeUser(
            name=name, disabled=disabled, password=password,
            role=(form.get("role") or None) if action == "save" else None,
            email=(form.get("email") or None) if action == "save" else None,
            display_name=(form.get("display_name") or None) if action == "save" else None))
    except DomainError as exc:
        if exc.status == 404:
            raise
        return refused(exc, lambda **kw: user_page(name, **kw))
    flash(_changed(name, action, password is not None), "ok")
    return redirect(safe_next(form.get("next") or url_for("desk.admin")), 303)


def _changed(name: str, action: str, new_password: bool) -> str:
    if action == "disable":
        return f"{name} is disabled: their web sessions and API tokens have ended."
    if action == "enable":
        return (f"{name} is enabled again. API tokens ended when they were disabled stay "
                "revoked.")
    if new_password and name == g.actor.name:
        return "Your password is set; every session ended, this one too: log in again."
    if new_password:
        return f"Password of {name} set: their web sessions and API tokens have ended."
    return f"{name} changed."
