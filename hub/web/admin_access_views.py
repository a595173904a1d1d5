"""The admin pages for groups and grants: who may do what, per queue.

Groups are the admin's (AdminUsers). Grants are also open to staff who hold
AdminQueue on a queue, for that queue only, as in Request Tracker, so a team lead
can run their own queue; ``/admin/access`` is the same page under its older
address. Rights are chosen from RT's names, queues from a list that includes
``*`` (every queue) for admins, and principals from the groups, users and ticket
roles that exist, so a typo cannot grant a right to nobody.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from flask import abort, flash, g, redirect, request, url_for
from werkzeug.wrappers import Response

from hub.accounts import commands as ac
from hub.accounts import queries as aq
from hub.domain import DomainError, NotFoundError, StateConflictError
from hub.httpapi import hub_of
from hub.tickets import queries as tq
from hub.web.admin_views import Page, admin_only, admin_page, refused
from hub.web.desk import bp, send
from hub.webkit.auth import login_required, safe_next

ROLE_LABELS = {"requestors": "Requestors", "cc": "Cc", "admincc": "AdminCc",
               "owner": "Owner"}


# -- groups ---------------------------------------------------------------------------


@bp.get("/admin/groups")
@login_required
def admin_groups() -> Page:
    admin_only()
    return groups_page()


def groups_page(error: str | None = None, form: Mapping[str, str] | None = None) -> Page:
    with hub_of().engine.connect() as conn:
        groups = aq.list_groups(conn)
        users = [u.name for u in aq.list_users(conn, include_disabled=False)]
        names = _queue_names(conn)
        held: dict[str, list[str]] = {}
        for grant in aq.all_grants(conn):
            if grant.principal.startswith("group:"):
                held.setdefault(grant.principal[6:], []).append(
                    f"{grant.right_name} on {names.get(grant.scope, grant.scope)}")
    return admin_page("admin_groups.html", "/admin/groups", 422 if error else 200,
                      groups=groups, users=users, held=held, error=error, form=form or {})


@bp.post("/admin/groups")
@login_required
def create_group() -> Response | Page:
    admin_only()
    name = request.form.get("name", "").strip().lower()
    try:
        send(ac.CreateGroup(name=name, description=request.form.get("description", "")))
    except DomainError as exc:
        return refused(exc, groups_page)
    flash(f"Group {name} created; add its members below, then grant it rights.", "ok")
    return redirect(url_for("desk.admin_groups"), 303)


@bp.post("/admin/groups/<name>/members")
@login_required
def group_member(name: str) -> Response | Page:
    admin_only()
    user = request.form.get("user", "").strip()
    add = request.form.get("action", "add") == "add"
    try:
        with hub_of().engine.connect() as conn:
            if aq.user_by_name(conn, user) is None:
                raise NotFoundError(f"There is no user {user!r}.")
        send(ac.ChangeGroupMember(group=name, user=user, add=add))
    except DomainError as exc:
        return refused(exc, groups_page)
    flash(f"{user} {'added to' if add else 'removed from'} {name}.", "ok")
    return redirect(safe_next(request.form.get("next") or url_for("desk.admin_groups")), 303)


@bp.post("/admin/users/<name>/groups")
@login_required
def admin_join_group(name: str) -> Response:
    """Add the user of a user's page to the group chosen there."""
    admin_only()
    group = request.form.get("group", "").strip().lower()
    send(ac.ChangeGroupMember(group=group, user=name, add=True))
    flash(f"{name} added to {group}.", "ok")
    return redirect(safe_next(request.form.get("next") or url_for("desk.admin_groups")), 303)


# -- grants ---------------------------------------------------------------------------


def _queue_names(conn: sa.Connection) -> dict[str, str]:
    """Queue key -> name, and ``*`` -> "every queue", for showing stored scopes."""
    return {aq.GLOBAL: "every queue (*)",
            **{q.key: q.name for q in tq.list_queues(conn, include_disabled=True)}}


def _administered(conn: sa.Connection) -> list[tq.QueueInfo]:
    """The queues whose rights the viewer may change (every one, for an admin)."""
    if not g.actor.is_staff:
        abort(403, "Rights are changed by administrators and queue administrators.")
    queues = tq.list_queues(conn, include_disabled=g.actor.role == "admin")
    if g.actor.role == "admin":
        return queues
    return [q for q in queues if "AdminQueue" in aq.rights_for(g.actor, queue=q.name)]


def _principals(conn: sa.Connection) -> list[tuple[str, list[tuple[str, str]]]]:
    """``(group label, [(value, label)])`` for the principal select."""
    users = aq.list_users(conn, include_disabled=False)
    return [
        ("Groups", [(f"group:{x.name}", x.name) for x in aq.list_groups(conn)]),
        ("Staff", [(f"user:{u.name}", f"{u.name} ({u.role})") for u in users if u.is_staff]),
        ("Customers", [(f"user:{u.name}", u.name) for u in users if not u.is_staff]),
        ("Ticket roles", [(f"role:{r}", ROLE_LABELS.get(r, r)) for r in aq.TICKET_ROLES]),
    ]


@bp.get("/admin/access")  # the older address; url_for builds the first one registered,
@bp.get("/admin/grants")  # which is this one (the decorator nearest the function)
@login_required
def access() -> Page:
    return grants_page()


def grants_page(error: str | None = None, form: Mapping[str, str] | None = None) -> Page:
    with hub_of().engine.connect() as conn:
        queues = _administered(conn)
        if not queues and g.actor.role != "admin":
            abort(403, "You administer no queue. Rights are changed by administrators and "
                       "queue administrators.")
        names = _queue_names(conn)
        scopes = {q.key for q in queues} | ({aq.GLOBAL} if g.actor.role == "admin" else set())
        wanted = request.args.get("queue", "").strip().lower()
        shown = {wanted} & scopes if wanted else scopes
        order = {r: i for i, r in enumerate(aq.QUEUE_RIGHTS)}
        grants = sorted(aq.grants_in(conn, shown), key=lambda x: (
            x.scope != aq.GLOBAL, names.get(x.scope, x.scope).lower(), x.principal,
            order.get(x.right_name, 99)))
        principals = _principals(conn)
        managed = {x.scope for x in aq.all_grants(conn)
                   if x.principal.startswith(("group:", "user:"))}
    return admin_page(
        "admin_grants.html", "/admin/grants", 422 if error else 200, grants=grants,
        names=names, queues=queues, is_admin=g.actor.role == "admin", managed=managed,
        rights=[(r, aq.RIGHT_DESCRIPTIONS.get(r, "")) for r in aq.QUEUE_RIGHTS],
        principals=principals, wanted=wanted, error=error,
        form=form or {"scope": request.args.get("queue", "")})


@bp.post("/admin/rights")
@login_required
def change_right() -> Response | Page:
    """Grant or revoke one right (``action``); refused like the API: 409, 404, 422."""
    form = request.form
    scope, principal = form.get("scope", "").strip(), form.get("principal", "").strip()
    right, revoke = form.get("right", "").strip(), form.get("action") == "revoke"
    if not g.actor.is_staff:
        abort(403, "Rights are changed by administrators and queue administrators.")
    try:
        with hub_of().engine.connect() as conn:
            held = any(x.principal == principal and x.right_name == right
                       for x in aq.grants_in(conn, [scope.lower()]))
            shown = _queue_names(conn).get(scope.lower(), scope)
        if held and not revoke:
            raise StateConflictError(f"{principal} already holds {right} on {shown}.")
        if revoke and not held:
            raise NotFoundError(f"{principal} holds no {right} on {shown}.")
        kind = ac.RevokeRight if revoke else ac.GrantRight
        send(kind(scope=scope, principal=principal, right=right))
    except DomainError as exc:
        if exc.status == 403:
            raise
        return refused(exc, grants_page)
    flash(f"{'Revoked' if revoke else 'Granted'} {right} on {shown} "
          f"{'from' if revoke else 'to'} {principal}.", "ok")
    return redirect(safe_next(form.get("next") or url_for("desk.access")), 303)


def grant_context(conn: sa.Connection) -> dict[str, Any]:
    """What the queue page's grant form needs (shared with :mod:`admin_queue_views`)."""
    return {"principals": _principals(conn),
            "rights": [(r, aq.RIGHT_DESCRIPTIONS.get(r, "")) for r in aq.QUEUE_RIGHTS]}
