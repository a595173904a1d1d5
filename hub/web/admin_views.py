"""The admin pages: users and queues (groups and grants are on ``/admin/access``).

The same commands as the administration API and the CLI; the page only turns a
form into a command. Admin role only.
"""

from __future__ import annotations

from flask import abort, flash, g, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from hub.accounts import commands as ac
from hub.accounts import queries as aq
from hub.httpapi import hub_of
from hub.tickets import commands as tc
from hub.tickets import queries as tq
from hub.web.desk import bp, send
from hub.webkit.auth import login_required


def _admin() -> None:
    if g.actor.role != "admin":
        abort(403)


@bp.get("/admin")
@login_required
def admin() -> str:
    _admin()
    with hub_of().engine.connect() as conn:
        users = [(u, aq.has_password(conn, u.name)) for u in aq.list_users(conn)]
        queues = tq.list_queues(conn, include_disabled=True)
        groups = aq.list_groups(conn)
    return render_template("admin.html", users=users, queues=queues, groups=groups)


@bp.post("/admin/users")
@login_required
def admin_create_user() -> Response:
    _admin()
    form = request.form
    send(ac.CreateUser(name=form.get("name", "").strip().lower(), email=form.get("email", ""),
                       role=form.get("role", ""), password=form.get("password") or None))
    flash("User added." if form.get("password") else
          "User added; they cannot log in until a password is set.", "ok")
    return redirect(url_for("desk.admin"), 303)


@bp.post("/admin/users/<name>")
@login_required
def admin_change_user(name: str) -> Response:
    """A new password or disabling ends the user's sessions and tokens at once."""
    _admin()
    form = request.form
    disabled = {"disable": True, "enable": False}.get(form.get("action", ""))
    send(ac.ChangeUser(name=name, role=form.get("role") or None, disabled=disabled,
                       email=form.get("email") or None, password=form.get("password") or None))
    flash("User changed.", "ok")
    return redirect(url_for("desk.admin"), 303)


@bp.post("/admin/queues")
@login_required
def admin_create_queue() -> Response:
    _admin()
    form = request.form
    send(tc.CreateQueue(name=form.get("name", "").strip(),
                        address=form.get("address", "").strip().lower(),
                        comment_address=form.get("comment_address", "").strip().lower(),
                        customers_may_create=form.get("customers_may_create") == "1"))
    flash("Queue added.", "ok")
    return redirect(url_for("desk.admin"), 303)


@bp.post("/admin/queues/<name>")
@login_required
def admin_change_queue(name: str) -> Response:
    _admin()
    form = request.form
    changes: dict[str, object] = {
        "address": form.get("address", "").strip().lower(),
        "comment_address": form.get("comment_address", "").strip().lower(),
        "customers_may_create": form.get("customers_may_create") == "1"}
    send(tc.ChangeQueue(name=name, changes=changes))
    flash("Queue changed.", "ok")
    return redirect(url_for("desk.admin"), 303)
