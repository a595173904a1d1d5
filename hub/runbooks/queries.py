"""Read side of runs: the contract's run object, lists by ticket and runbook.

Runs answer exactly as ``GET /api/v1/tickets/{id}`` would for the caller: a run
linked to a ticket the caller may not open is "not found" (and left out of
lists), and values of the ticket's internal fields are masked for a caller who
lacks SeeInternalFields there. Customers never see runs.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from hub.actors import Actor
from hub.domain import NotFoundError, PermissionDeniedError
from hub.runbooks.masking import MASK
from hub.runbooks.tables import runbook_runs
from hub.tickets import queries as tq

_BATCH = 200


def _need_staff(viewer: Actor) -> None:
    if not viewer.is_staff:
        raise PermissionDeniedError("runs are visible to staff only")


def _scrub(value: Any, hidden: list[str]) -> Any:
    if isinstance(value, str):
        for secret in hidden:
            value = value.replace(secret, MASK)
        return value
    if isinstance(value, dict):
        return {k: _scrub(v, hidden) for k, v in value.items()}
    if isinstance(value, list):
        return [_scrub(v, hidden) for v in value]
    return value


def _hidden_values(ticket: dict[str, Any], names: frozenset[str]) -> list[str]:
    found: set[str] = set()
    for name, value in (ticket.get("fields") or {}).items():
        if name not in names:
            continue
        for item in value if isinstance(value, list) else [value]:
            text = str(item) if item is not None else ""
            if len(text) >= 3:
                found.add(text)
    return sorted(found, key=len, reverse=True)


def as_seen_by(conn: sa.Connection, viewer: Actor, state: dict[str, Any]) -> dict[str, Any]:
    """The run as ``viewer`` may see it; NotFoundError when its ticket is not theirs."""
    ticket_id = state.get("ticket_id")
    if ticket_id is None:
        return dict(state)
    try:
        ticket = tq.get_state(conn, viewer, int(ticket_id))
    except NotFoundError:
        raise NotFoundError(f"run {state.get('id')} not found") from None
    if tq.can_see(viewer, ticket, "SeeInternalFields"):
        return dict(state)
    hidden = _hidden_values(ticket, tq.internal_fields(conn, str(ticket["queue"])))
    return dict(_scrub(state, hidden)) if hidden else dict(state)


def get_run(conn: sa.Connection, viewer: Actor, run_id: int) -> dict[str, Any]:
    _need_staff(viewer)
    row = conn.execute(sa.select(runbook_runs.c.state).where(
        runbook_runs.c.id == run_id)).first()
    if row is None:
        raise NotFoundError(f"run {run_id} not found")
    return as_seen_by(conn, viewer, dict(row.state))


def list_runs(conn: sa.Connection, viewer: Actor, *, ticket_id: int | None = None,
              runbook: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
    """The newest runs the viewer may see (runs of tickets they cannot open are left out)."""
    _need_staff(viewer)
    query = sa.select(runbook_runs.c.id, runbook_runs.c.ticket_id, runbook_runs.c.state
                      ).order_by(runbook_runs.c.id.desc())
    if ticket_id is not None:
        query = query.where(runbook_runs.c.ticket_id == ticket_id)
    if runbook is not None:
        query = query.where(runbook_runs.c.runbook == runbook)
    out: list[dict[str, Any]] = []
    offset = 0
    while len(out) < limit:
        rows = conn.execute(query.limit(_BATCH).offset(offset)).all()
        if not rows:
            break
        offset += len(rows)
        linked = [int(r.ticket_id) for r in rows if r.ticket_id is not None]
        seen = tq.visible_ids(conn, viewer, linked)
        for r in rows:
            if r.ticket_id is not None and int(r.ticket_id) not in seen:
                continue
            try:
                out.append(as_seen_by(conn, viewer, dict(r.state)))
            except NotFoundError:
                continue
            if len(out) >= limit:
                break
    return out


def is_secret_param(name: str) -> bool:
    """Whether a run parameter called ``name`` holds a secret (masked wherever it shows);
    for entrypoints that echo parameters before a run records them (mail's ``Run:``)."""
    from hub.runbooks.masking import is_secret_name

    return is_secret_name(name)


def mask_secrets(text: str, secrets: list[str]) -> str:
    """``text`` with each of ``secrets`` and every ``password=...``-style pair masked,
    exactly as runs mask their own output."""
    from hub.runbooks.masking import mask_text

    return mask_text(text, sorted(set(secrets), key=len, reverse=True))
