"""Channel endpoints: Kannel's inbound SMS hook and the delivery list for staff.

``GET|POST /api/v1/channels/sms/inbound?from=%p&text=%a&token=...`` is what a Kannel
``sms-service`` ``get-url`` calls for every message people send to the hub's number.
It is not a bearer-token API (Kannel cannot send one): the shared
``HUB_KANNEL_INBOUND_TOKEN`` is compared in constant time, and without one configured
the endpoint refuses everything. It answers an empty text body, so Kannel sends no SMS
back (configure ``max-messages = 0`` or ``omit-empty = true`` too).
"""

from __future__ import annotations

import hmac
from typing import Any

from flask import Blueprint, Response, g, jsonify, request

from hub.actors import Actor, system_actor
from hub.channels import commands as c
from hub.channels import queries as q
from hub.domain import PermissionDeniedError
from hub.httpapi import DIGITS, BadRequestError, api_auth, error, hub_of
from hub.tickets import queries as tq

bp = Blueprint("channels_api", __name__, url_prefix="/api/v1/channels")
STATES = ("queued", "held_quiet", "delivered", "failed")


@bp.route("/sms/inbound", methods=["GET", "POST"])
def sms_inbound() -> Response:
    expected = hub_of().settings.kannel_inbound_token
    args = request.values
    given = args.get("token", "")
    if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
        return error(403, "a valid token is required")
    sender, text = args.get("from", "").strip(), args.get("text", "")
    if not sender or len(sender) > 64:
        raise BadRequestError("'from' (Kannel's %p) is required")
    if len(text) > 4000:
        raise BadRequestError("'text' is longer than 4000 characters")
    message_id = args.get("id", "").strip()[:100]
    key = f"sms-inbound:{sender}:{message_id}" if message_id else None
    hub_of().bus.handle(c.ReceiveChannelReply(via="sms", sender=sender, text=text),
                        system_actor("system", name="kannel"), idempotency_key=key)
    return Response("", status=200, mimetype="text/plain")


@bp.get("/deliveries")
@api_auth
def list_deliveries() -> Response:
    """Staff: the deliveries of a ticket they may see; admins: every delivery."""
    actor = g.actor
    if not actor.is_staff:
        raise PermissionDeniedError("deliveries are for staff")
    ticket = request.args.get("ticket_id")
    state = request.args.get("state") or None
    if state is not None and state not in STATES:
        raise BadRequestError(f"state is one of {list(STATES)}")
    if ticket is not None and not DIGITS.fullmatch(ticket):
        raise BadRequestError("ticket_id is a number")
    with hub_of().engine.connect() as conn:
        if ticket is None:
            if actor.role != "admin":
                raise PermissionDeniedError("all deliveries are for admins; name a ticket_id")
        else:
            tq.get_state(conn, actor, int(ticket))  # 404 unless the caller may see it
        found = q.deliveries(conn, ticket_id=int(ticket) if ticket else None, state=state,
                             cause_prefix=request.args.get("cause") or None)
    return jsonify({"deliveries": [_as_seen_by(actor, row) for row in found]})


def _as_seen_by(actor: Actor, row: dict[str, Any]) -> dict[str, Any]:
    """A person's numbers, JIDs and hook URLs are theirs and the admins' to see
    (as on ``GET /api/v1/users/{name}``), and so are explicit addresses such as a rule's
    webhook URL (often a bearer secret): other staff get the row without the address."""
    if actor.role == "admin" or (row["user"] is not None and row["user"] == actor.name):
        return row
    return {**row, "address": None}
