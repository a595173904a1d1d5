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
    query = sa.select(runbook_runs.c.id, runbook_runs.c.ticket_id, runbook_runs.c.state,
                      runbook_runs.c.started_at, runbook_runs.c.updated_at
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
                shown = as_seen_by(conn, viewer, dict(r.state))
            except NotFoundError:
                continue
            shown["started_at"] = shown.get("started_at") or _iso(r.started_at)
            shown["updated_at"] = _iso(r.updated_at)
            out.append(shown)
            if len(out) >= limit:
                break
    return out


def run_summaries(conn: sa.Connection, viewer: Actor, *, ticket_id: int | None = None,
                  runbook: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
    """Short rows for lists (the runbooks index, a ticket's and a runbook's runs):
    status, who started it and when, how far it got; no plans or outputs."""
    rows = []
    for run in list_runs(conn, viewer, ticket_id=ticket_id, runbook=runbook, limit=limit):
        steps = run.get("steps") or []
        ended = [s for s in steps if s["state"] in ("verified", "skipped")]
        running = run["status"] in ("running", "failed")
        rows.append({
            "id": run["id"], "runbook": run["runbook"], "revision": run["revision"],
            "ticket_id": run["ticket_id"], "status": run["status"],
            "started_by": run["started_by"], "started_at": run.get("started_at"),
            "finished_at": None if running else run.get("finished_at") or run["updated_at"],
            "updated_at": run["updated_at"], "steps": len(steps), "ended": len(ended),
            "skipped": sum(1 for s in steps if s["state"] == "skipped"),
            "failed_step": run.get("failed_step")})
    return rows


def ticket_runs(conn: sa.Connection, viewer: Actor, ticket_id: int) -> list[dict[str, Any]]:
    """The runs linked to a ticket, newest first, for the ticket page's Runs box;
    empty for anyone but staff who may open the ticket (customers never see runs)."""
    if not viewer.is_staff:
        return []
    return run_summaries(conn, viewer, ticket_id=ticket_id, limit=20)


def _iso(value: Any) -> str | None:
    return None if value is None else value.isoformat(timespec="seconds") + "Z"


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
