"""Read side of runs: the contract's run object, lists by ticket and runbook."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from hub.actors import Actor
from hub.domain import NotFoundError, PermissionDeniedError
from hub.runbooks.tables import runbook_runs


def _need_staff(viewer: Actor) -> None:
    if not viewer.is_staff:
        raise PermissionDeniedError("runs are visible to staff only")


def get_run(conn: sa.Connection, viewer: Actor, run_id: int) -> dict[str, Any]:
    _need_staff(viewer)
    row = conn.execute(sa.select(runbook_runs.c.state).where(
        runbook_runs.c.id == run_id)).first()
    if row is None:
        raise NotFoundError(f"run {run_id} not found")
    return dict(row.state)


def list_runs(conn: sa.Connection, viewer: Actor, *, ticket_id: int | None = None,
              runbook: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
    _need_staff(viewer)
    query = sa.select(runbook_runs.c.state).order_by(runbook_runs.c.id.desc()).limit(limit)
    if ticket_id is not None:
        query = query.where(runbook_runs.c.ticket_id == ticket_id)
    if runbook is not None:
        query = query.where(runbook_runs.c.runbook == runbook)
    return [dict(r.state) for r in conn.execute(query).all()]
