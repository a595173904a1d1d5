"""Running steps: operations outside the write transaction, results back as commands.

Every entrypoint (API, web, mail, scheduler) goes through here for plan, apply
and inverse, because these need I/O against load balancers, addresses and
backups that must never happen while the event store's write lock is held.
The order for apply is: take the leases (BeginApply) -> re-plan under the lease
-> compare with what was approved -> apply (with the step's timeout) -> verify,
each result recorded by its own command so a crash leaves an honest history.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FuturesTimeout
from dataclasses import asdict
from typing import TYPE_CHECKING, Any, TypeVar

from hub.actors import Actor
from hub.domain import NotFoundError, StateConflictError, ValidationError
from hub.drivers.base import (
    Operation,
    OperationError,
    OperationTimeoutError,
    Plan,
    UnknownTargetError,
)
from hub.drivers.base import TargetNotAllowedError as TargetError
from hub.runbooks import commands as c
from hub.runbooks.config import ConfigError, operations_of
from hub.runbooks.model import FINISHED, Run
from hub.runbooks.queries import get_run
from hub.runbooks.ticket_steps import plan_ticket_step
from hub.tickets import queries as tq

if TYPE_CHECKING:
    from hub.bootstrap import Hub

log = logging.getLogger(__name__)
T = TypeVar("T")
PLAN_TIMEOUT = 60


def call_with_timeout(fn: Callable[[], T], timeout: float, what: str,
                      late: Callable[[], None] | None = None) -> T:
    """Run ``fn`` in a worker thread; give up waiting after ``timeout`` seconds.

    A thread cannot be killed, so on timeout ``late`` runs when the operation
    finally ends (the leases are released then, not earlier: the change may still
    be under way).
    """
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="runbook-op")
    future = pool.submit(fn)
    pool.shutdown(wait=False)
    try:
        return future.result(timeout=timeout)
    except FuturesTimeout:
        if late is not None:
            def _done(_: object) -> None:
                try:
                    late()
                except Exception:
                    log.exception("cleaning up after %s failed", what)
            future.add_done_callback(_done)
        raise OperationTimeoutError(f"{what} timed out after {timeout:g}s") from None


def _plan_dict(plan: Plan) -> dict[str, Any]:
    return asdict(plan)


class RunService:
    def __init__(self, hub: Hub) -> None:
        self.hub = hub

    def read(self, run_id: int, actor: Actor) -> dict[str, Any]:
        with self.hub.engine.connect() as conn:
            return get_run(conn, actor, run_id)

    def _step(self, run: dict[str, Any], n: int) -> dict[str, Any]:
        if not 1 <= n <= len(run["steps"]):
            raise NotFoundError(f"run {run['id']} has no step {n}")
        return dict(run["steps"][n - 1])

    def _op(self, action: str) -> Operation:
        try:
            op = operations_of(self.hub).get(action)
        except ConfigError as exc:
            raise ValidationError(str(exc)) from exc
        if op is None:
            raise ValidationError(f"no operation is configured for {action}")
        return op

    # -- start and plan -----------------------------------------------------------
    def start(self, cmd: c.StartRun, actor: Actor,
              idempotency_key: str | None = None) -> dict[str, Any]:
        result = self.hub.bus.handle(cmd, actor, idempotency_key=idempotency_key)
        run_id = int(result["id"])
        try:
            self.plan(run_id, None, actor)
        except Exception:  # the run exists; a plan can be made again from its page
            log.exception("planning run %s failed", run_id)
        return self.read(run_id, actor)

    def plan(self, run_id: int, n: int | None, actor: Actor) -> dict[str, Any]:
        """Dry-run one step (422 for a target not allowed) or every open step.

        A step whose plan failed may be planned again (after its cause was fixed)."""
        run = self.read(run_id, actor)
        steps = [self._step(run, n)] if n is not None else run["steps"]
        if run["status"] in FINISHED:
            raise StateConflictError(f"run {run_id} is {run['status']}")
        if n is not None and not Run.plannable(steps[0]):
            raise StateConflictError(f"step {n} is {steps[0]['state']} and cannot be planned")
        results = []
        for step in steps:
            if not Run.plannable(step):
                continue
            try:
                plan = self._dry_run(run, step)
                results.append({"n": step["n"], "plan": plan})
            except UnknownTargetError as exc:  # a configuration gap, not a refused target
                results.append({"n": step["n"], "error": str(exc)})
            except TargetError as exc:
                if n is not None:
                    raise ValidationError(f"step {step['n']}: {exc}", step=step["n"]) from exc
                results.append({"n": step["n"], "error": f"not allowed: {exc}"})
            except (OperationError, ValidationError) as exc:
                results.append({"n": step["n"], "error": str(exc)})
        if results:
            self.hub.bus.handle(c.RecordPlan(run_id=run_id, results=results), actor)
        return self.read(run_id, actor)

    def _dry_run(self, run: dict[str, Any], step: dict[str, Any]) -> dict[str, Any]:
        if step["action"].startswith("ticket."):
            with self.hub.engine.connect() as conn:
                ticket = tq.get_state(conn, actor_for_read(), int(run["ticket_id"]))
            return plan_ticket_step(ticket, step["action"], step["params"])
        op = self._op(step["action"])
        timeout = min(float(step["timeout"]), PLAN_TIMEOUT)
        plan = call_with_timeout(lambda: op.plan(step["params"]), timeout, "plan")
        return _plan_dict(plan)

    # -- apply --------------------------------------------------------------------
    def apply(self, run_id: int, n: int, actor: Actor) -> dict[str, Any]:
        run = self.read(run_id, actor)
        step = self._step(run, n)
        if step["action"].startswith("ticket."):
            self.hub.bus.handle(c.ApplyTicketStep(run_id=run_id, n=n), actor)
            return self.read(run_id, actor)
        begin = self.hub.bus.handle(c.BeginApply(run_id=run_id, n=n), actor)
        token, params = int(begin["token"]), dict(begin["params"])
        timeout = float(begin["timeout"])
        bus = self.hub.bus

        def fail(phase: str, error: str, release: bool = True, offer: bool = True) -> None:
            inverse = self._inverse(op, params) if offer else None
            bus.handle(c.RecordFailed(run_id=run_id, n=n, token=token, phase=phase,
                                      error=error, inverse=inverse, release=release), actor)

        try:
            op = self._op(begin["action"])
        except ValidationError as exc:
            bus.handle(c.RecordFailed(run_id=run_id, n=n, token=token, phase="plan",
                                      error=exc.message), actor)
            raise
        try:
            plan = call_with_timeout(lambda: op.plan(params), min(timeout, PLAN_TIMEOUT), "plan")
        except TargetError as exc:
            fail("plan", f"not allowed: {exc}", offer=False)
            raise ValidationError(f"step {n}: {exc}", step=n) from exc
        except OperationError as exc:
            fail("plan", str(exc), offer=False)
            return self.read(run_id, actor)
        approved = begin.get("approved_plan")
        if approved is not None and list(plan.changes) != list(approved.get("changes", [])):
            bus.handle(c.CancelApply(run_id=run_id, n=n, token=token, plan=_plan_dict(plan),
                                     reason="the plan changed since it was approved"), actor)
            raise StateConflictError(f"step {n}: the plan changed since it was approved; "
                                     "review the new plan and approve it again")

        def late() -> None:
            bus.handle(c.ReleaseLeases(token=token), actor)

        try:
            outcome = call_with_timeout(lambda: op.apply(params, plan), timeout, "apply", late)
        except OperationTimeoutError as exc:
            fail("timeout", str(exc), release=False)
            return self.read(run_id, actor)
        except TargetError as exc:
            fail("apply", f"not allowed: {exc}", offer=False)
            raise ValidationError(f"step {n}: {exc}", step=n) from exc
        except OperationError as exc:
            fail("apply", str(exc))
            return self.read(run_id, actor)
        bus.handle(c.RecordApplied(run_id=run_id, n=n, token=token, output=outcome.output,
                                   data={"plan": _plan_dict(plan)}), actor)
        try:
            checked = call_with_timeout(lambda: op.verify(params), timeout, "verify")
        except OperationError as exc:
            fail("verify", str(exc))
            return self.read(run_id, actor)
        bus.handle(c.RecordVerified(run_id=run_id, n=n, token=token, output=checked.output),
                   actor)
        return self.read(run_id, actor)

    def _inverse(self, op: Operation, params: dict[str, Any]) -> dict[str, Any] | None:
        try:
            found = op.inverse(params)
        except OperationError:
            return None
        return None if found is None else {"action": found[0], "params": dict(found[1])}

    def inverse(self, run_id: int, n: int, actor: Actor) -> dict[str, Any]:
        """Undo a failed step with its inverse (drain <-> ready, VIP back)."""
        begin = self.hub.bus.handle(c.BeginApply(run_id=run_id, n=n, inverse=True), actor)
        token, params = int(begin["token"]), dict(begin["params"])
        timeout = float(begin["timeout"])
        try:
            op = self._op(begin["action"])
            plan = call_with_timeout(lambda: op.plan(params), min(timeout, PLAN_TIMEOUT), "plan")
            done = call_with_timeout(lambda: op.apply(params, plan), timeout, "apply")
            checked = call_with_timeout(lambda: op.verify(params), timeout, "verify")
            ok, output = True, f"{done.output}; {checked.output}"
        except (OperationError, ValidationError) as exc:
            ok, output = False, str(exc)
        self.hub.bus.handle(c.RecordInverse(run_id=run_id, n=n, token=token, ok=ok,
                                            output=output), actor)
        return self.read(run_id, actor)


def actor_for_read() -> Actor:
    """Dry runs read the linked ticket as the system (the run's rights were checked)."""
    from hub.actors import system_actor

    return system_actor("runbook")
