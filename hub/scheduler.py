"""APScheduler in exactly one process: a lock file in the data dir elects the runner.

APScheduler 3 runs in every process that starts it; with several ``hub serve``
processes on one data dir only the holder of the lock schedules jobs.
"""

from __future__ import annotations

import fcntl
import logging
import os
from collections.abc import Callable
from typing import Any

from apscheduler.schedulers.background import BackgroundScheduler

from hub.bootstrap import Hub

log = logging.getLogger(__name__)
JobFactory = Callable[[Hub, BackgroundScheduler], None]
JOBS: list[JobFactory] = []


def register_jobs(factory: JobFactory) -> JobFactory:
    """Feature packages add their periodic jobs (SLAs, staleness checks, drills) here."""
    JOBS.append(factory)
    return factory


def start_scheduler(hub: Hub) -> Callable[[], None]:
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
    scheduler = BackgroundScheduler(timezone="UTC", job_defaults={
        "coalesce": True, "max_instances": 1, "misfire_grace_time": 300})
    for factory in JOBS:
        factory(hub, scheduler)
    scheduler.start()
    log.info("scheduler started with %d jobs", len(scheduler.get_jobs()))

    def stop(*_: Any) -> None:
        scheduler.shutdown(wait=False)
        handle.close()

    return stop
