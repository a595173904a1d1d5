"""``hub serve``: web + API (waitress), the features' services (the SMTP gateway)
and the scheduler in one process, with the reactors in a child process that lives
and dies with it. Services come from the feature registry (``features.services``),
so this entrypoint imports no feature's internals."""

from __future__ import annotations

import ctypes
import logging
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from waitress.server import create_server

from hub import create_app, features
from hub.bootstrap import Hub
from hub.mail.queries import startup_banner
from hub.reactors import ReactorWorker, start_position
from hub.setup import describe_demo, initialise

log = logging.getLogger("hub.serve")
PR_SET_PDEATHSIG = 1


def split_bind(value: str) -> tuple[str, int]:
    host, _, port = value.rpartition(":")
    return host or "127.0.0.1", int(port)


def run(hub: Hub, *, http_bind: str | None = None, smtp_bind: str | None = None,
        smtp: bool = True, scheduler: bool = True) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
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
    stops: list[Callable[[], None]] = []
    for reactor in hub.reactors:
        # Positions of new reactors are set here, before any request is served, so the
        # child process starting up a moment later misses no event.
        start_position(hub, reactor)
    stops.append(start_reactor_process())
    stops.extend(features.services(hub, smtp=smtp, smtp_bind=smtp_bind))
    if scheduler:
        stops.append(_start_scheduler(hub))
    host, port = split_bind(http_bind or hub.settings.http_bind)
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
    for line in startup_banner(hub, (smtp_bind or hub.settings.smtp_bind) if smtp else None):
        print(line, flush=True)
    try:
        server.run()
    except (OSError, ValueError):
        if not done.is_set():
            raise
    finally:
        for stop in reversed(stops):
            stop()


def start_reactor_process() -> Callable[[], None]:
    """Run the reactors (mail out, search index, metrics, acks) in a child process.

    Reactions are asynchronous by design; in their own (lower-priority) process they
    use the second core instead of taking the GIL from request threads. The child
    dies with its parent (PR_SET_PDEATHSIG), so a killed server leaves no orphan.
    """
    child = subprocess.Popen([sys.executable, "-m", "hub.cli", "reactors"],
                             preexec_fn=_die_with_parent)

    def stop() -> None:
        if child.poll() is None:
            child.terminate()
            try:
                child.wait(10)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()

    return stop


def _die_with_parent() -> None:
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    os.nice(5)


def run_reactors(hub: Hub) -> None:
    """``hub reactors``: keep every reactor at the head of the store until SIGTERM.

    On PostgreSQL each cluster-wide reactor runs on the one node leading it
    (``hub.reactors.ReactorWorker``); node-local ones run here regardless.
    """
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    log.info("reactors of node %s starting", hub.settings.node_name)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    worker = ReactorWorker(hub, hub.reactors)
    worker.start()
    done.wait()
    worker.stop()


def _start_scheduler(hub: Hub) -> Callable[[], None]:
    from hub.scheduler import start_scheduler

    return start_scheduler(hub)
