"""The escalation job: every few seconds, move pages whose wait ran out to their next step.

Run by the one scheduler of the cluster; each move names the step and round it saw
and carries an idempotency key of page, step and round, so a job that runs twice
(a hand-over between nodes, a retry) moves a page once.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import TYPE_CHECKING, Any

from hub.actors import system_actor
from hub.eventstore import utcnow
from hub.oncall import commands as c
from hub.oncall.queries import due_pages

if TYPE_CHECKING:
    from hub.bootstrap import Hub

log = logging.getLogger(__name__)
INTERVAL_SECONDS = 5


def drive_escalations(hub: Hub, now: dt.datetime | None = None) -> list[dict[str, Any]]:
    """Escalate every page due at ``now`` (naive UTC, default the clock); the outcomes."""
    moment = now or utcnow()
    with hub.engine.connect() as conn:
        due = due_pages(conn, moment)
    actor = system_actor("scheduler", "oncall-escalation")
    out = []
    for page_id, step, round_ in due:
        try:
            out.append(hub.bus.handle(
                c.EscalatePage(page_id=page_id, step=step, round=round_, at=moment), actor,
                idempotency_key=f"page-escalate:{page_id}:{step}:{round_}"))
        except Exception:
            log.exception("page %s could not escalate; trying again at the next run", page_id)
    return out


def _run(hub: Hub) -> None:
    try:
        drive_escalations(hub)
    except Exception:
        log.exception("the escalation job failed; retrying at the next run")


def add_jobs(hub: Hub, scheduler: Any) -> None:
    """The JobFactory registered with hub.scheduler.register_jobs."""
    scheduler.add_job(_run, "interval", seconds=INTERVAL_SECONDS, args=[hub],
                      id="oncall-escalations", replace_existing=True)
