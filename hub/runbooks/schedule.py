"""Scheduled runs (e.g. a monthly failover drill) from ``settings.extra``::

    [[runbook_schedules]]
    name = "monthly-vip-drill"
    runbook = "Runbooks.VipDrill"
    cron = "0 10 1 * *"            # minute hour day month day-of-week, UTC
    params = {vip = "web-vip", to = "lb2"}
    queue = "General"              # optional: open a ticket for each run

A scheduled job only *starts* the run (and plans it): steps that need approval
still wait for a person, and nobody is woken by a change nobody approved.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from apscheduler.triggers.cron import CronTrigger

from hub.actors import system_actor
from hub.eventstore import utcnow
from hub.runbooks import commands as c
from hub.runbooks.config import ConfigError
from hub.runbooks.service import RunService
from hub.runbooks.source import split_name
from hub.tickets import commands as tc

if TYPE_CHECKING:
    from apscheduler.schedulers.background import BackgroundScheduler

    from hub.bootstrap import Hub

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Schedule:
    name: str
    runbook: str
    cron: str
    params: dict[str, str] = field(default_factory=dict)
    queue: str | None = None
    ticket_id: int | None = None


def parse_schedules(items: Any) -> list[Schedule]:
    if items is None:
        return []
    if not isinstance(items, list):
        raise ConfigError("runbook_schedules must be a list of tables")
    out = []
    for index, raw in enumerate(items):
        if not isinstance(raw, Mapping):
            raise ConfigError(f"runbook_schedules #{index} must be a table")
        name = str(raw.get("name") or f"#{index}")
        try:
            split_name(str(raw.get("runbook", "")))
            CronTrigger.from_crontab(str(raw.get("cron", "")), timezone="UTC")
        except Exception as exc:
            raise ConfigError(f"runbook_schedules {name}: {exc}") from exc
        params = raw.get("params") or {}
        if not isinstance(params, Mapping):
            raise ConfigError(f"runbook_schedules {name}: params must be a table")
        out.append(Schedule(name=name, runbook=str(raw["runbook"]), cron=str(raw["cron"]),
                            params={str(k): str(v) for k, v in params.items()},
                            queue=raw.get("queue"), ticket_id=raw.get("ticket_id")))
    return out


def run_scheduled(hub: Hub, schedule: Schedule) -> dict[str, Any]:
    """One firing: open a ticket if asked, start the run, plan its steps."""
    actor = system_actor("scheduler", f"schedule:{schedule.name}")
    stamp = utcnow().strftime("%Y-%m-%dT%H:%M")
    ticket_id = schedule.ticket_id
    if ticket_id is None and schedule.queue:
        created = hub.bus.handle(tc.CreateTicket(
            queue=schedule.queue, subject=f"Scheduled runbook {schedule.runbook} ({stamp})",
            body=f"Started by the schedule {schedule.name} ({schedule.cron})."), actor,
            idempotency_key=f"runbook-schedule:{schedule.name}:{stamp}:ticket")
        ticket_id = int(created["id"])
    return RunService(hub).start(
        c.StartRun(runbook=schedule.runbook, params=dict(schedule.params), ticket_id=ticket_id),
        actor, idempotency_key=f"runbook-schedule:{schedule.name}:{stamp}")


def add_jobs(hub: Hub, scheduler: BackgroundScheduler) -> None:
    """The JobFactory registered with hub.scheduler.register_jobs."""
    for schedule in parse_schedules(hub.settings.extra.get("runbook_schedules")):
        def fire(s: Schedule = schedule) -> None:
            try:
                run_scheduled(hub, s)
            except Exception:
                log.exception("scheduled runbook %s failed to start", s.name)

        scheduler.add_job(fire, CronTrigger.from_crontab(schedule.cron, timezone="UTC"),
                          id=f"runbook:{schedule.name}", replace_existing=True)
