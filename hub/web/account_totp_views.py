"""Self-service second factor on the account page: set one up, replace it, remove it.

The new key and recovery codes are shown once, in the response that made them
(sent with no-store); removing needs a current code, counted by the same per-user
throttle as the sign-in's code step, so a borrowed session cannot guess its way
to switching the factor off.
"""

from __future__ import annotations

import math
from typing import Any

from flask import flash, g, redirect, render_template, request, url_for

from hub.accounts import commands as ac
from hub.domain import DomainError
from hub.httpapi import hub_of
from hub.web.desk import bp
from hub.webkit.auth import login_required
from hub.webkit.second_factor import NO_STORE, code_throttle


@bp.post("/account/second-factor")
@login_required
def start_second_factor() -> Any:
    setup = hub_of().bus.handle(ac.StartTotpEnrolment(name=g.actor.name), g.actor)
    return render_template("account_totp.html", setup=setup), 200, NO_STORE


@bp.post("/account/second-factor/confirm")
@login_required
def confirm_second_factor() -> Any:
    try:
        hub_of().bus.handle(ac.ConfirmTotpEnrolment(
            name=g.actor.name, code=request.form.get("code", "")[:100]), g.actor)
    except DomainError as exc:
        flash(f"{exc.message}. Nothing changed; try the next code.", "error")
        return render_template("account_totp.html", setup=None), exc.status
    flash("Second factor on: sign-ins now ask for a code from your app.", "ok")
    return redirect(url_for("desk.account"), 303)


@bp.post("/account/second-factor/remove")
@login_required
def remove_second_factor() -> Any:
    engine = hub_of().engine
    keys = code_throttle.code_keys(g.actor.name)
    wait = code_throttle.retry_after(engine, keys)
    if wait > 0:
        flash("Too many wrong codes; wait a little and try again.", "error")
        return redirect(url_for("desk.account"), 303), {"Retry-After": str(math.ceil(wait))}
    try:
        hub_of().bus.handle(ac.RemoveSecondFactor(
            name=g.actor.name, code=request.form.get("code", "")[:100]), g.actor)
    except DomainError as exc:
        code_throttle.failed(engine, keys)
        flash(exc.message, "error")
        return redirect(url_for("desk.account"), 303)
    code_throttle.succeeded(engine, keys)
    flash("Second factor removed: you sign in with the password alone.", "ok")
    return redirect(url_for("desk.account"), 303)
