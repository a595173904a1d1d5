"""Runbook command handlers: load the run, check rights and rules, record, comment.

Every transition is an event on the run and, in the same transaction, a comment
on the linked ticket; both carry source ``runbook`` (the entrypoint that asked is
kept as ``via`` in the metadata). Handlers never touch outside systems: the
service runs operations and sends their results back as ``Record*`` commands.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING, Any

from hub.actors import Actor
from hub.db import next_sequence
from hub.domain import NotFoundError, PermissionDeniedError, ValidationError
from hub.drivers.base import TargetNotAllowedError
from hub.eventstore import utcnow
from hub.messagebus import UnitOfWork
from hub.runbooks import commands as c
from hub.runbooks import leases
from hub.runbooks.config import canonical, check_targets, resources
from hub.runbooks.masking import mask_params, mask_text, mask_value, secret_values
from hub.runbooks.model import Run
from hub.runbooks.source import source_of, split_name
from hub.runbooks.steps import ParamError, parse_runbook, validate_params
from hub.runbooks.templating import render_params
from hub.tickets import commands as tc
from hub.tickets import queries as tq

if TYPE_CHECKING:
    from hub.bootstrap import Hub

DEFAULT_TIMEOUT = 300
LEASE_GRACE = 60


def as_runbook(uow: UnitOfWork) -> None:
    """Mark this command's events as caused by a runbook; remember the entrypoint."""
    uow.record_as("runbook")


def note(uow: UnitOfWork, run: Run, actor: Actor, text: str, since: int | None = None) -> None:
    """Comment on the linked ticket (private: runbook output is for staff).

    With ``since`` (``len(run.pending)`` before the command), what the run did by
    itself after it is told too: steps skipped by their condition, and how it ended.
    """
    if since is not None:
        text += outcome(run, since)
    if run.ticket_id is None:
        return
    head = f"Runbook {run.runbook} r{run.revision}, run #{run.id}: "
    tc.comment(tc.Comment(ticket_id=run.ticket_id, body=head + text,
                          extra={"runbook_run": run.number}), uow, actor)


def outcome(run: Run, since: int) -> str:
    """Lines for the automatic skips and the status change among ``run.pending[since:]``."""
    lines: list[str] = []
    for event in run.pending[since:]:
        d = event.data
        if event.type == "StepSkipped" and d.get("automatic"):
            lines.append(f"step {d['n']} ({run.step(d['n'])['name']}) skipped: {d['reason']}")
        elif event.type == "RunCompleted" and run.status == "completed":
            lines.append("The run is complete: every step was applied and verified.")
        elif event.type == "RunCompleted":
            skipped = ", ".join(str(s["n"]) for s in run.steps if s["state"] == "skipped")
            lines.append(f"The run finished with skipped steps ({skipped}): "
                         "completed_with_skips.")
        elif event.type == "RunFailed":
            lines.append(f"The run stopped: step {d['n']} failed.")
        elif event.type == "RunResumed":
            lines.append("The run goes on.")
    return "".join(f"\n{line}" for line in lines)


def _ticket_context(uow: UnitOfWork, ticket_id: int, actor: Actor) -> dict[str, Any]:
    """What ``{{ ticket.X }}`` may read: internal fields only for SeeInternalFields holders."""
    ticket = tc.load_visible_ticket(uow, ticket_id, actor)
    fields = dict(ticket.fields)
    hidden = tq.internal_fields(uow.conn, ticket.queue)
    if hidden and not actor.is_system:
        state = tq.get_state(uow.conn, actor, ticket.number)
        if not tq.can_see(actor, state, "SeeInternalFields"):
            fields = {k: v for k, v in fields.items() if k not in hidden}
    return {"id": ticket.number, "subject": ticket.subject, "status": ticket.status,
            "queue": ticket.queue, "priority": ticket.priority, "owner": ticket.owner,
            "requestors": list(ticket.requestors), "fields": fields}


class RunbookHandlers:
    """Handlers bound to one hub (its runbook source, configuration and clock)."""

    def __init__(self, hub: Hub) -> None:
        self.hub = hub

    @property
    def approval_ttl(self) -> float:
        return float(self.hub.settings.extra.get("runbook_approval_ttl", 3600))

    def _rights(self, uow: UnitOfWork, actor: Actor, runbook: str) -> None:
        web, topic = split_name(runbook)
        if not source_of(self.hub).can_execute(uow.conn, actor, web, topic):
            raise PermissionDeniedError(f"running {runbook} needs the execute right on it")

    def _load(self, uow: UnitOfWork, run_id: int, actor: Actor) -> Run:
        run = uow.get(Run, run_id)
        as_runbook(uow)
        self._rights(uow, actor, run.runbook)
        if run.ticket_id is not None and not actor.is_system:
            try:  # a run on a ticket the actor may not open does not exist for them
                tc.load_visible_ticket(uow, run.ticket_id, actor)
            except NotFoundError:
                raise NotFoundError(f"run {run_id} not found") from None
        return run

    # -- start --------------------------------------------------------------------
    def start_run(self, cmd: c.StartRun, uow: UnitOfWork, actor: Actor) -> dict[str, Any]:
        web, topic = split_name(cmd.runbook)
        if not isinstance(cmd.params, dict):
            raise ValidationError("params must be an object of name: value", param="params")
        page = source_of(self.hub).get(uow.conn, web, topic)
        if page is None:
            raise NotFoundError(f"runbook {web}.{topic} not found")
        self._rights(uow, actor, cmd.runbook)
        book = parse_runbook(page.text)
        if book.errors:
            raise ValidationError(f"runbook {web}.{topic} has errors", errors=book.errors)
        if not book.steps:
            raise ValidationError(f"runbook {web}.{topic} has no op steps")
        ticket = None
        if cmd.ticket_id is not None:
            ticket = _ticket_context(uow, cmd.ticket_id, actor)
        try:
            params = validate_params(book, cmd.params)
            rendered = [render_params(s.params, run_params=params, ticket=ticket)
                        for s in book.steps]
        except ParamError as exc:
            raise ValidationError(str(exc), param=exc.param) from exc
        steps: list[dict[str, Any]] = []
        secrets = secret_values(params)
        for spec, values in zip(book.steps, rendered, strict=True):
            if spec.action.startswith("ticket.") and ticket is None:
                raise ValidationError(f"step {spec.n} ({spec.action}) needs a linked ticket",
                                      param="ticket_id")
            try:
                check_targets(self.hub, spec.action, values)
            except TargetNotAllowedError as exc:
                raise ValidationError(f"step {spec.n}: {exc}", step=spec.n) from exc
            values = canonical(self.hub, spec.action, values)
            steps.append({"n": spec.n, "name": spec.name, "action": spec.action,
                          "params": mask_params(values, secrets), "approval": spec.approval,
                          "timeout": spec.timeout or DEFAULT_TIMEOUT,
                          "when": None if spec.when is None else
                          {"step": spec.when.step, "state": spec.when.state}})
        as_runbook(uow)
        run = Run(str(next_sequence(uow.conn, "runbook_run")))
        run.start(actor, runbook=f"{web}.{topic}", revision=page.revision,
                  ticket_id=None if ticket is None else ticket["id"],
                  params=mask_params(params, secrets), steps=steps)
        uow.add(run)
        listing = "\n".join(f"{s['n']}. {s['name']} ({s['action']})"
                            + (f" when step {s['when']['step']} {s['when']['state']}"
                               if s["when"] else "") for s in steps)
        note(uow, run, actor, f"started by {actor.name} with parameters "
             f"{json.dumps(run.params, sort_keys=True)}\n{listing}")
        return {"id": run.number}

    # -- plan and approve ---------------------------------------------------------
    def record_plan(self, cmd: c.RecordPlan, uow: UnitOfWork, actor: Actor) -> dict[str, Any]:
        run = self._load(uow, cmd.run_id, actor)
        results = [{"n": r["n"], "plan": mask_value(r.get("plan")),
                    "error": None if r.get("error") is None else mask_text(str(r["error"]))}
                   for r in cmd.results]
        since = len(run.pending)
        kept = run.record_plans(results)
        lines = []
        for r in results:
            if r["n"] in kept:
                step = run.step(r["n"])
                lines.append(f"step {r['n']} ({step['name']}) FAILED to plan: {r['error']}"
                             if r["error"] else
                             f"step {r['n']} ({step['name']}) planned: {_plan_text(r['plan'])}")
        if lines:
            note(uow, run, actor, "\n".join(lines), since)
        return {"id": run.number, "planned": kept}

    def approve_step(self, cmd: c.ApproveStep, uow: UnitOfWork, actor: Actor) -> dict[str, Any]:
        run = self._load(uow, cmd.run_id, actor)
        run.approve(actor, cmd.n, utcnow(), self.approval_ttl, cmd.plan_digest)
        step = run.step(cmd.n)
        note(uow, run, actor, f"step {cmd.n} ({step['name']}) approved by {actor.name} "
             f"until {step['approval_expires_at']}: {_plan_text(step['plan'])}")
        return {"id": run.number}

    # -- apply --------------------------------------------------------------------
    def begin_apply(self, cmd: c.BeginApply, uow: UnitOfWork, actor: Actor) -> dict[str, Any]:
        run = self._load(uow, cmd.run_id, actor)
        step = run.step(cmd.n)
        now = utcnow()
        timeout = int(step["timeout"] or DEFAULT_TIMEOUT)
        until = now + dt.timedelta(seconds=timeout + LEASE_GRACE)
        if cmd.inverse:
            inverse = run.check_inverse(cmd.n, now)
            action, params = str(inverse["action"]), dict(inverse["params"])
            holder = f"run #{run.id} step {cmd.n} inverse ({actor.name})"
        else:
            step = run.check_apply(cmd.n, now)
            action, params = step["action"], dict(step["params"])
            holder = f"run #{run.id} step {cmd.n} ({actor.name})"
            if action.startswith("ticket."):
                raise ValidationError(f"step {cmd.n} changes the ticket; use ApplyTicketStep")
        names = resources(action, params)
        token = leases.acquire(uow.conn, names, holder, timeout + LEASE_GRACE,
                               run_id=run.number, step=cmd.n)
        if cmd.inverse:
            run.begin_inverse(actor, cmd.n, now, token=token, resources=names, until=until)
            note(uow, run, actor, f"step {cmd.n}: {actor.name} runs the inverse {action} "
                 f"{json.dumps(params, sort_keys=True)}")
        else:
            run.begin_apply(actor, cmd.n, now, token=token, resources=names, until=until)
            note(uow, run, actor, f"step {cmd.n} ({step['name']}) being applied by "
                 f"{actor.name}; locked {', '.join(names) or 'nothing'}")
        approved = step["plan"] if not cmd.inverse and step["approval"] == "required" else None
        return {"token": token, "action": action, "params": params, "timeout": timeout,
                "approved_plan": approved}

    def record_applied(self, cmd: c.RecordApplied, uow: UnitOfWork,
                       actor: Actor) -> dict[str, Any]:
        run = self._load(uow, cmd.run_id, actor)
        run.record_applied(cmd.n, cmd.token, mask_text(cmd.output), mask_value(cmd.data))
        note(uow, run, actor, f"step {cmd.n} ({run.step(cmd.n)['name']}) applied: "
             f"{mask_text(cmd.output)}")
        return {"id": run.number}

    def record_verified(self, cmd: c.RecordVerified, uow: UnitOfWork,
                        actor: Actor) -> dict[str, Any]:
        run = self._load(uow, cmd.run_id, actor)
        since = len(run.pending)
        run.record_verified(cmd.n, cmd.token, mask_text(cmd.output))
        leases.release(uow.conn, cmd.token)
        note(uow, run, actor, f"step {cmd.n} ({run.step(cmd.n)['name']}) verified: "
             f"{mask_text(cmd.output)}", since)
        return {"id": run.number}

    def record_failed(self, cmd: c.RecordFailed, uow: UnitOfWork, actor: Actor) -> dict[str, Any]:
        run = self._load(uow, cmd.run_id, actor)
        error = mask_text(cmd.error)
        since = len(run.pending)
        run.record_failed(cmd.n, cmd.token, cmd.phase, error, cmd.inverse)
        if cmd.release:
            leases.release(uow.conn, cmd.token)
        offer = (f" Inverse offered: {cmd.inverse['action']} "
                 f"{json.dumps(cmd.inverse['params'], sort_keys=True)}."
                 if cmd.inverse else " No inverse exists for this action.")
        note(uow, run, actor, f"step {cmd.n} ({run.step(cmd.n)['name']}) FAILED in "
             f"{cmd.phase}: {error}.{offer}", since)
        return {"id": run.number}

    def cancel_apply(self, cmd: c.CancelApply, uow: UnitOfWork, actor: Actor) -> dict[str, Any]:
        run = self._load(uow, cmd.run_id, actor)
        since = len(run.pending)
        run.cancel_apply(cmd.n, cmd.token, cmd.reason, mask_value(cmd.plan))
        leases.release(uow.conn, cmd.token)
        note(uow, run, actor, f"step {cmd.n} was not applied: {cmd.reason}. New plan: "
             f"{_plan_text(cmd.plan)}", since)
        return {"id": run.number}

    def record_inverse(self, cmd: c.RecordInverse, uow: UnitOfWork,
                       actor: Actor) -> dict[str, Any]:
        run = self._load(uow, cmd.run_id, actor)
        run.record_inverse(cmd.n, cmd.token, cmd.ok, mask_text(cmd.output))
        leases.release(uow.conn, cmd.token)
        result = "applied and verified" if cmd.ok else "FAILED"
        note(uow, run, actor, f"step {cmd.n}: inverse {result}: {mask_text(cmd.output)}")
        return {"id": run.number}

    def release_leases(self, cmd: c.ReleaseLeases, uow: UnitOfWork,
                       actor: Actor) -> dict[str, Any]:
        return {"released": leases.release(uow.conn, cmd.token)}

    # -- skip and abort -----------------------------------------------------------
    def skip_step(self, cmd: c.SkipStep, uow: UnitOfWork, actor: Actor) -> dict[str, Any]:
        run = self._load(uow, cmd.run_id, actor)
        reason = mask_text(cmd.reason.strip()[:500])
        since = len(run.pending)
        run.skip(actor, cmd.n, reason)
        note(uow, run, actor, f"step {cmd.n} skipped by {actor.name}: {reason} "
             f"(step {cmd.n} is \"{run.step(cmd.n)['name']}\")", since)
        return {"id": run.number}

    def abort_run(self, cmd: c.AbortRun, uow: UnitOfWork, actor: Actor) -> dict[str, Any]:
        run = self._load(uow, cmd.run_id, actor)
        reason = mask_text(cmd.reason.strip()[:500])
        run.abort(actor, reason)
        note(uow, run, actor, f"aborted by {actor.name}: {reason}")
        return {"id": run.number}


def _plan_text(plan: dict[str, Any] | None) -> str:
    if not plan:
        return "(no plan)"
    changes = plan.get("changes") or []
    body = "; ".join(str(x) for x in changes) if changes else "no change needed"
    return f"{plan.get('summary', '')} [{body}]"
