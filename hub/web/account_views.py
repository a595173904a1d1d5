"""The account page: the viewer's API tokens and groups (admin pages: ``admin_*views``)."""

from __future__ import annotations

from flask import flash, g, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from hub.accounts import commands as ac
from hub.accounts import queries as aq
from hub.domain import DomainError
from hub.httpapi import hub_of
from hub.web.desk import bp, send
from hub.webkit.auth import login_required


@bp.get("/account")
@login_required
def account(new_token: str | None = None) -> str:
    with hub_of().engine.connect() as conn:
        tokens = aq.active_tokens(conn, g.actor.name)
        member_of = aq.groups_of(conn, g.actor.name)
        factor = aq.second_factor(conn, g.actor.name)
        contacts = aq.stored_contacts(conn, g.actor.name)
    return render_template("account.html", tokens=tokens, groups=member_of,
                           new_token=new_token, second_factor=factor,
                           contacts=contacts)


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


@bp.post("/account/contacts")
@login_required
def set_contacts() -> Response:
    """Where notifications reach the viewer, and their quiet hours (empty fields: none)."""
    form = request.form
    contacts: dict[str, str | None] = {
        key: form.get(key, "").strip() or None for key in ("mail", "webhook", "xmpp", "sms")}
    contacts["webhook_format"] = form.get("webhook_format") or None
    start, end = form.get("quiet_from", "").strip(), form.get("quiet_to", "").strip()
    quiet = {"timezone": form.get("quiet_timezone", "").strip() or "UTC", "from": start,
             "to": end} if start or end else None
    try:
        send(ac.SetContacts(name=g.actor.name, contacts=contacts, quiet_hours=quiet,
                            keep_quiet_hours=False))
    except DomainError as exc:
        flash(f"Contacts not saved: {exc.message}", "error")
        return redirect(url_for("desk.account") + "#h-contacts", 303)
    flash("Contacts saved.", "ok")
    return redirect(url_for("desk.account") + "#h-contacts", 303)
