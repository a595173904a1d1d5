"""Dashboard: tickets opened and resolved, overall and per queue, as PNG graphs.

Each period has its own resolution, named on the graph's axis: the last 3 hours per
minute, a day or a week per hour, a month per day.

Graphs are drawn on request from the RRD files the metrics reactor keeps; the
image route checks SeeQueue on the queue (or, for all queues, a global right).
"""

from __future__ import annotations

from flask import Response, abort, g, render_template, request

from hub.accounts.queries import rights_for
from hub.httpapi import hub_of
from hub.web import listing, metrics
from hub.web.desk import bp
from hub.webkit.auth import login_required

ALL = "_all"


def _may_see(queue: str | None) -> bool:
    return g.actor.is_staff and "SeeQueue" in rights_for(g.actor, queue=queue)


@bp.get("/dashboard")
@login_required
def dashboard() -> str:
    if not g.actor.is_staff:
        abort(403)
    period = request.args.get("period", "day")
    if period not in metrics.PERIODS:
        abort(400, "period is one of " + ", ".join(metrics.PERIODS))
    hub = hub_of()
    with hub.engine.connect() as conn:
        visible = listing.queues_with(conn, g.actor, "SeeQueue")
    panels = []
    if _may_see(None):
        panels.append({"key": ALL, "title": "All queues",
                       "totals": metrics.totals(hub, None, period)})
    for row in visible:
        panels.append({"key": row["name"], "title": row["name"],
                       "totals": metrics.totals(hub, row["name"], period)})
    return render_template("dashboard.html", panels=panels, period=period,
                           periods=metrics.PERIODS)


@bp.get("/dashboard/graphs/<queue>/<period>.png")
@login_required
def graph(queue: str, period: str) -> Response:
    if period not in metrics.PERIODS:
        abort(404)
    name = None if queue == ALL else queue
    if not _may_see(name):
        abort(403)
    hub = hub_of()
    if name is not None:
        with hub.engine.connect() as conn:
            name = listing.canonical_queue(conn, name)
        if name is None:
            abort(404)
    image = metrics.graph(hub, name, period)
    response = Response(image, mimetype="image/png")
    response.headers["Cache-Control"] = "private, max-age=60"
    return response
