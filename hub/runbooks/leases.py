"""Leases on outside resources, with fencing tokens, in the caller's write transaction.

One lease per resource (``lb:<pool>/<server>``, ``vip:<vip>``,
``restore:<host>:<target>``), not per runbook: two runs of different runbooks
touching the same pool member must still take turns. The primary key on
``resource`` makes the claim exclusive at the database level; a lease expires at
``expires_at`` so a holder that died never blocks a resource for ever; each claim
gets a new, larger token from a sequence (the fencing token), and a release or a
result recorded with an old token changes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from hub.db import next_sequence
from hub.domain import StateConflictError
from hub.eventstore import utcnow
from hub.runbooks.tables import runbook_leases


@dataclass(frozen=True)
class Lease:
    resource: str
    token: int
    holder: str
    expires_at: dt.datetime


def holders(conn: sa.Connection, resources: Sequence[str],
            now: dt.datetime | None = None) -> list[Lease]:
    """Live leases on any of the resources."""
    if not resources:
        return []
    now = now or utcnow()
    rows = conn.execute(sa.select(runbook_leases).where(
        runbook_leases.c.resource.in_(list(resources)), runbook_leases.c.expires_at > now)).all()
    return [Lease(r.resource, int(r.token), r.holder, r.expires_at) for r in rows]


def acquire(conn: sa.Connection, resources: Sequence[str], holder: str, ttl: float, *,
            run_id: int | None = None, step: int | None = None) -> int:
    """Take every resource or none; return the fencing token. Held: 409 naming the holder."""
    now = utcnow()
    busy = holders(conn, resources, now)
    if busy:
        lease = busy[0]
        raise StateConflictError(
            f"{lease.resource} is locked by {lease.holder} until "
            f"{lease.expires_at.isoformat(timespec='seconds')}Z",
            resource=lease.resource, holder=lease.holder)
    token = next_sequence(conn, "runbook_lease")
    expires = now + dt.timedelta(seconds=ttl)
    for resource in resources:
        # An expired row may remain: replace it (its holder's token is now stale).
        conn.execute(sa.delete(runbook_leases).where(runbook_leases.c.resource == resource,
                                                     runbook_leases.c.expires_at <= now))
        conn.execute(sa.insert(runbook_leases).values(
            resource=resource, token=token, holder=holder, run_id=run_id, step=step,
            taken_at=now, expires_at=expires))
    return token


def release(conn: sa.Connection, token: int) -> int:
    """Drop the leases taken with ``token``; a stale token releases nothing."""
    return int(conn.execute(sa.delete(runbook_leases).where(
        runbook_leases.c.token == token)).rowcount or 0)


def current(conn: sa.Connection) -> list[dict[str, Any]]:
    rows = conn.execute(sa.select(runbook_leases).order_by(runbook_leases.c.resource)).all()
    return [{"resource": r.resource, "token": int(r.token), "holder": r.holder,
             "run_id": r.run_id, "step": r.step, "expires_at": r.expires_at.isoformat() + "Z",
             "expired": r.expires_at <= utcnow()} for r in rows]
