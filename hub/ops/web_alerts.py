"""The alerts page (``/alerts``, staff): open alerts by host and service, and incidents.

The page only translates: the filter comes from the query string, the board from
:func:`hub.ops.board.alert_board` (the tickets' access rule decides every row), and
the Acknowledge form becomes the same :class:`hub.ops.commands.AcknowledgeAlert`
the API and the ticket page send. Works without JavaScript; forms carry csrf_token.
Errors (a bad filter: 400; a hidden ticket: 404) are the hub's styled error pages.
"""

from __future__ import annotations

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from hub.domain import DomainError, NotFoundError, PermissionDeniedError
from hub.httpapi import hub_of
from hub.ops.alerts.signal import SOURCES
from hub.ops.board import PROBLEM_SEVERITIES, STATES, BoardAlert, BoardFilter, alert_board
from hub.ops.commands import AcknowledgeAlert
from hub.ops.metrics import MetricStore
from hub.ops.reactors import metric_name
from hub.webkit.auth import safe_next, staff_required

bp = Blueprint("ops_web", __name__, template_folder="templates", static_folder="static",
               static_url_path="/ops/static")
MAX_COMMENT = 400


def _filter() -> BoardFilter:
    args = request.args
    return BoardFilter(source=args.get("source", "").strip(),
                       state=args.get("state", "").strip() or "open",
                       severity=args.get("severity", "").strip())


def _graphs(store: MetricStore | None, item: BoardAlert) -> list[str]:
    """The unit kinds the alert's check has graphs for (none without metrics)."""
    if store is None or item.ticket_id is None:
        return []
    name = metric_name(item.host, item.service)
    return store.families(name) if store.file(name).exists() else []


@bp.get("/alerts")
@staff_required
def alerts_page() -> str:
    flt = _filter()
    hub = hub_of()
    with hub.engine.connect() as conn:
        board = alert_board(conn, g.actor, flt)
    store = hub.services.get("ops.metrics")
    metrics = store if isinstance(store, MetricStore) else None
    return render_template(
        "ops/alerts.html", board=board, flt=flt, sources=sorted(SOURCES), states=STATES,
        severities=PROBLEM_SEVERITIES, graphs=lambda item: _graphs(metrics, item),
        here=request.full_path.rstrip("?"))


@bp.post("/alerts/<int:ticket_id>/ack")
@staff_required
def acknowledge(ticket_id: int) -> Response:
    """Acknowledge one problem (``problem_key``) or all of the ticket's open Nagios ones."""
    back = safe_next(request.form.get("next") or url_for("ops_web.alerts_page"))
    comment = request.form.get("comment", "")
    if len(comment) > MAX_COMMENT:
        flash(f"The comment is longer than {MAX_COMMENT} characters.", "error")
        return redirect(back, 303)
    keys = tuple(k for k in request.form.getlist("problem_key") if k)
    try:
        result = hub_of().bus.handle(AcknowledgeAlert(ticket_id, comment, problem_keys=keys),
                                     g.actor)
    except (NotFoundError, PermissionDeniedError):
        raise  # the error page, with its status: nothing of a hidden ticket is shown
    except DomainError as exc:
        flash(exc.message, "error")
        return redirect(back, 303)
    if result.get("requested"):
        flash(f"Acknowledgement of ticket #{result['ticket_id']} sent to Nagios; it shows "
              "as acknowledged once Nagios's status says so.", "ok")
    else:
        flash(f"Ticket #{result['ticket_id']}: {result['state']}.", "ok")
    return redirect(back, 303)
