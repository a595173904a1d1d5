"""Typed reads of the delivery queue for other features (on-call, rules) and the API."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from hub.channels.tables import channel_deliveries

__all__ = ["deliveries", "delivery"]

_T = channel_deliveries


def _document(row: Any) -> dict[str, Any]:
    delivered: dt.datetime | None = row.delivered_at
    return {"id": row.id, "via": row.via, "user": row.username, "address": row.address,
            "state": row.state, "attempts": row.attempts,
            "delivered_at": delivered.isoformat() + "Z" if delivered else None,
            "cause": row.cause, "ticket_id": row.ticket_id, "error": row.last_error,
            "next_attempt_at": row.next_attempt_at.isoformat() + "Z"
            if row.state in ("queued", "held_quiet") else None}


def deliveries(conn: sa.Connection, *, cause_prefix: str | None = None,
               ticket_id: int | None = None, state: str | None = None,
               limit: int = 500) -> list[dict[str, Any]]:
    """Deliveries, oldest first: ``{id, via, user, address, state, attempts,
    delivered_at, cause, ticket_id, error, next_attempt_at}``; ``state`` is one of
    ``queued``, ``held_quiet``, ``delivered``, ``failed``."""
    query = sa.select(_T).order_by(_T.c.created_at, _T.c.id).limit(limit)
    if cause_prefix:
        escaped = cause_prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(_T.c.cause.like(escaped + "%", escape="\\"))
    if ticket_id is not None:
        query = query.where(_T.c.ticket_id == ticket_id)
    if state is not None:
        query = query.where(_T.c.state == state)
    return [_document(r) for r in conn.execute(query)]


def delivery(conn: sa.Connection, delivery_id: str) -> dict[str, Any] | None:
    row = conn.execute(sa.select(_T).where(_T.c.id == delivery_id)).first()
    return None if row is None else _document(row)
