"""``hub serve``: web + API (waitress), SMTP gateway and scheduler in one process."""

from __future__ import annotations

import logging
import os
import signal
import threading
from collections.abc import Callable
from typing import Any

from waitress.server import create_server

from hub import create_app
from hub.bootstrap import Hub
from hub.reactors import ReactorWorker
from hub.setup import initialise

log = logging.getLogger("hub.serve")


def split_bind(value: str) -> tuple[str, int]:
    host, _, port = value.rpartition(":")
    return host or "127.0.0.1", int(port)


def run(hub: Hub, *, http_bind: str | None = None, smtp_bind: str | None = None,
        smtp: bool = True, scheduler: bool = True) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    result = initialise(hub, os.environ.get("HUB_ADMIN_PASSWORD") or None)
    if result.admin_password is not None:
        if os.environ.get("HUB_ADMIN_PASSWORD"):
            print("created user admin (password from HUB_ADMIN_PASSWORD)", flush=True)
        else:
            print(f"created user admin with password: {result.admin_password} (shown once)",
                  flush=True)
    stops: list[Callable[[], None]] = []
    worker = ReactorWorker(hub, hub.reactors)
    worker.start()
    stops.append(worker.stop)
    if smtp:
        stops.append(_start_smtp(hub, smtp_bind or hub.settings.smtp_bind))
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
    try:
        server.run()
    except (OSError, ValueError):
        if not done.is_set():
            raise
    finally:
        for stop in reversed(stops):
            stop()


def _start_smtp(hub: Hub, bind: str) -> Callable[[], None]:
    try:
        from hub.mail.gateway import start_gateway  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        log.warning("SMTP gateway not available in this build")
        return lambda: None
    host, port = split_bind(bind)
    stop: Callable[[], None] = start_gateway(hub, host, port)
    print(f"OpsHub SMTP gateway on {host}:{port}", flush=True)
    return stop


def _start_scheduler(hub: Hub) -> Callable[[], None]:
    from hub.scheduler import start_scheduler

    return start_scheduler(hub)
