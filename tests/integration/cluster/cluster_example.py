"""The runnable example, run for real: ``contrib/cluster/run-three-nodes.sh`` starts
three ``hub serve`` nodes on a fresh PostgreSQL database with HAProxy in front, and
the tests drive it from outside, as an operator and their users would.

The script chooses nothing the tests need to guess: ports are handed to it, each
node's data dir (``serve.log``, ``pid``) sits under the cluster dir, and every node
relays to one shared SMTP sink. ``ExampleCluster`` is a ``cluster_leaders.Cluster``
whose nodes the script started, plus the HAProxy front.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from aiosmtpd.controller import Controller
from cluster_leaders import Cluster, Sink, kill9_tree
from hub_support import ROOT, Server, free_port, fresh_postgres_db, make_token

from hub.bootstrap import bootstrap
from hub.config import load_settings
from hub.db import make_engine

SCRIPT = ROOT / "contrib" / "cluster" / "run-three-nodes.sh"
NAMES = ("node-a", "node-b", "node-c")
DOMAIN = "hub.test"
READY = "Ctrl-C stops all."


def haproxy_binary() -> str:
    found = shutil.which("haproxy") or (
        "/usr/sbin/haproxy" if os.path.exists("/usr/sbin/haproxy") else None)
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("haproxy is not installed: `make test` installs it")
        pytest.skip("haproxy binary not installed (Debian package 'haproxy')")
    return found


@dataclass
class ExampleCluster(Cluster):
    base: Path
    lb_url: str
    lb_smtp_port: int
    script: subprocess.Popen[bytes]
    controller: Controller

    def lb(self, method: str, path: str, **kw: Any) -> requests.Response:
        """A request through HAProxy, as a user of the cluster makes it."""
        headers = {"Authorization": f"Bearer {self.token}", **kw.pop("headers", {})}
        return requests.request(method, self.lb_url + path, timeout=30, headers=headers,
                                **kw)

    def haproxy(self, command: str) -> str:
        """One command to HAProxy's runtime API; an empty reply means it was done."""
        with socket.socket(socket.AF_UNIX) as sock:
            sock.settimeout(10)
            sock.connect(str(self.base / "haproxy.sock"))
            sock.sendall(command.encode() + b"\n")
            reply = b""
            while chunk := sock.recv(65536):
                reply += chunk
        return reply.decode().strip()

    def pid(self, node: str) -> int:
        return int((self.nodes[node].data_dir / "pid").read_text())

    def kill9(self, node: str) -> None:
        """SIGKILL the node with its children; the script (its parent) reaps it."""
        pid = self.pid(node)
        kill9_tree(pid)
        deadline = time.time() + 10
        while _running(pid):
            assert time.time() < deadline, f"{node} (pid {pid}) survived SIGKILL"
            time.sleep(0.05)

    def output(self) -> str:
        return (self.base / "script.log").read_text(errors="replace")

    def stop(self) -> None:
        """What Ctrl-C does: the script stops every node and HAProxy."""
        if self.script.poll() is None:
            self.script.send_signal(signal.SIGTERM)
            try:
                self.script.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(self.script.pid, signal.SIGKILL)
                self.script.wait()
        self.controller.stop()
        self.hub.engine.dispose()


def _running(pid: int) -> bool:
    """Alive and not a zombie waiting for its parent to reap it."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def hub_command() -> str:
    beside = Path(sys.executable).parent / "hub"  # the hub of the interpreter running us
    return str(beside) if beside.exists() else "hub"


def start_example(base: Path, *, toml: str = "") -> ExampleCluster:
    """Run the example script on a fresh database; return once it says it is ready."""
    haproxy = haproxy_binary()
    url = fresh_postgres_db()
    sink, sink_port = Sink(), free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=sink_port)
    controller.start()
    # Server objects only describe the nodes here (ports, data dir): the script runs them.
    nodes = {name: Server(base / name, {}) for name in NAMES}
    lb_http, lb_smtp = free_port(), free_port()
    env = {key: value for key, value in os.environ.items() if not key.startswith("HUB_")}
    env.update({
        "CLUSTER_DIR": str(base), "HTTP_PORT": str(lb_http), "SMTP_PORT": str(lb_smtp),
        "NODE_HTTP_PORTS": " ".join(str(n.port) for n in nodes.values()),
        "NODE_SMTP_PORTS": " ".join(str(n.smtp_port) for n in nodes.values()),
        "WORKERS": "1", "HUB": hub_command(), "HAPROXY": haproxy,
        "HUB_MAIL_DOMAIN": DOMAIN, "HUB_SMARTHOST": f"127.0.0.1:{sink_port}",
        "HUB_ADMIN_PASSWORD": "admin-password",
    })
    if toml:
        (base / "hub.toml").write_text(toml)
        env["HUB_CONFIG"] = str(base / "hub.toml")
    with open(base / "script.log", "wb") as log:
        script = subprocess.Popen([str(SCRIPT), url], env=env, stdout=log,
                                  stderr=subprocess.STDOUT, start_new_session=True)
    try:
        _wait_ready(base / "script.log", script)
    except BaseException:
        script.send_signal(signal.SIGTERM)
        script.wait(60)
        controller.stop()
        raise
    settings = load_settings(env={"HUB_DATA_DIR": str(base / "setup"),
                                  "HUB_DATABASE_URL": url, "HUB_SECRET_KEY": "tests",
                                  "HUB_MAIL_DOMAIN": DOMAIN})
    hub = bootstrap(settings, make_engine(settings.sqlalchemy_url))
    return ExampleCluster(hub=hub, sink=sink, token=make_token(hub, "admin"), nodes=nodes,
                          base=base, lb_url=f"http://127.0.0.1:{lb_http}",
                          lb_smtp_port=lb_smtp, script=script, controller=controller)


def _wait_ready(log: Path, script: subprocess.Popen[bytes], timeout: float = 120) -> None:
    deadline = time.time() + timeout
    while READY not in log.read_text(errors="replace"):
        if script.poll() is not None:
            raise AssertionError(f"the example script exited ({script.returncode}):\n"
                                 + log.read_text(errors="replace")[-4000:])
        if time.time() > deadline:
            raise AssertionError("the example script was not ready in time:\n"
                                 + log.read_text(errors="replace")[-4000:])
        time.sleep(0.2)
