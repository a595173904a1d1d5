"""``ticket.comment`` and ``ticket.status`` steps: run changes inside one transaction.

These steps touch only the hub's own ticket, so the whole apply-verify cycle is
one command: the run's events and the ticket's change commit together or not at
all, and no lease is needed (the ticket stream's version guards it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hub.actors import Actor
from hub.db import next_sequence
from hub.domain import DomainError, ValidationError
from hub.eventstore import utcnow
from hub.messagebus import UnitOfWork
from hub.runbooks import commands as c
from hub.runbooks.handlers import RunbookHandlers, note
from hub.tickets import commands as tc

if TYPE_CHECKING:
    from hub.runbooks.model import Run


def plan_ticket_step(ticket: dict[str, Any], action: str,
                     params: dict[str, Any]) -> dict[str, Any]:
    """The dry run of a ticket step, from the ticket's current state."""
    if action == "ticket.comment":
        return {"summary": "add a comment to the ticket", "changes": [
            f"comment: {str(params.get('body', ''))[:200]}"], "current": {}, "noop": False}
    status = str(params.get("status", ""))
    now = ticket.get("status")
    noop = now == status
    return {"summary": f"ticket status is {now}" + ("" if noop else f"; set it to {status}"),
            "changes": [] if noop else [f"status: {now} -> {status}"],
            "current": {"status": now}, "noop": noop}


def apply_ticket_step(handlers: RunbookHandlers, cmd: c.ApplyTicketStep, uow: UnitOfWork,
                      actor: Actor) -> dict[str, Any]:
    run = handlers._load(uow, cmd.run_id, actor)
    step = run.check_apply(cmd.n, utcnow())
    if not step["action"].startswith("ticket.") or run.ticket_id is None:
        raise ValidationError(f"step {cmd.n} does not change the linked ticket")
    token = next_sequence(uow.conn, "runbook_lease")
    run.begin_apply(actor, cmd.n, utcnow(), token=token, resources=[], until=utcnow())
    try:
        output = _change(run, step, uow, actor)
    except DomainError as exc:
        since = len(run.pending)
        run.record_failed(cmd.n, token, "apply", exc.message, None)
        note(uow, run, actor, f"step {cmd.n} ({step['name']}) FAILED: {exc.message}.", since)
        return {"id": run.number, "ok": False, "error": exc.message}
    run.record_applied(cmd.n, token, output, {})
    ticket = tc.load_ticket(uow, run.ticket_id)
    wanted = step["params"].get("status")
    since = len(run.pending)
    if step["action"] == "ticket.status" and ticket.status != wanted:
        error = f"ticket is {ticket.status}, not {wanted}"
        run.record_failed(cmd.n, token, "verify", error, None)
        note(uow, run, actor, f"step {cmd.n} ({step['name']}) FAILED in verify: {error}.",
             since)
        return {"id": run.number, "ok": False}
    run.record_verified(cmd.n, token, "ticket shows the change")
    note(uow, run, actor, f"step {cmd.n} ({step['name']}) applied and verified: {output}",
         since)
    return {"id": run.number, "ok": True}


def _change(run: Run, step: dict[str, Any], uow: UnitOfWork, actor: Actor) -> str:
    assert run.ticket_id is not None
    if step["action"] == "ticket.comment":
        body = str(step["params"].get("body", ""))
        tc.comment(tc.Comment(ticket_id=run.ticket_id, body=body,
                              extra={"runbook_run": run.number}), uow, actor)
        return "comment added"
    status = str(step["params"].get("status", ""))
    ticket = tc.load_ticket(uow, run.ticket_id)
    if ticket.status == status:
        return f"ticket already {status}"
    tc.update_ticket(tc.UpdateTicket(ticket_id=run.ticket_id, status=status), uow, actor)
    return f"ticket status set to {status}"

