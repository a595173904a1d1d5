"""The sign-in's second step: a TOTP code (or a recovery code) after the password.

A correct password for a user with a second factor opens no session: it leaves a
short-lived "half signed-in" mark in the browser's signed cookie (the user, which
step is due, a random nonce; five minutes), and only the right code turns it into a
session. Staff without a factor on a hub that requires one
(``HUB_REQUIRE_TOTP_FOR_STAFF``) are sent to set one up first, the same way.

Wrong codes are counted per user in the shared ``login_failures`` store, so every
worker process and node sees the same count and the delays grow whichever of them
is asked. Pages that show a secret are never cached.
"""

from __future__ import annotations

import math
import secrets
from typing import Any, ClassVar

import sqlalchemy as sa
from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy.engine import Engine
from werkzeug.wrappers import Response

from hub.accounts import commands as ac
from hub.accounts import queries as aq
from hub.actors import Actor
from hub.db import WRITE, login_failures
from hub.domain import DomainError
from hub.webkit.auth import hub_of, sign_in
from hub.webkit.throttle import Limit, LoginThrottle

bp = Blueprint("second_factor", __name__)

HELD_KEY = "second_factor"
HOLD_SECONDS = 300
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}

REFUSALS = {
    "wrong": "That code is not right. Enter the 6 digits your app shows now, "
             "or one of your recovery codes.",
    "replayed": "That code was used already. Wait for the app to show the next one "
                "and enter that.",
    "unreadable": "Your second factor cannot be checked on this hub (its key changed). "
                  "Use a recovery code, or ask an administrator to reset it.",
    "not_enrolled": "Your second factor was removed meanwhile. Sign in again.",
}


class CodeThrottle(LoginThrottle):
    """Growing delays after wrong codes, per user from anywhere: whoever has the
    password cannot try more codes by changing address."""

    limits: ClassVar[dict[str, Limit]] = {"code": Limit(5, 900.0)}

    @staticmethod
    def code_keys(username: str) -> dict[str, str]:
        return {"code": f"code:{username}"[:400]}

    def succeeded(self, engine: Engine, keys: dict[str, str]) -> None:
        with engine.connect().execution_options(**WRITE) as conn, conn.begin():
            conn.execute(sa.delete(login_failures).where(
                login_failures.c.key.in_(list(keys.values()))))


code_throttle = CodeThrottle()


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(str(current_app.secret_key), salt="hub.second-factor")


def after_password(actor: Actor, target: str) -> Response | None:
    """The second step due after ``actor``'s correct password, or ``None`` (sign in)."""
    with hub_of().engine.connect() as conn:
        factor = aq.second_factor(conn, actor.name)
    if factor.enrolled:
        step = "code"
    elif hub_of().settings.require_totp_for_staff and actor.role in ("admin", "staff"):
        step = "enrol"
    else:
        return None
    session.clear()
    session[HELD_KEY] = _serializer().dumps({"user": actor.name, "step": step, "next": target,
                                             "nonce": secrets.token_urlsafe(12)})
    return redirect(url_for("second_factor.code" if step == "code" else "second_factor.enrol"),
                    303)


def _held(step: str) -> dict[str, Any] | None:
    raw = session.get(HELD_KEY)
    if not isinstance(raw, str):
        return None
    try:
        held = _serializer().loads(raw, max_age=HOLD_SECONDS)
    except BadSignature:  # includes SignatureExpired
        return None
    return held if isinstance(held, dict) and held.get("step") == step else None


def _start_over() -> Response:
    session.pop(HELD_KEY, None)
    flash("Sign in again: the step after the password lasts five minutes.", "error")
    return redirect(url_for("auth.login"), 303)


def _held_actor(held: dict[str, Any]) -> Actor | None:
    with hub_of().engine.connect() as conn:
        return aq.actor_for_name(conn, str(held["user"]), "web")


def _too_many(template: str, wait: float, **context: Any) -> tuple[str, int, dict[str, str]]:
    flash("Too many wrong codes; wait a little and try again.", "error")
    return (render_template(template, **context), 429,
            {"Retry-After": str(math.ceil(wait)), **NO_STORE})


@bp.route("/login/code", methods=["GET", "POST"])
def code() -> Any:
    held = _held("code")
    if held is None:
        return _start_over()
    user = str(held["user"])
    if request.method == "GET":
        return render_template("login_code.html", user=user)
    engine = hub_of().engine
    keys = code_throttle.code_keys(user)
    wait = code_throttle.retry_after(engine, keys)
    if wait > 0:
        return _too_many("login_code.html", wait, user=user)
    actor = _held_actor(held)
    if actor is None:
        return _start_over()
    outcome = hub_of().bus.handle(
        ac.CheckSecondFactor(name=user, code=request.form.get("code", "")[:100]), actor)
    if not outcome["ok"]:
        code_throttle.failed(engine, keys)
        flash(REFUSALS.get(str(outcome["reason"]), REFUSALS["wrong"]), "error")
        return render_template("login_code.html", user=user), 401
    code_throttle.succeeded(engine, keys)
    response = sign_in(actor, str(held.get("next") or ""))  # a new session: flash after
    if outcome["reason"] == "recovery":
        left = int(outcome["remaining"])
        flash(f"You signed in with a recovery code; {left} left. If your phone is gone, "
              "set up a new second factor on your account page.", "ok" if left > 2 else "error")
    return response


@bp.route("/login/enrol", methods=["GET", "POST"])
def enrol() -> Any:
    """Staff on a hub that requires a second factor set one up before any session."""
    held = _held("enrol")
    if held is None:
        return _start_over()
    actor = _held_actor(held)
    if actor is None:
        return _start_over()
    if request.method == "GET":
        setup = hub_of().bus.handle(ac.StartTotpEnrolment(name=actor.name), actor)
        return render_template("login_enrol.html", user=actor.name, setup=setup), 200, NO_STORE
    engine = hub_of().engine
    keys = code_throttle.code_keys(actor.name)
    wait = code_throttle.retry_after(engine, keys)
    if wait > 0:
        return _too_many("login_enrol.html", wait, user=actor.name, setup=None)
    try:
        hub_of().bus.handle(ac.ConfirmTotpEnrolment(
            name=actor.name, code=request.form.get("code", "")[:100]), actor)
    except DomainError as exc:
        code_throttle.failed(engine, keys)
        flash(exc.message, "error")
        return render_template("login_enrol.html", user=actor.name, setup=None), exc.status
    code_throttle.succeeded(engine, keys)
    response = sign_in(actor, str(held.get("next") or ""))
    flash("Second factor set up: from now on you sign in with a code from your app. "
          "Keep the recovery codes somewhere safe.", "ok")
    return response
