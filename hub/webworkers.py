"""``hub serve --workers N``: N gunicorn web worker processes on one port of one node.

Fork safety decides the shape. This process becomes gunicorn's master and forks the
workers, so when it forks it runs no thread and holds no database connection: it has
imported the hub (pages shared copy-on-write with the workers) and disposed of the
engine it used to start up (migrations, the first admin, reactor positions). Each
worker builds its own hub, engine and pool after the fork (``HubWebApplication.load``)
and serves with ``web_threads`` threads (gthread).

What must run once per node runs in two children the master starts (fork and exec)
before it listens, and watches beside its workers: ``hub services`` (the SMTP gateway
with its inbox, outbox and IMAP workers, and the scheduler) and ``hub reactors``.
When one of them ends, the master stops the node rather than serve without mail or
reactions (a supervisor such as systemd restarts it); a worker that dies is replaced
by gunicorn. SIGTERM or SIGINT to the master stops the workers and both children.

Per process, not per node: the login throttle (``hub.webkit.auth``) counts failures in
each worker's memory, so a client spread over N workers gets up to N times the free
attempts before its delays start. The wiki's render caches are keyed by what they
render (the expanded text, the store position), so no worker serves a stale entry.
"""

from __future__ import annotations

import gc
import os
import select
import time
from collections.abc import Callable
from typing import Any

from gunicorn.app.base import BaseApplication  # type: ignore[import-untyped]
from gunicorn.arbiter import Arbiter  # type: ignore[import-untyped]
from gunicorn.errors import HaltServer  # type: ignore[import-untyped]

from hub import create_app
from hub.bootstrap import Hub, bootstrap
from hub.config import Settings
from hub.serve import ChildProcess

#: How long ``hub services`` may take to bind SMTP and start its workers.
SERVICES_START_TIMEOUT = 60.0


class HubWebApplication(BaseApplication):  # type: ignore[misc]
    """gunicorn, embedded: configuration from the hub's settings, no command line."""

    def __init__(self, settings: Settings, options: dict[str, Any]) -> None:
        self.settings = settings
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        """Runs in each worker after the fork: its own hub, engine and pool."""
        return create_app(bootstrap(self.settings))


class NodeArbiter(Arbiter):  # type: ignore[misc]
    """gunicorn's master, also watching the node's two once-only children."""

    def __init__(self, app: HubWebApplication, children: list[ChildProcess],
                 ready_fd: int, banner: str) -> None:
        self.children = children
        self.ready_fd = ready_fd
        self.banner: str | None = banner
        super().__init__(app)

    def reap_workers(self) -> None:
        for child in self.children:
            child.exited()  # reaped by its own Popen before waitpid(-1) can take it
        super().reap_workers()

    def manage_workers(self) -> None:
        for child in self.children:
            status = child.exited()
            if status is not None:
                raise HaltServer(f"{child.name} ended (status {status}); stopping the node",
                                 0 if status == 0 else 1)
        self._announce()
        super().manage_workers()

    def stop(self, graceful: bool = True) -> None:
        for child in self.children:  # they stop while the workers finish their requests
            child.terminate()
        super().stop(graceful)
        for child in self.children:
            child.stop()

    def _announce(self) -> None:
        """Print the start-up line once the first worker has loaded the app (and keep
        the pipe drained: every replacement worker says so too)."""
        try:
            said = os.read(self.ready_fd, 4096)
        except BlockingIOError:
            return
        if said and self.banner is not None:
            print(self.banner, flush=True)
            self.banner = None


def serve_workers(hub: Hub, host: str, port: int, workers: int,
                  services_args: list[str]) -> None:
    """Run the node until SIGTERM/SIGINT: ``workers`` web processes, services, reactors."""
    create_app(hub)  # imports every blueprint here, once, for all workers to share
    hub.engine.dispose()  # no connection may cross the fork into a worker
    ready_read, ready_write = os.pipe()
    os.set_blocking(ready_read, False)
    children = [ChildProcess("reactors", nice=5)]
    try:
        children.append(_start_services(services_args))
        app = HubWebApplication(hub.settings, gunicorn_options(
            hub.settings, host, port, workers, _tell(ready_write)))
        gc.freeze()  # the collector in a worker leaves the master's objects' pages shared
        NodeArbiter(app, children, ready_read,
                    f"OpsHub web and API on http://{host}:{port}").run()
    finally:
        for child in children:
            child.stop()


def gunicorn_options(settings: Settings, host: str, port: int, workers: int,
                     post_worker_init: Callable[[Any], None]) -> dict[str, Any]:
    return {
        "bind": [f"[{host}]:{port}" if ":" in host else f"{host}:{port}"],
        "workers": workers,
        "worker_class": "gthread",
        "threads": settings.web_threads,
        "keepalive": 5,
        "graceful_timeout": 10,
        "limit_request_line": 8190,  # gunicorn's largest; its default is 4094
        "forwarded_allow_ips": "",  # as waitress: no client may claim to be a proxy
        "control_socket_disable": True,  # it is a thread in the master (forks follow)
        "proc_name": "hub-web",
        "errorlog": "-",
        "loglevel": "info",
        "post_worker_init": post_worker_init,
    }


def _tell(fd: int) -> Callable[[Any], None]:
    def post_worker_init(_worker: Any) -> None:
        os.write(fd, b"w")

    return post_worker_init


def _start_services(args: list[str]) -> ChildProcess:
    """``hub services``, returned once its SMTP gateway listens (it says so on a pipe)."""
    ready_read, ready_write = os.pipe()
    try:
        child = ChildProcess("services", f"--ready-fd={ready_write}", *args,
                             pass_fds=(ready_write,))
    finally:
        os.close(ready_write)
    try:
        deadline = time.monotonic() + SERVICES_START_TIMEOUT
        while (left := deadline - time.monotonic()) > 0:
            readable, _, _ = select.select([ready_read], [], [], left)
            if readable:
                if os.read(ready_read, 64):
                    return child
                break  # end of file: it ended before it was ready
        child.stop()
        raise SystemExit(f"hub services did not start (status {child.exited()}); "
                         "its error is above")
    finally:
        os.close(ready_read)
