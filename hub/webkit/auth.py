"""Web sessions: password login with throttling, logout, and the session's actor."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from functools import wraps
from threading import Lock
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

from hub.accounts.queries import actor_for_name, authenticate_password
from hub.actors import Actor
from hub.bootstrap import Hub

bp = Blueprint("auth", __name__)


def hub_of() -> Hub:
    """The app's hub (``hub.httpapi.hub_of`` too: webkit and httpapi are siblings that
    must not import each other, and this is one line)."""
    return cast(Hub, current_app.extensions["hub"])

F = TypeVar("F", bound=Callable[..., Any])

MAX_FAILURES = 5
WINDOW_SECONDS = 300.0


class LoginThrottle:
    """At most MAX_FAILURES failed logins per user name and per client in a window."""

    def __init__(self) -> None:
        self.failures: dict[str, deque[float]] = {}
        self.lock = Lock()

    def blocked(self, *keys: str) -> bool:
        now = time.monotonic()
        with self.lock:
            for key in keys:
                recent = self.failures.get(key)
                while recent and now - recent[0] > WINDOW_SECONDS:
                    recent.popleft()
                if recent and len(recent) >= MAX_FAILURES:
                    return True
        return False

    def failed(self, *keys: str) -> None:
        now = time.monotonic()
        with self.lock:
            for key in keys:
                self.failures.setdefault(key, deque(maxlen=MAX_FAILURES * 2)).append(now)

    def succeeded(self, *keys: str) -> None:
        with self.lock:
            for key in keys:
                self.failures.pop(key, None)


throttle = LoginThrottle()


def load_session_actor() -> None:
    """Before each request: the logged-in user, re-read so disabled users lose access."""
    g.session_actor = None
    name = session.get("user")
    if not name:
        return
    with hub_of().engine.connect() as conn:
        actor = actor_for_name(conn, name, "web")
    if actor is None or session.get("epoch") != _epoch(actor):
        session.clear()
        return
    g.session_actor = actor


def _epoch(actor: Actor) -> str:
    return f"{actor.name}:{actor.role}"


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


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    if request.method == "GET":
        return render_template("login.html", next=request.args.get("next", ""))
    username = request.form.get("username", "").strip().lower()
    password = request.form.get("password", "")
    client = request.remote_addr or "unknown"
    keys = (f"user:{username}", f"ip:{client}")
    if throttle.blocked(*keys):
        flash("Too many failed logins; wait a few minutes and try again.", "error")
        return render_template("login.html", next=request.form.get("next", "")), 429
    with hub_of().engine.connect() as conn:
        actor = authenticate_password(conn, username, password)
    if actor is None:
        throttle.failed(*keys)
        flash("Wrong user name or password.", "error")
        return render_template("login.html", next=request.form.get("next", "")), 401
    throttle.succeeded(*keys)
    session.clear()
    session["user"] = actor.name
    session["epoch"] = _epoch(actor)
    session.permanent = True
    return redirect(safe_next(request.form.get("next")), 303)


@bp.route("/logout", methods=["GET", "POST"])
def logout() -> Any:
    session.clear()
    return redirect(url_for("auth.login"))
