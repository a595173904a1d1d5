"""Account page (API tokens) and the access page (groups and rights per queue)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import abort, flash, g, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from hub.accounts import commands as ac
from hub.accounts import queries as aq
from hub.accounts.queries import GLOBAL, QUEUE_RIGHTS, TICKET_ROLES, rights_for
from hub.httpapi import hub_of
from hub.web import listing
from hub.web.desk import bp, send
from hub.webkit.auth import login_required


@bp.get("/account")
@login_required
def account(new_token: str | None = None) -> str:
    with hub_of().engine.connect() as conn:
        tokens = aq.active_tokens(conn, g.actor.name)
        member_of = aq.groups_of(conn, g.actor.name)
    return render_template("account.html", tokens=tokens, groups=member_of,
                           new_token=new_token)


@bp.post("/account/tokens")
@login_required
def create_token() -> tuple[str, int]:
    """The token is shown once, in this response, and never stored in clear."""
    name = request.form.get("name", "").strip()[:200] or "web"
    result = send(ac.CreateToken(user=g.actor.name, name=name))
    return account(new_token=str(result["token"])), 201


@bp.post("/account/tokens/<token_id>/revoke")
@login_required
def revoke_token(token_id: str) -> Response:
    send(ac.RevokeToken(user=g.actor.name, token_id=token_id))
    flash("Token revoked.", "ok")
    return redirect(url_for("desk.account"), 303)


def _may_admin(conn: sa.Connection) -> list[dict[str, Any]]:
    """Queues the actor administers; admins also see the global scope."""
    if not g.actor.is_staff:
        abort(403)
    return [q for q in listing.queue_rows(conn)
            if "AdminQueue" in rights_for(g.actor, queue=q["name"])]


@bp.get("/admin/access")
@login_required
def access() -> str:
    with hub_of().engine.connect() as conn:
        administered = _may_admin(conn)
        if not administered and g.actor.role != "admin":
            abort(403)
        scopes = {q["key"] for q in administered} | (
            {GLOBAL} if g.actor.role == "admin" else set())
        grants = aq.grants_in(conn, scopes)
        group_rows = aq.list_groups(conn)
        names = [u.name for u in aq.list_users(conn)]
    by_group = {group.name: list(group.members) for group in group_rows}
    return render_template(
        "access.html", grants=grants, groups=group_rows, members=by_group, users=names,
        queues=administered, is_admin=g.actor.role == "admin", rights=QUEUE_RIGHTS,
        roles=TICKET_ROLES)


@bp.post("/admin/groups")
@login_required
def create_group() -> Response:
    send(ac.CreateGroup(name=request.form.get("name", ""),
                        description=request.form.get("description", "")))
    flash("Group created.", "ok")
    return redirect(url_for("desk.access"), 303)


@bp.post("/admin/groups/<name>/members")
@login_required
def group_member(name: str) -> Response:
    send(ac.ChangeGroupMember(group=name, user=request.form.get("user", ""),
                              add=request.form.get("action", "add") == "add"))
    flash("Group changed.", "ok")
    return redirect(url_for("desk.access"), 303)


@bp.post("/admin/rights")
@login_required
def change_right() -> Response:
    form = request.form
    kind = ac.RevokeRight if form.get("action") == "revoke" else ac.GrantRight
    send(kind(scope=form.get("scope", ""), principal=form.get("principal", ""),
              right=form.get("right", "")))
    flash("Rights changed.", "ok")
    return redirect(url_for("desk.access"), 303)
