"""The account page: the viewer's API tokens and groups (admin pages: ``admin_*views``)."""

from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from hub.accounts import commands as ac
from hub.accounts import queries as aq
from hub.httpapi import hub_of
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
