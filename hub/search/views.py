"""Search entrypoints: ``GET /api/v1/search?q=`` and the ``/search?q=`` page."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, g, jsonify, render_template, request

from hub.domain import ValidationError
from hub.httpapi import api_auth, hub_of
from hub.search.service import search
from hub.webkit.auth import login_required

api_bp = Blueprint("search_api", __name__, url_prefix="/api/v1")
web_bp = Blueprint("search_web", __name__, template_folder="templates")
KINDS = ("ticket", "page")


def _args() -> dict[str, Any]:
    raw_limit = request.args.get("limit", "20")
    if not raw_limit.isdigit():
        raise ValidationError("limit is a number from 1 to 100")
    kind = request.args.get("kind") or None
    if kind is not None and kind not in KINDS:
        raise ValidationError(f"kind is one of {list(KINDS)}")
    return {"limit": int(raw_limit), "kind": kind, "web": request.args.get("web") or None}


@api_bp.get("/search")
@api_auth
def api_search() -> Response:
    hub = hub_of()
    args = _args()
    with hub.engine.connect() as conn:
        hits = search(hub, conn, g.actor, request.args.get("q", ""), **args)
    return jsonify({"hits": hits})


@web_bp.get("/search")
@login_required
def page() -> Any:
    hub = hub_of()
    text = request.args.get("q", "").strip()
    hits: list[dict[str, Any]] = []
    error = None
    if text:
        try:
            args = _args()
            with hub.engine.connect() as conn:
                hits = search(hub, conn, g.actor, text, **args)
        except ValidationError as exc:
            error = exc.message
    return render_template("search/results.html", q=text, hits=hits, error=error)
