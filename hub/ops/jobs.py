"""Scheduled ops checks: BackupPC hosts gone silent, flapping objects gone quiet.

BackupPC runs no hook for a host that never answers, and a flapping object that
calms down sends nothing more: both are only visible from the clock, so the
scheduler asks, through the bus like any other entrypoint.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import sqlalchemy as sa

from hub.actors import system_actor
from hub.bootstrap import Hub
from hub.ops.alerts.backuppc import SERVICE, stale_hosts
from hub.ops.alerts.signal import AlertSignal
from hub.ops.commands import ReviewFlapping
from hub.ops.config import OpsConfig
from hub.ops.handlers import submit
from hub.ops.tables import alerts, backup_hosts
from hub.scheduler import register_jobs

log = logging.getLogger(__name__)


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    return value.replace(tzinfo=dt.UTC) if value is not None else None


def stale_signal(host: str, last_good: dt.datetime | None, period: dt.timedelta,
                 now: dt.datetime) -> AlertSignal:
    """A synthetic BackupPC problem on the host's usual key, so a good dump resolves it.

    The delivery id names the last good dump: one notice per silence, however
    often the job runs.
    """
    since = last_good.isoformat() if last_good else "never"
    return AlertSignal(
        source="backuppc", kind="problem", problem_key=f"backuppc:{host}",
        object_key=f"{host}/{SERVICE}", delivery_id=f"backuppc-stale:{host}:{since}",
        host=host, service=SERVICE, title=f"STALE: {host} / {SERVICE}", severity="warning",
        state="STALE",
        output=(f"No good backup of {host} since {since} "
                f"(expected at least every {period}); BackupPC reports nothing for a host "
                "it cannot reach."),
        details={"stale": True, "last_good": since}, occurred_at=now,
    )


def check_backups(hub: Hub, now: dt.datetime | None = None) -> list[dict[str, Any]]:
    """Open or update a ticket for each host without a good dump within its period."""
    config: OpsConfig = hub.services["ops.config"]
    now = now or dt.datetime.now(dt.UTC)
    with hub.engine.connect() as conn:
        rows = conn.execute(sa.select(backup_hosts.c.host, backup_hosts.c.last_good)).all()
    last_good = {r.host: good for r in rows if (good := _aware(r.last_good)) is not None}
    known = {r.host for r in rows}
    periods = dict(config.backup_periods)
    for host in known - set(last_good):  # failing since we know it: stale too
        periods.setdefault(host, config.backup_default)
    results = []
    for host in stale_hosts(last_good, periods, config.backup_default, now):
        signal = stale_signal(host, last_good.get(host), periods.get(
            host, config.backup_default), now)
        results.append(submit(hub, signal, system_actor("scheduler", "backuppc")))
    return results


def review_flapping(hub: Hub) -> int:
    with hub.engine.connect() as conn:
        keys = conn.execute(sa.select(alerts.c.object_key).where(alerts.c.flapping.is_(True))
                            .distinct()).scalars().all()
    stopped = 0
    for key in keys:
        result = hub.bus.handle(ReviewFlapping(key), system_actor("scheduler", "flapping"))
        stopped += bool(result["stopped"])
    return stopped


def _run(hub: Hub) -> None:
    try:
        check_backups(hub)
        review_flapping(hub)
    except Exception:
        log.exception("ops checks failed; retrying at the next run")


@register_jobs
def schedule(hub: Hub, scheduler: Any) -> None:
    config: OpsConfig | None = hub.services.get("ops.config")
    minutes = config.backup_check_minutes if config else 30
    scheduler.add_job(_run, "interval", minutes=minutes, args=[hub], id="ops-checks",
                      replace_existing=True)
