"""SLA on the desk: due and breach badges on lists and tickets, a weekly report per queue.

``sla_badges(rows)`` is a template global: desk templates pass the ticket rows they
already show the viewer (filtered by the access rule), and get a badge per ticket id
("due in 2h", "breached 15m ago", "paused", "met"). The report at
``/sla/queues/<name>`` is for staff who may see the queue (SeeQueue) and counts only
tickets the viewer may see.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from flask import Blueprint, abort, g, render_template
from markupsafe import Markup, escape

from hub.accounts.queries import rights_for
from hub.domain import NotFoundError
from hub.httpapi import hub_of
from hub.sla.queries import SlaView, sla_views, weekly_report
from hub.tickets import queries as tq
from hub.webkit.auth import staff_required

bp = Blueprint("sla_web", __name__, template_folder="templates")
WEEKS = 12


def relative(delta: dt.timedelta) -> str:
    """``2h``, ``15m``, ``3d`` (the largest unit, rounded down; ``<1m`` below a minute)."""
    seconds = int(abs(delta.total_seconds()))
    for size, unit in ((86400, "d"), (3600, "h"), (60, "m")):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return "<1m"


def badge(view: SlaView | None, now: dt.datetime) -> tuple[str, str] | None:
    """``(css class, text)`` for a ticket's SLA, or ``None`` without one."""
    if view is None:
        return None
    if view.breached:
        which = "response" if "response" in view.breached else "resolve"
        due = view.response_due if which == "response" else view.resolve_due
        assert due is not None  # breached clocks have a due time
        return "sla-breached", f"{which} breached {relative(now - due)} ago"
    if view.paused:
        return "sla-paused", "paused"
    nearest = view.next_due
    if nearest is None:
        return "sla-met", "met"
    clock, due = nearest
    css = "sla-soon" if due - now <= dt.timedelta(hours=1) else "sla-ok"
    return css, f"{clock} due in {relative(due - now)}"


def sla_badges(rows: Iterable[Any]) -> dict[int, Markup]:
    """Badges (HTML) per ticket id for rows the page already shows its viewer."""
    ids = [int(r["id"] if isinstance(r, dict) else r.id) for r in rows]
    if not ids:
        return {}
    now = dt.datetime.now(dt.UTC)
    with hub_of().engine.connect() as conn:
        views = sla_views(conn, ids, now)
    out = {}
    for ticket_id, view in views.items():
        shown = badge(view, now)
        if shown is not None:
            due = view.next_due if view else None
            title = f' title="{escape(due[1].isoformat())}"' if due else ""
            html = f'<span class="sla {shown[0]}"{title}>{escape(shown[1])}</span>'
            out[ticket_id] = Markup(html)  # noqa: S704 (every value escaped)
    return out


def chart(weeks: list[dict[str, Any]]) -> Markup:
    """Met (bottom) and breached (top) clocks per week as stacked bars, inline SVG."""
    width, height, bar = 40 * len(weeks) + 40, 180, 26
    top = max([w["met"] + w["breached"] for w in weeks] + [1])
    scale = (height - 40) / top
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="sla-chart" role="img" '
             f'width="{width}" height="{height}" viewBox="0 0 {width} {height}">'
             "<title>Met and breached SLA clocks per week</title>"]
    for i, week in enumerate(weeks):
        x = 30 + i * 40
        met_h, bad_h = week["met"] * scale, week["breached"] * scale
        base = height - 25
        parts.append(f'<rect class="met" x="{x}" y="{base - met_h:.1f}" width="{bar}" '
                     f'height="{met_h:.1f}" fill="#2e7d32"><title>{week["week"]}: '
                     f'{week["met"]} met</title></rect>')
        parts.append(f'<rect class="breached" x="{x}" y="{base - met_h - bad_h:.1f}" '
                     f'width="{bar}" height="{bad_h:.1f}" fill="#c62828"><title>'
                     f'{week["week"]}: {week["breached"]} breached</title></rect>')
        parts.append(f'<text x="{x}" y="{height - 8}" font-size="10">'
                     f'{escape(week["week"][5:])}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 (numbers and escaped dates only)


@bp.get("/sla/queues/<name>")
@staff_required
def report(name: str) -> Any:
    hub = hub_of()
    with hub.engine.connect() as conn:
        queue = tq.find_queue(conn, name)
        if queue is None or "SeeQueue" not in rights_for(g.actor, queue=queue.name):
            abort(404)  # a managed queue's policy and counts are for those who see it
        try:
            weeks = weekly_report(conn, g.actor, queue.name, WEEKS)
        except NotFoundError:
            abort(404)
    totals = {k: sum(w[k] for w in weeks) for k in ("met", "breached")}
    return render_template("sla/report.html", queue=queue, weeks=weeks, chart=chart(weeks),
                           totals=totals, policy=queue.spec.get("sla"))
