"""Times on pages in the viewer's own time zone, and the preference that chooses it.

A viewer's zone is the ``hub_tz`` cookie they set on their account page (per
browser: a laptop in Berlin and a phone on call in Tokyo each show local time),
else the hub's ``HUB_TIMEZONE`` (default UTC). Templates write ``{{ value|when }}``
for a ``<time>`` element ("3 minutes ago", exact time on hover) and
``{{ value|exact_time }}`` where the exact minute itself must be read.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Flask, current_app, flash, g, redirect, request, url_for
from markupsafe import Markup
from werkzeug.wrappers import Response

from hub.domain import ValidationError
from hub.web.desk import bp
from hub.webkit import times
from hub.webkit.auth import login_required, safe_next

COOKIE = "hub_tz"
ONE_YEAR = 365 * 86400


def default_zone_name() -> str:
    hub = current_app.extensions.get("hub")
    name = getattr(getattr(hub, "settings", None), "timezone", "UTC")
    return name if times.zone_or_none(name) is not None else "UTC"


def viewer_zone_name() -> str:
    """The zone this request's pages use (the cookie's when it names a real zone)."""
    cached = g.get("viewer_zone_name")
    if isinstance(cached, str):
        return cached
    chosen = request.cookies.get(COOKIE, "")
    name = chosen if times.zone_or_none(chosen) is not None else default_zone_name()
    g.viewer_zone_name = name
    return name


def viewer_zone() -> dt.tzinfo:
    return times.zone_or_none(viewer_zone_name()) or dt.UTC


def _now() -> dt.datetime:
    """One "now" per request, so every time on a page is relative to the same moment."""
    cached = g.get("render_now")
    if isinstance(cached, dt.datetime):
        return cached
    now = dt.datetime.now(dt.UTC)
    g.render_now = now
    return now


def when(value: Any, empty: str = "") -> Markup:
    return times.time_tag(value, _now(), viewer_zone(), empty)


def exact_time(value: Any, empty: str = "") -> str:
    moment = times.parse_moment(value)
    return empty if moment is None else times.exact(moment, viewer_zone())


def install(app: Flask) -> None:
    app.jinja_env.filters["when"] = when
    app.jinja_env.filters["exact_time"] = exact_time
    app.jinja_env.globals.update(viewer_zone_name=viewer_zone_name,
                                 default_zone_name=default_zone_name,
                                 zone_names=times.zone_names)


@bp.post("/account/timezone")
@login_required
def set_timezone() -> Response:
    """Remember the zone in this browser; an empty choice goes back to the hub's default."""
    name = request.form.get("timezone", "").strip()
    response = redirect(safe_next(request.form.get("next") or url_for("desk.account")), 303)
    if not name:
        response.delete_cookie(COOKIE)
        flash(f"Times are shown in the hub's time zone ({default_zone_name()}).", "ok")
        return response
    if times.zone_or_none(name) is None:
        raise ValidationError(f"{name[:60]!r} is not a time zone; choose one such as "
                              "Europe/Berlin from the list")
    hub = current_app.extensions.get("hub")
    secure = bool(getattr(getattr(hub, "settings", None), "secure_cookies", False))
    response.set_cookie(COOKIE, name, max_age=ONE_YEAR, httponly=True, samesite="Lax",
                        secure=secure)
    flash(f"Times are now shown in {name}.", "ok")
    return response
