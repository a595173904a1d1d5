"""APScheduler in exactly one process of the whole hub, however many nodes run.

APScheduler 3 runs in every process that starts it, so every node would run each
job (two digests, two staleness checks). On PostgreSQL the node holding the
``scheduler`` advisory lock (``hub.leadership``, a session-level lock released when
its node dies) runs the jobs; the others try the lock every ``ELECTION_SECONDS`` and
start their own scheduler when they get it, so a killed leader is replaced within
seconds. Runs missed during the hand-over are coalesced into one (``coalesce``,
``misfire_grace_time``). On SQLite (one node) a lock file in the data dir elects the
runner among the processes sharing that data dir, as before.

A heartbeat job (``[scheduler] heartbeat_seconds``, default 60) logs which node runs
the scheduler, so an operator (and the cluster tests) can see there is exactly one.
"""

from __future__ import annotations

import fcntl
import logging
import os
from collections.abc import Callable
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler

from hub.background import BackgroundLoop
from hub.bootstrap import Hub
from hub.leadership import LockSession

log = logging.getLogger(__name__)
JobFactory = Callable[[Hub, BackgroundScheduler], None]
JOBS: list[JobFactory] = []
ELECTION_SECONDS = 2.0
LOCK_NAME = "scheduler"


def register_jobs(factory: JobFactory) -> JobFactory:
    """Feature packages add their periodic jobs (SLAs, staleness checks, drills) here.

    Registering the same factory again changes nothing, so a feature may do it from
    ``register(hub)``, which runs once per hub (several hubs live in one test process).
    """
    if factory not in JOBS:
        JOBS.append(factory)
    return factory


def heartbeat_seconds(hub: Hub) -> float:
    conf = hub.settings.extra.get("scheduler", {}) if isinstance(hub.settings.extra, dict) \
        else {}
    return float(conf.get("heartbeat_seconds", 60)) if isinstance(conf, dict) else 60.0


def _heartbeat(node: str) -> None:
    log.info("scheduler heartbeat on node %s", node)


def build_scheduler(hub: Hub) -> BackgroundScheduler:
    scheduler = BackgroundScheduler(timezone="UTC", job_defaults={
        "coalesce": True, "max_instances": 1, "misfire_grace_time": 300})
    for factory in JOBS:
        factory(hub, scheduler)
    scheduler.add_job(_heartbeat, "interval", seconds=heartbeat_seconds(hub),
                      args=[hub.settings.node_name], id="scheduler-heartbeat",
                      replace_existing=True)
    return scheduler


def start_scheduler(hub: Hub) -> Callable[[], None]:
    if hub.engine.dialect.name == "postgresql":
        return _start_elected(hub)
    return _start_with_lock_file(hub)


def _start_with_lock_file(hub: Hub) -> Callable[[], None]:
    lock_path = hub.settings.data_dir / "scheduler.lock"
    handle = open(lock_path, "a+")  # noqa: SIM115 (held for the process lifetime)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        log.info("another process runs the scheduler")
        return lambda: None
    handle.seek(0)
    handle.truncate()
    handle.write(str(os.getpid()))
    handle.flush()
    scheduler = build_scheduler(hub)
    scheduler.start()
    log.info("scheduler started with %d jobs", len(scheduler.get_jobs()))

    def stop(*_: Any) -> None:
        scheduler.shutdown(wait=False)
        handle.close()

    return stop


class ElectedScheduler:
    """Follows the ``scheduler`` lock: runs the jobs while holding it, stops when lost."""

    def __init__(self, hub: Hub, interval: float = ELECTION_SECONDS) -> None:
        self.hub = hub
        self.locks = LockSession(hub.engine, hub.settings.node_name)
        self.scheduler: BackgroundScheduler | None = None
        self.loop = BackgroundLoop("hub-scheduler-election", self._step, interval=interval,
                                   max_backoff=interval)

    def _step(self) -> bool:
        node = self.hub.settings.node_name
        if self.scheduler is not None:
            if self.locks.check():
                return False
            log.warning("node %s lost the scheduler lock; stopping its jobs", node)
            self._stop_jobs()
        if self.locks.try_acquire(LOCK_NAME):
            self.scheduler = build_scheduler(self.hub)
            self.scheduler.start()
            log.info("scheduler started on node %s with %d jobs", node,
                     len(self.scheduler.get_jobs()))
        return False

    def _stop_jobs(self) -> None:
        if self.scheduler is not None:
            self.scheduler.shutdown(wait=False)
            self.scheduler = None

    def start(self) -> None:
        self.loop.start()

    def stop(self) -> None:
        self.loop.stop()
        self._stop_jobs()
        self.locks.close()


def _start_elected(hub: Hub) -> Callable[[], None]:
    elected = ElectedScheduler(hub)
    elected.start()
    return elected.stop
