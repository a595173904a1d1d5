"""Several real ``hub serve`` nodes on one real PostgreSQL, with one shared SMTP sink.

Used by the cluster reactor and scheduler tests: each node has its own data dir and
``HUB_NODE_NAME``; who leads what is read from PostgreSQL itself (``pg_locks``).
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
from aiosmtpd.controller import Controller
from hub_support import Server, free_port, fresh_postgres_db, make_hub

from hub.accounts import commands as ac
from hub.actors import system_actor
from hub.bootstrap import Hub
from hub.leadership import leader_of


@dataclass
class Sink:
    """The smarthost every node relays to: what the cluster as a whole sent."""

    received: list[tuple[list[str], bytes]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            self.received.append((list(envelope.rcpt_tos), bytes(envelope.content)))
        return "250 OK"

    def to(self, rcpt: str, subject: str = "") -> list[bytes]:
        with self.lock:
            return [raw for rcpts, raw in self.received
                    if rcpts == [rcpt] and subject.encode() in raw]


@dataclass
class Cluster:
    hub: Hub  # a local handle on the shared database (migrations, tokens, queries)
    sink: Sink
    token: str
    nodes: dict[str, Server]

    def api(self, node: str, method: str, path: str, **kw: Any) -> requests.Response:
        return requests.request(method, self.nodes[node].url + path, timeout=15,
                                headers={"Authorization": f"Bearer {self.token}"}, **kw)

    def leader(self, lock: str) -> str | None:
        with self.hub.engine.connect() as conn:
            return leader_of(conn, lock)

    def wait_leader(self, lock: str, timeout: float = 20,
                    other_than: str | None = None) -> str:
        deadline = time.time() + timeout
        while time.time() < deadline:
            node = self.leader(lock)
            if node is not None and node != other_than:
                return node
            time.sleep(0.2)
        raise AssertionError(f"nobody (other than {other_than}) leads {lock}")

    def kill9(self, node: str) -> None:
        """SIGKILL the node and its reactor child: no clean shutdown, no unlock."""
        proc = self.nodes[node].proc
        assert proc is not None
        kill9_tree(proc.pid)
        proc.wait(10)

    def log(self, node: str) -> str:
        return (self.nodes[node].data_dir / "serve.log").read_text(errors="replace")


def kill9_tree(pid: int) -> None:
    """SIGKILL a process and its children (reactors, web workers), children first, so
    none of them gets the chance to hand anything over cleanly."""
    children: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            children.extend(int(c) for c in (task / "children").read_text().split())
        except FileNotFoundError:  # a thread that just ended
            continue
    for child in children:
        os.kill(child, signal.SIGKILL)
    os.kill(pid, signal.SIGKILL)


def wait_for(check: Callable[[], Any], timeout: float, what: str) -> Any:
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Callable[..., Cluster]]:
    started: list[tuple[Cluster, Controller]] = []

    def start(names: tuple[str, ...], *, scheduler: bool = False,
              toml: str = "") -> Cluster:
        url = fresh_postgres_db()
        hub = make_hub(tmp_path / "setup", url)
        token = str(hub.bus.handle(ac.CreateToken(user="admin", name="t"),
                                   system_actor("cli"))["token"])
        sink, port = Sink(), free_port()
        controller = Controller(sink, hostname="127.0.0.1", port=port)
        controller.start()
        nodes: dict[str, Server] = {}
        made = Cluster(hub, sink, token, nodes)
        started.append((made, controller))
        for name in names:
            data = tmp_path / name
            data.mkdir()
            env = {**os.environ, "HUB_DATA_DIR": str(data), "HUB_DATABASE_URL": url,
                   "HUB_SECRET_KEY": "test-secret", "HUB_MAIL_DOMAIN": "hub.test",
                   "HUB_SMARTHOST": f"127.0.0.1:{port}", "HUB_NODE_NAME": name}
            if toml:
                (data / "hub.toml").write_text(toml)
                env["HUB_CONFIG"] = str(data / "hub.toml")
            nodes[name] = Server(data, env)
            nodes[name].start(*(() if scheduler else ("--no-scheduler",)))
        return made

    yield start
    for made, controller in started:
        for server in made.nodes.values():
            server.stop()
        controller.stop()
        made.hub.engine.dispose()
