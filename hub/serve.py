"""``hub serve``: web + API, the features' services (the SMTP gateway), the scheduler,
and the reactors in a child process that lives and dies with it.

On one node each of these but the web runs exactly once. With one web worker
(``--workers 1``) the web is waitress threads in this process, beside the services and
the scheduler. With more (the default: one per core) this process is gunicorn's master
(``hub.webworkers``): it forks the web workers and starts the services and the
scheduler in one child process (``hub services``) beside the reactors' (``hub
reactors``). Services come from the feature registry (``features.services``), so this
entrypoint imports no feature's internals."""

from __future__ import annotations

import ctypes
import functools
import logging
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from waitress.server import create_server

from hub import create_app, features
from hub.bootstrap import Hub
from hub.config import Settings
from hub.mail.queries import startup_banner
from hub.reactors import ReactorWorker, start_position
from hub.setup import describe_demo, initialise

log = logging.getLogger("hub.serve")
PR_SET_PDEATHSIG = 1
LOG_FORMAT = "%(asctime)s %(name)s %(message)s"


def _configure_logging() -> None:
    """INFO for the hub's own lines; APScheduler's "Running job" / "executed
    successfully" pair for every 5-second job would bury them, so only its warnings
    (a missed or failed run) show."""
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)
    logging.getLogger("apscheduler.executors").setLevel(logging.WARNING)
    logging.getLogger("apscheduler.scheduler").setLevel(logging.WARNING)


def split_bind(value: str) -> tuple[str, int]:
    host, _, port = value.rpartition(":")
    return host.strip("[]") or "127.0.0.1", int(port)


def web_worker_count(settings: Settings, requested: int | None = None) -> int:
    """``--workers``, else ``HUB_WEB_WORKERS``, else one per core this process may use."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, requested or settings.web_workers or cores or 1)


def run(hub: Hub, *, http_bind: str | None = None, smtp_bind: str | None = None,
        smtp: bool = True, scheduler: bool = True, workers: int | None = None) -> None:
    _configure_logging()
    if http_bind:  # links in mail (HUB_BASE_URL's default) name the address really served
        os.environ["HUB_HTTP"] = http_bind  # for the child processes too
        hub.settings = replace(hub.settings, http_bind=http_bind)
    result = initialise(hub, os.environ.get("HUB_ADMIN_PASSWORD") or None)
    if result.admin_password is not None:
        if os.environ.get("HUB_ADMIN_PASSWORD"):
            print("created user admin (password from HUB_ADMIN_PASSWORD)", flush=True)
        else:
            print(f"created user admin with password: {result.admin_password} (shown once)",
                  flush=True)
    demo = describe_demo(result, f"http://{hub.settings.http_bind}")
    if demo:
        print(demo, flush=True)
    for line in startup_banner(hub, (smtp_bind or hub.settings.smtp_bind) if smtp else None):
        print(line, flush=True)
    for reactor in hub.reactors:
        # Positions of new reactors are set here, before any request is served, so the
        # child process starting up a moment later misses no event.
        start_position(hub, reactor)
    host, port = split_bind(http_bind or hub.settings.http_bind)
    count = web_worker_count(hub.settings, workers)
    if count > 1:
        from hub.webworkers import serve_workers

        services = ([f"--smtp={smtp_bind}"] if smtp_bind else []) + (
            [] if smtp else ["--no-smtp"]) + ([] if scheduler else ["--no-scheduler"])
        serve_workers(hub, host, port, count, services)
        return
    reactors = ChildProcess("reactors", nice=5)  # before any thread starts (fork safety)
    stops: list[Callable[[], None]] = [reactors.stop]
    try:
        stops.extend(start_services(hub, smtp=smtp, smtp_bind=smtp_bind, scheduler=scheduler))
        _serve_waitress(hub, host, port)
    finally:
        for stop in reversed(stops):
            stop()


def _serve_waitress(hub: Hub, host: str, port: int) -> None:
    app = create_app(hub)
    server: Any = create_server(app, host=host, port=port, threads=hub.settings.web_threads,
                                connection_limit=200, channel_timeout=60, ident="OpsHub")
    done = threading.Event()

    def _stop(*_: Any) -> None:
        if not done.is_set():
            done.set()
            server.close()

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)
    print(f"OpsHub web and API on http://{host}:{port}", flush=True)
    try:
        server.run()
    except (OSError, ValueError):
        if not done.is_set():
            raise


def start_services(hub: Hub, *, smtp: bool, smtp_bind: str | None,
                   scheduler: bool) -> list[Callable[[], None]]:
    """Start the features' services and the scheduler; the functions that stop them."""
    stops: list[Callable[[], None]] = []
    try:
        stops.extend(features.services(hub, smtp=smtp, smtp_bind=smtp_bind))
        if scheduler:
            from hub.scheduler import start_scheduler

            stops.append(start_scheduler(hub))
    except BaseException:
        for stop in reversed(stops):
            stop()
        raise
    return stops


def run_services(hub: Hub, *, smtp: bool = True, smtp_bind: str | None = None,
                 scheduler: bool = True, ready_fd: int | None = None) -> None:
    """``hub services``: the SMTP gateway (with its workers) and the scheduler until
    SIGTERM, for ``hub serve`` with several web workers. ``ready_fd`` is told once
    they listen, so the web starts answering only when mail is taken too."""
    _configure_logging()
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    stops = start_services(hub, smtp=smtp, smtp_bind=smtp_bind, scheduler=scheduler)
    try:
        if ready_fd is not None:
            os.write(ready_fd, b"ready\n")
            os.close(ready_fd)
        done.wait()
    finally:
        for stop in reversed(stops):
            stop()


class ChildProcess:
    """A ``hub`` subcommand in a child process that dies with its parent.

    PR_SET_PDEATHSIG sends it SIGTERM when this process ends, however it ends, so a
    killed server leaves no orphan holding ports or leaderships.
    """

    def __init__(self, *args: str, nice: int = 0, pass_fds: Sequence[int] = ()) -> None:
        self.name = f"hub {args[0]}"
        self.proc = subprocess.Popen([sys.executable, "-m", "hub.cli", *args],
                                     preexec_fn=functools.partial(_die_with_parent, nice),
                                     pass_fds=tuple(pass_fds))

    def exited(self) -> int | None:
        """Its exit status once it has ended (reaping it), else None."""
        return self.proc.poll()

    def terminate(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()

    def stop(self, timeout: float = 10) -> None:
        self.terminate()
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def _die_with_parent(nice: int) -> None:
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    if nice:
        os.nice(nice)


def run_reactors(hub: Hub) -> None:
    """``hub reactors``: keep every reactor at the head of the store until SIGTERM.

    Reactions are asynchronous by design; in their own (lower-priority) process they
    use another core instead of taking the GIL from request threads. On PostgreSQL
    each cluster-wide reactor runs on the one node leading it
    (``hub.reactors.ReactorWorker``); node-local ones run here regardless.
    """
    _configure_logging()
    log.info("reactors of node %s starting", hub.settings.node_name)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    worker = ReactorWorker(hub, hub.reactors)
    worker.start()
    done.wait()
    worker.stop()
