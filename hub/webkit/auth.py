"""Web sessions: password login with throttling, server-side sessions, POST-only logout."""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar, cast
from urllib.parse import urlparse

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)

from hub.accounts.commands import close_session, open_session
from hub.accounts.queries import (
    DirectoryUnavailableError,
    actor_for_session,
    authenticate_password,
)
from hub.actors import Actor
from hub.bootstrap import Hub
from hub.db import WRITE
from hub.webkit.throttle import LoginThrottle

bp = Blueprint("auth", __name__)


def hub_of() -> Hub:
    """The app's hub (``hub.httpapi.hub_of`` too: webkit and httpapi are siblings that
    must not import each other, and this is one line)."""
    return cast(Hub, current_app.extensions["hub"])

F = TypeVar("F", bound=Callable[..., Any])


throttle = LoginThrottle()
SESSION_KEYS = ("user", "role", "sid", "epoch")


def load_session_actor() -> None:
    """Before each request: the session's actor, checked server-side every time, so a
    logout, a password change or a disabled account ends the session at once."""
    g.session_actor = None
    token = session.get("sid")
    if not token:
        for key in SESSION_KEYS:  # e.g. a cookie from before server-side sessions
            session.pop(key, None)
        return
    with hub_of().engine.connect() as conn:
        actor = actor_for_session(conn, str(token), "web")
    if actor is None or actor.name != session.get("user") or actor.role != session.get("role"):
        session.clear()
        return
    g.session_actor = actor


def current_actor() -> Actor | None:
    return cast(Actor | None, g.get("session_actor"))


def login_required(fn: F) -> F:
    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if current_actor() is None:
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        g.actor = current_actor()
        return fn(*args, **kwargs)

    return cast(F, wrapper)


def staff_required(fn: F) -> F:
    @wraps(fn)
    @login_required
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        actor = current_actor()
        if actor is None or not actor.is_staff:
            abort(403)
        return fn(*args, **kwargs)

    return cast(F, wrapper)


def safe_next(target: str | None) -> str:
    """A local path to go to after a form, never another site (open redirects)."""
    if not target:
        return url_for("desk.home")
    parsed = urlparse(target)
    if parsed.scheme or parsed.netloc or not target.startswith("/") or target.startswith("//"):
        return url_for("desk.home")
    return target


@bp.context_processor
def sign_in_choices() -> dict[str, Any]:
    """Tell the login page whether directory accounts sign in here, and which."""
    directory = hub_of().services.get("directory")
    return {"directory_domain": getattr(directory, "domain", None) if directory else None,
            "directory_sign_in": directory is not None}


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    if request.method == "GET":
        return render_template("login.html", next=request.args.get("next", ""))
    username = request.form.get("username", "").strip().lower()[:200]
    password = request.form.get("password", "")[:1000]
    engine = hub_of().engine
    keys = throttle.keys(username, request.remote_addr or "unknown")
    wait = throttle.retry_after(engine, keys)
    if wait > 0:
        flash("Too many failed logins; wait a little and try again.", "error")
        page = render_template("login.html", next=request.form.get("next", ""))
        return page, 429, {"Retry-After": str(math.ceil(wait))}
    try:
        with hub_of().engine.connect() as conn:
            actor = authenticate_password(conn, username, password,
                                          directory=hub_of().services.get("directory"))
    except DirectoryUnavailableError:
        # Not the user's fault and not a guess: no throttle count, and no "wrong password".
        flash("The directory is unavailable, so directory accounts cannot sign in right "
              "now; local accounts still can. Try again in a few minutes.", "error")
        return render_template("login.html", next=request.form.get("next", "")), 503
    if actor is None:
        throttle.failed(engine, keys)
        flash("Wrong user name or password.", "error")
        return render_template("login.html", next=request.form.get("next", "")), 401
    throttle.succeeded(engine, keys)
    from hub.webkit.second_factor import after_password  # that module builds on this one

    second_step = after_password(actor, request.form.get("next", ""))
    if second_step is not None:  # a code to enter, or a second factor to set up first
        return second_step
    return sign_in(actor, request.form.get("next"))


def sign_in(actor: Actor, target: str | None) -> Any:
    """Open a server-side session for ``actor`` (every factor checked) and go on."""
    with hub_of().engine.connect().execution_options(**WRITE) as conn, conn.begin():
        token = open_session(conn, actor.name)
    session.clear()
    session["user"] = actor.name
    session["role"] = actor.role
    session["sid"] = token
    session.permanent = True
    return redirect(safe_next(target), 303)


@bp.get("/logout")
def logout_form() -> Any:
    """Never logs out by itself (a link or an image must not end a session): a form."""
    return render_template("logout.html")


@bp.post("/logout")
def logout() -> Any:
    token = session.get("sid")
    if token:
        with hub_of().engine.connect().execution_options(**WRITE) as conn, conn.begin():
            close_session(conn, str(token))
    session.clear()
    return redirect(url_for("auth.login"), 303)
