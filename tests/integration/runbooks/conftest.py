"""Fixtures for runbook runs against real HAProxy, namespaces and rsync trees."""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from runbooks_support import OPS_DIR, Env, make_env, slow_name_server

from hub.bootstrap import Hub

assert OPS_DIR.is_dir()
from ops_support import HaproxyEnv, free_port, port_open, wait_for  # noqa: E402
from test_ops_vip import topology  # noqa: E402, F401  (the VIP namespaces fixture)

HAPROXY_CFG = """\
global
    stats socket {sock} level admin
    maxconn 200

defaults
    mode http
    timeout connect 2s
    timeout client 60s
    timeout server 60s

frontend fe
    bind 127.0.0.1:{port}
    default_backend web

backend web
    balance roundrobin
{servers}
"""


@pytest.fixture
def env(hub: Hub) -> Env:
    return make_env(hub)


@pytest.fixture
def slow_release() -> Iterator[threading.Event]:
    event = threading.Event()
    yield event
    event.set()


@pytest.fixture
def lb(tmp_path: Path, slow_release: threading.Event) -> Iterator[HaproxyEnv]:
    """HAProxy with three backends that answer their name (``/slow`` waits for a signal)."""
    binary = shutil.which("haproxy") or "/usr/sbin/haproxy"
    if not os.path.exists(binary):
        pytest.fail("haproxy is not installed (Debian package 'haproxy'): `make test` installs it")
    names = ["s1", "s2", "s3"]
    backends = [slow_name_server(n, slow_release) for n in names]
    threads = [threading.Thread(target=b.serve_forever, daemon=True) for b in backends]
    for t in threads:
        t.start()
    proc: subprocess.Popen[bytes] | None = None
    try:
        port = free_port()
        sock = str(tmp_path / "admin.sock")
        servers = "\n".join(f"    server {n} 127.0.0.1:{b.server_address[1]}"
                            for n, b in zip(names, backends, strict=True))
        cfg = tmp_path / "haproxy.cfg"
        cfg.write_text(HAPROXY_CFG.format(sock=sock, port=port, servers=servers))
        proc = subprocess.Popen([binary, "-db", "-f", str(cfg)], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        started = proc

        def up() -> bool:
            assert started.poll() is None, "haproxy exited"
            return os.path.exists(sock) and port_open(port)

        wait_for(up, what="haproxy start")
        yield HaproxyEnv(frontend_port=port, socket_path=sock, backend="web", servers=names)
    finally:
        slow_release.set()
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        for b in backends:
            b.shutdown()
            b.server_close()
        for t in threads:
            t.join(timeout=5)
