"""Alert intake endpoints and alert graphs: translate requests into ``ReceiveAlert``.

Each endpoint answers 202 ``{ticket_id, action}``. The delivery id is the bus's
idempotency key, so a retried delivery changes nothing and is answered
``duplicate`` (told apart by the request id the first handling stored).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from typing import Any

import sqlalchemy as sa
from flask import Blueprint, Response, g, jsonify, request

from hub.accounts.queries import is_unrestricted
from hub.domain import NotFoundError, PermissionDeniedError
from hub.httpapi import BadRequestError, api_auth, hub_of, json_body, parse_json
from hub.ops.alerts import (
    AlertPayloadError,
    AlertSignal,
    parse_alertmanager,
    parse_backuppc,
    parse_events_v2,
    parse_keepalived,
    parse_nagios,
)
from hub.ops.commands import AcknowledgeAlert
from hub.ops.counts import PER as COUNT_STEPS
from hub.ops.counts import CountGraph
from hub.ops.counts import graph as count_graph
from hub.ops.handlers import submit
from hub.ops.metrics import MetricStore
from hub.ops.reactors import RATE_SOURCES, RATES_METRIC, metric_name
from hub.ops.tables import alerts
from hub.tickets.queries import get_state, visible_id_select, visible_ids

bp = Blueprint("ops_api", __name__, url_prefix="/api/v1")
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
MAX_BARS = 1500  # steps one count graph draws at most (one pixel each at least)


def _require_staff(what: str = "sending alerts") -> None:
    if not g.actor.is_staff:
        raise PermissionDeniedError(f"{what} needs a staff or admin token")


def _answer(results: list[dict[str, Any]]) -> Response:
    if not results:
        body: dict[str, Any] = {"ticket_id": None, "action": "ignored"}
    else:
        main = next((r for r in results if r["action"] != "duplicate"), results[0])
        body = dict(main)
        if len(results) > 1:
            body["alerts"] = results
    response = jsonify(body)
    response.status_code = 202
    return response


def _intake(parse: Callable[[Mapping[str, Any]], AlertSignal | list[AlertSignal]],
            document: Mapping[str, Any]) -> Response:
    _require_staff()
    try:
        parsed = parse(document)
    except AlertPayloadError as exc:
        raise BadRequestError(exc.message, field=exc.field_name) from exc
    signals = parsed if isinstance(parsed, list) else [parsed]
    hub = hub_of()
    return _answer([submit(hub, s) for s in signals])


def _nagios_fields() -> dict[str, Any]:
    if request.mimetype in FORM_TYPES:
        return request.form.to_dict()
    raw = request.get_data(cache=True)
    if not raw:
        raise BadRequestError("empty body: send the Nagios macros as JSON or form fields")
    try:
        document = parse_json(raw)
    except BadRequestError as exc:
        raise BadRequestError(
            f"the Nagios notification is not valid JSON ({exc}); a quote or backslash in "
            "plugin output or an acknowledgement comment breaks JSON pasted together by a "
            "shell command: use contrib/nagios/opshub-notify or form fields "
            "(curl --data-urlencode)") from exc
    if not isinstance(document, dict):
        raise BadRequestError("the body must be a JSON object of Nagios macros")
    return document


@bp.post("/events/nagios")
@api_auth
def nagios() -> Response:
    return _intake(parse_nagios, _nagios_fields())


@bp.post("/events/alertmanager")
@api_auth
def alertmanager() -> Response:
    return _intake(parse_alertmanager, json_body())


@bp.post("/events")
@api_auth
def events_v2() -> Response:
    return _intake(parse_events_v2, json_body())


@bp.post("/events/keepalived")
@api_auth
def keepalived() -> Response:
    return _intake(parse_keepalived, json_body())


@bp.post("/events/backuppc")
@api_auth
def backuppc() -> Response:
    return _intake(parse_backuppc, json_body())


def _hours(default: int) -> int:
    raw = request.args.get("hours", "")
    if not raw:
        return default
    if not re.fullmatch(r"[0-9]{1,4}", raw) or not 1 <= int(raw) <= 24 * 31:
        raise BadRequestError("hours must be a whole number from 1 to 744")
    return int(raw)


def _png(data: bytes) -> Response:
    return Response(data, mimetype="image/png", headers={"Cache-Control": "no-store"})


@bp.get("/alerts/<int:ticket_id>/graph.png")
@api_auth
def alert_graph(ticket_id: int) -> Response:
    """The metric of the ticket's alert, ``hours`` before and after it; ``unit`` picks
    one kind of unit (``seconds``, ``bytes``, ``percent``, ``count``, ``value``) when the
    check reports several: they are never drawn on one axis."""
    hours = _hours(2)
    hub = hub_of()
    store: MetricStore = hub.services["ops.metrics"]
    with hub.engine.connect() as conn:
        # 404 unless the caller may see the ticket, exactly as GET /api/v1/tickets/{id};
        # a merged number answers for its survivor there, so graph the survivor's alerts.
        real = int(get_state(conn, g.actor, ticket_id)["id"])
        rows = conn.execute(sa.select(alerts).where(alerts.c.ticket_id.in_({ticket_id, real}))
                            .order_by(alerts.c.first_at)).all()
    if not rows:
        raise NotFoundError(f"ticket {ticket_id} has no alert")
    row = next((r for r in rows if store.file(metric_name(r.host, r.service)).exists()), None)
    if row is None:
        raise NotFoundError(f"no metrics recorded for the alert of ticket {ticket_id}")
    name = metric_name(row.host, row.service)
    families = store.families(name)
    family = request.args.get("unit") or families[0]
    if family not in families:
        raise BadRequestError(f"unit must be one of {', '.join(families)}", field="unit")
    margin = dt.timedelta(hours=hours)
    start, end = row.first_at - margin, max(row.last_at, row.first_at) + margin
    title = f"{row.host} / {row.service or 'host'} ({family})"
    return _png(store.graph(name, start, end, title, family=family))


@bp.post("/alerts/<int:ticket_id>/ack")
@api_auth
def acknowledge(ticket_id: int) -> Response:
    """Acknowledge the ticket's open Nagios problems: ``{comment?}`` -> 202.

    Staff with ModifyTicket on the ticket; 409 when it has no open Nagios problem.
    The answer says "pending": the acknowledgement is sent after commit and counts
    (``ack_sent`` in ``GET /api/v1/alerts``) once Nagios's status shows it.
    """
    body = json_body() if request.get_data(cache=True) else {}
    comment = body.get("comment", "")
    if not isinstance(comment, str) or len(comment) > 400:
        raise BadRequestError("comment must be a string of at most 400 characters",
                              field="comment")
    result = hub_of().bus.handle(AcknowledgeAlert(ticket_id, comment), g.actor)
    response = jsonify(result)
    response.status_code = 202
    return response


def _per(hours: int) -> str:
    """``per`` (minute, hour or day), else the finest that keeps the bars countable."""
    raw = request.args.get("per", "")
    if raw and raw not in COUNT_STEPS:
        raise BadRequestError("per must be minute, hour or day", field="per")
    per = raw or ("minute" if hours <= 6 else "hour" if hours <= 7 * 24 else "day")
    if hours * 3600 // COUNT_STEPS[per] > MAX_BARS:
        raise BadRequestError(f"{hours} hours per {per} are more than {MAX_BARS} bars; "
                              "ask per hour or per day", field="per")
    return per


@bp.get("/metrics/hub.png")
@api_auth
def hub_graph() -> Response:
    """Alerts, tickets and mails over the last ``hours``, counted per ``per`` (staff:
    customers may open no alert, so the hub's alert rates are nothing of theirs)."""
    _require_staff("the hub's rates")
    hours = _hours(6)
    per = _per(hours)
    store: MetricStore = hub_of().services["ops.metrics"]
    if not store.file(RATES_METRIC).exists():
        raise NotFoundError("no hub rates recorded yet")
    spec = CountGraph(name=RATES_METRIC, sources=RATE_SOURCES, labels=RATE_SOURCES,
                      title=f"OpsHub: alerts, tickets and mails per {per}", what="events",
                      span=hours * 3600, per=per)
    return _png(count_graph(store, spec))


@bp.get("/alerts")
@api_auth
def list_alerts() -> Response:
    """Alert episodes (staff): ``?state=open&ticket_id=&host=&limit=``.

    Only episodes whose ticket the caller may open (the tickets' one rule as a SQL
    filter): a staff member outside a managed queue sees none of its alerts.
    """
    _require_staff("listing alerts")
    shown: sa.ColumnElement[bool] = alerts.c.ticket_id.in_(visible_id_select(g.actor))
    if is_unrestricted(g.actor):  # episodes with no ticket (yet) belong to no queue
        shown = sa.or_(shown, alerts.c.ticket_id.is_(None))
    query = sa.select(alerts).where(shown)
    for name in ("state", "host", "source"):
        if value := request.args.get(name):
            query = query.where(alerts.c[name] == value)
    ticket = _number_arg("ticket_id")
    if ticket is not None:
        query = query.where(alerts.c.ticket_id == ticket)
    limit = min(_number_arg("limit") or 500, 5000)
    with hub_of().engine.connect() as conn:
        rows = conn.execute(query.order_by(alerts.c.first_at).limit(limit)).all()
        parents = visible_ids(conn, g.actor, [int(r.parent_ticket_id) for r in rows
                                              if r.parent_ticket_id is not None])
    out = []
    for row in rows:
        item = dict(row._mapping)
        for key in ("first_at", "last_at", "state_since"):
            if item.get(key) is not None:
                item[key] = item[key].isoformat() + "Z"
        if item["parent_ticket_id"] not in parents:
            item["parent_ticket_id"] = None  # a parent the caller may not open
        out.append(item)
    return jsonify({"alerts": out})


def _number_arg(name: str) -> int | None:
    """An optional whole-number argument: ASCII digits, small enough for SQL (else 400)."""
    raw = request.args.get(name, "")
    if not raw:
        return None
    if not re.fullmatch(r"[0-9]{1,9}", raw):
        raise BadRequestError(f"{name} must be a whole number (at most 9 digits)")
    return int(raw)
